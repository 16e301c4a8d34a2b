"""A record owned by a rep and filed under a team: the shape of every later domain model
(customers, leads, orders...), used to test crm/scopes.py on its own."""

from django.db import models
from django.db.models import Q

from crm.scopes import ScopedQuerySet


class RecordQuerySet(ScopedQuerySet):
    def extra_visible_q(self, user):
        # Like the public customer pool: rows without an owner are open to every signed-in user.
        return Q(owner__isnull=True)


class Record(models.Model):
    title = models.CharField(max_length=50)
    owner = models.ForeignKey("crm.User", null=True, blank=True, on_delete=models.SET_NULL)
    team = models.ForeignKey("crm.Team", null=True, blank=True, on_delete=models.SET_NULL)

    scope_owner_field = "owner"
    scope_team_fields = ("team", "owner__team")

    objects = RecordQuerySet.as_manager()

    class Meta:
        app_label = "scopeapp"

    def __str__(self) -> str:
        return self.title
