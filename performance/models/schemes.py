"""KPI schemes: per position, versioned. A scorecard keeps the version it was scored with."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

DEFAULT_BANDS = {"S": "110", "A": "100", "B": "85", "C": "70"}  # else D (../shared/KPIS.md)
DEFAULT_CAP = Decimal("120")


def default_bands() -> dict[str, str]:
    return dict(DEFAULT_BANDS)


class KpiScheme(models.Model):
    """One version of a scheme. Versions of the same scheme share `code`; only a draft's items
    can change; activating a draft retires the version active before it. At most one active
    scheme per position."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        RETIRED = "retired", _("Retired")

    code = models.SlugField(_("code"), max_length=50)
    version = models.PositiveIntegerField(_("version"), default=1)
    name = models.CharField(_("name"), max_length=120)
    position = models.ForeignKey(
        "crm.Position",
        verbose_name=_("position"),
        on_delete=models.PROTECT,
        related_name="kpi_schemes",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    uses_team_figures = models.BooleanField(
        _("scored on team figures"),
        default=False,
        help_text=_("Managers are scored on the figures of the teams they manage."),
    )
    adjustment_limit = models.DecimalField(
        _("adjustment limit (points)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("10"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("How far a manager may move an item's score up or down, with a comment."),
    )
    bands = models.JSONField(
        _("grade bands"),
        default=default_bands,
        help_text=_("Lowest total for each grade, e.g. S 110, A 100, B 85, C 70; below is D."),
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    activated_at = models.DateTimeField(_("activated"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("KPI scheme")
        verbose_name_plural = _("KPI schemes")
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="kpischeme_code_version"),
            models.UniqueConstraint(
                fields=["position"],
                condition=Q(status="active"),
                name="kpischeme_one_active_per_position",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class KpiSchemeItem(models.Model):
    class TargetSource(models.TextChoices):
        FIXED = "fixed", _("Fixed value")
        PLAN = "plan", _("From the sales plan")

    scheme = models.ForeignKey(
        KpiScheme, verbose_name=_("scheme"), on_delete=models.CASCADE, related_name="items"
    )
    metric = models.CharField(_("metric"), max_length=40)  # a key of performance.metrics
    weight = models.DecimalField(
        _("weight"),
        max_digits=6,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    target_source = models.CharField(
        _("target"), max_length=10, choices=TargetSource.choices, default=TargetSource.FIXED
    )
    target = models.DecimalField(
        _("target value"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    cap = models.DecimalField(
        _("cap"),
        max_digits=6,
        decimal_places=2,
        default=DEFAULT_CAP,
        validators=[MinValueValidator(Decimal("0"))],
    )
    sort_order = models.PositiveIntegerField(_("order"), default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("KPI scheme item")
        verbose_name_plural = _("KPI scheme items")
        ordering = ["scheme", "sort_order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "metric"], name="kpischemeitem_once"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="kpischemeitem_weight_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.scheme}: {self.metric}"
