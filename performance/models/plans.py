"""Sales plans (销售计划): monthly targets for the company, each team and each rep."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from crm.scopes import ScopedQuerySet


class SalesPlan(models.Model):
    """One month's targets for one rep (`user`) or one team (`team`; the company is the root
    team). Exactly one of the two is set. Quarter and year targets are the sums of the months."""

    scope_owner_field = "user"
    scope_team_fields = ("team", "user__team")

    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("salesperson"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sales_plans",
    )
    team = models.ForeignKey(
        "crm.Team",
        verbose_name=_("team"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sales_plans",
    )
    revenue_target = models.DecimalField(
        _("revenue target"), max_digits=14, decimal_places=2, default=0
    )
    new_customer_target = models.PositiveIntegerField(_("new-customer target"), default=0)
    visit_target = models.PositiveIntegerField(_("visit target"), default=0)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("sales plan")
        verbose_name_plural = _("sales plans")
        ordering = ["month", "team_id", "user_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, team__isnull=True)
                | Q(user__isnull=True, team__isnull=False),
                name="salesplan_user_xor_team",
            ),
            models.UniqueConstraint(
                fields=["user", "month"],
                condition=Q(user__isnull=False),
                name="salesplan_user_month",
            ),
            models.UniqueConstraint(
                fields=["team", "month"],
                condition=Q(team__isnull=False),
                name="salesplan_team_month",
            ),
            models.CheckConstraint(
                condition=Q(revenue_target__gte=0), name="salesplan_revenue_not_negative"
            ),
        ]
        indexes = [models.Index(fields=["month", "user"], name="salesplan_month_user")]

    def __str__(self) -> str:
        return f"{self.user or self.team} {self.month:%Y-%m}"
