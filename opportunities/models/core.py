"""Sales opportunities (商机): pipelines and their ordered stages, the opportunities moving
through them, the history of every stage move, and the quotes (建议书) made from them.

An opportunity only changes stage through `opportunities.services.opportunity_move_stage`
(form, board, import): it locks the row, writes a StageChange (from, to, who, when, seconds
spent in the previous stage) and keeps `status`, `closed_at` and the customer's denormalised
columns right.
"""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from crm.scopes import ScopedQuerySet


class BilingualName(models.Model):
    """Admin-entered names are data, not msgids: each row stores its English name and, optionally,
    its Chinese one; `label` picks the one of the active language (docs/opportunities.md)."""

    name = models.CharField(_("name (English)"), max_length=100)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        if self.name_zh and (get_language() or "").lower().startswith("zh"):
            return self.name_zh
        return self.name


class Pipeline(BilingualName):
    """A sales process (ToB project sale, ToC retail...), with its own ordered stages."""

    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_default = models.BooleanField(
        _("default"), default=False, help_text=_("New opportunities start in this pipeline.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="pipeline_one_default"
            ),
        ]

    def get_absolute_url(self) -> str:
        return reverse("opportunities:board", args=[self.pk])


class Stage(BilingualName):
    class Kind(models.TextChoices):
        OPEN = "open", pgettext_lazy("stage kind", "Open")
        WON = "won", pgettext_lazy("stage kind", "Won")
        LOST = "lost", pgettext_lazy("stage kind", "Lost")

    pipeline = models.ForeignKey(
        Pipeline, verbose_name=_("pipeline"), on_delete=models.CASCADE, related_name="stages"
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    probability = models.PositiveSmallIntegerField(
        _("probability (%)"), validators=[MaxValueValidator(100)], default=0
    )
    kind = models.CharField(_("kind"), max_length=4, choices=Kind.choices, default=Kind.OPEN)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["pipeline", "order", "id"]

    @property
    def is_open(self) -> bool:
        return self.kind == self.Kind.OPEN

    @property
    def is_won(self) -> bool:
        return self.kind == self.Kind.WON

    @property
    def is_lost(self) -> bool:
        return self.kind == self.Kind.LOST


class LostReason(BilingualName):
    """Why a deal was lost: an admin-maintained list, so that losses can be counted by reason."""

    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("lost reason")
        verbose_name_plural = _("lost reasons")
        ordering = ["order", "id"]


class OpportunityQuerySet(ScopedQuerySet):
    def open(self) -> OpportunityQuerySet:
        return self.filter(status=Opportunity.Status.OPEN)


class Opportunity(models.Model):
    class Status(models.TextChoices):
        """The kind of the current stage, kept on the row: filters and sums stay on one table."""

        OPEN = "open", pgettext_lazy("opportunity status", "Open")
        WON = "won", pgettext_lazy("opportunity status", "Won")
        LOST = "lost", pgettext_lazy("opportunity status", "Lost")

    code = models.CharField(
        _("code"),
        max_length=32,
        unique=True,
        blank=True,
        help_text=_("Left blank, a code is assigned when the opportunity is saved."),
    )
    name = models.CharField(_("name"), max_length=200)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="opportunities",
    )
    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opportunities",
    )
    amount = models.DecimalField(
        _("amount"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    expected_close_on = models.DateField(_("expected close date"), null=True, blank=True)
    pipeline = models.ForeignKey(
        Pipeline, verbose_name=_("pipeline"), on_delete=models.PROTECT, related_name="+"
    )
    stage = models.ForeignKey(
        Stage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="opportunities"
    )
    status = models.CharField(
        _("status"), max_length=4, choices=Status.choices, default=Status.OPEN, editable=False
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="opportunities",
    )
    source_lead = models.ForeignKey(
        "leads.Lead",
        verbose_name=_("source lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opportunities",
    )
    next_step = models.CharField(_("next step"), max_length=255, blank=True)
    lost_reason = models.ForeignKey(
        LostReason,
        verbose_name=_("lost reason"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="opportunities",
    )
    lost_note = models.CharField(_("lost note"), max_length=255, blank=True)
    description = models.TextField(_("description"), blank=True)
    stage_entered_at = models.DateTimeField(_("in this stage since"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    history = HistoricalRecords(excluded_fields=["updated_at"])

    objects = OpportunityQuerySet.as_manager()

    scope_owner_field = "owner"
    scope_team_fields = ("owner__team",)

    class Meta:
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The board: top cards of a stage by amount.
            models.Index(fields=["stage", "-amount"], name="opp_stage_amount"),
            models.Index(fields=["owner", "stage", "-amount"], name="opp_owner_stage_amount"),
            # The list's filters and sorts.
            models.Index(fields=["owner", "-created_at"], name="opp_owner_created"),
            models.Index(fields=["-created_at"], name="opp_created"),
            models.Index(fields=["pipeline", "-created_at"], name="opp_pipeline_created"),
            models.Index(fields=["expected_close_on"], name="opp_close_on"),
            models.Index(fields=["amount"], name="opp_amount"),
            # Forecast (open by close month) and win rate (closed in a period).
            models.Index(fields=["status", "expected_close_on"], name="opp_status_close_on"),
            models.Index(fields=["status", "closed_at"], name="opp_status_closed"),
            models.Index(fields=["customer", "status"], name="opp_customer_status"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="opp_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if not self.code:
            self.code = self.new_code()
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("opportunities:opportunity-detail", args=[self.pk])

    @staticmethod
    def new_code() -> str:
        # Random like customer codes: no counter row to lock; the unique constraint guards.
        return f"O{timezone.now():%y%m}{secrets.token_hex(3).upper()}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def weighted_amount(self) -> Decimal:
        return (self.amount * self.stage.probability / Decimal(100)).quantize(Decimal("0.01"))


class StageChange(models.Model):
    """One move of an opportunity, written only by the services. `from_stage` is empty for the
    opportunity's creation; `seconds_in_previous` is how long it stayed in `from_stage`."""

    opportunity = models.ForeignKey(
        Opportunity,
        verbose_name=_("opportunity"),
        on_delete=models.CASCADE,
        related_name="stage_changes",
    )
    from_stage = models.ForeignKey(
        Stage,
        verbose_name=_("from"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    to_stage = models.ForeignKey(
        Stage, verbose_name=_("to"), on_delete=models.PROTECT, related_name="+"
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("when"))
    seconds_in_previous = models.PositiveBigIntegerField(
        _("seconds in the previous stage"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        ordering = ["-changed_at", "-id"]
        indexes = [
            models.Index(fields=["opportunity", "-changed_at"], name="stchg_opp_time"),
            # Funnel (stages reached) and days per stage (time left behind) for a period.
            models.Index(fields=["to_stage", "changed_at"], name="stchg_to_time"),
            models.Index(fields=["from_stage", "changed_at"], name="stchg_from_time"),
        ]

    def __str__(self) -> str:
        return f"{self.opportunity}: {self.from_stage or '–'} → {self.to_stage}"

    @property
    def days_in_previous(self) -> Decimal | None:
        if self.seconds_in_previous is None:
            return None
        return (Decimal(self.seconds_in_previous) / Decimal(86400)).quantize(Decimal("0.1"))
