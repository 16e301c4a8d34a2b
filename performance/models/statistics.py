"""Custom statistics (绩效统计): a saved query over one module, built from the model's fields
(never free SQL), run inside the viewer's data scope, shared with positions or single users."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class CustomStatistic(models.Model):
    class Module(models.TextChoices):
        CUSTOMERS = "customers", _("Customers")
        LEADS = "leads", _("Leads")
        OPPORTUNITIES = "opportunities", _("Opportunities")
        ORDERS = "orders", _("Orders")
        PAYMENTS = "payments", _("Payments")
        ACTIVITIES = "activities", _("Activities")
        TICKETS = "tickets", _("Tickets")

    class Measure(models.TextChoices):
        COUNT = "count", _("Count")
        SUM = "sum", _("Sum")
        AVG = "avg", _("Average")

    class Grouping(models.TextChoices):
        OWNER = "owner", _("Owner")
        TEAM = "team", _("Team")
        MONTH = "month", _("Month")

    name = models.CharField(_("name"), max_length=120)
    module = models.CharField(_("module"), max_length=20, choices=Module.choices)
    # [{"field": "status", "op": "eq", "value": "won"}, ...]: validated against the module.
    conditions = models.JSONField(_("conditions"), default=list, blank=True)
    measure = models.CharField(
        _("measure"), max_length=10, choices=Measure.choices, default=Measure.COUNT
    )
    measure_field = models.CharField(_("of field"), max_length=60, blank=True)
    grouping = models.CharField(
        _("group by"), max_length=10, choices=Grouping.choices, default=Grouping.OWNER
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.CASCADE,
        related_name="custom_statistics",
    )
    shared_positions = models.ManyToManyField(
        "crm.Position", verbose_name=_("shared with positions"), blank=True, related_name="+"
    )
    shared_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("shared with people"),
        blank=True,
        related_name="shared_statistics",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("custom statistic")
        verbose_name_plural = _("custom statistics")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("performance:statistic-detail", args=[self.pk])
