"""Class-based-view mixins over the data scope (crm/scopes.py)."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied

from crm.scopes import can_change, scoped_queryset


class ScopedListMixin(LoginRequiredMixin):
    """For list views: the queryset is limited to what the user may see."""

    def get_queryset(self):
        return scoped_queryset(super().get_queryset()).visible_to(self.request.user)


class ScopedObjectMixin(ScopedListMixin):
    """For detail / update / delete views: 404 outside the user's sight; with
    `scope_action = "change"`, 403 for a row the user sees but may not change."""

    scope_action = "view"

    def get_object(self, queryset=None):
        obj = super().get_object(queryset)
        if self.scope_action == "change" and not can_change(self.request.user, obj):
            raise PermissionDenied
        return obj
