"""Evaluation periods, scorecards and their items, the review chain (逐级考核) and the
recomputations a published period needs when its figures change."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from crm.scopes import ScopedQuerySet
from performance.periods import KIND_CHOICES, MONTH, Period


class EvaluationPeriod(models.Model):
    """The state of one period: open (scorecards are computed and reviewed) or published by HR
    (its scorecards are frozen with the figures they were scored on)."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("evaluation period status", "Open")
        PUBLISHED = "published", _("Published")

    key = models.CharField(_("period"), max_length=10, unique=True)  # 2026-10, 2026-Q4, 2026
    kind = models.CharField(_("kind"), max_length=10, choices=KIND_CHOICES, default=MONTH)
    start = models.DateField(_("start"))
    end = models.DateField(_("end (exclusive)"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("evaluation period")
        verbose_name_plural = _("evaluation periods")
        ordering = ["-start", "kind"]

    def __str__(self) -> str:
        return self.key

    @property
    def period(self) -> Period:
        return Period(self.start, self.end, self.kind)

    @classmethod
    def for_period(cls, period: Period) -> EvaluationPeriod:
        obj, _created = cls.objects.get_or_create(
            key=period.key,
            defaults={"kind": period.kind, "start": period.start, "end": period.end},
        )
        return obj

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED


class ScorecardQuerySet(ScopedQuerySet):
    """Who sees a scorecard is the review chain's rule (performance/review/permissions.py: the
    person only once published, managers their subtrees, positions by step), not the generic
    owner/team scope: `visible_to` applies it everywhere. Changes go through the review services
    (each step its own actor), never a generic edit scope."""

    def visible_to(self, user) -> ScorecardQuerySet:
        from performance.review.permissions import visible_q

        return self.filter(visible_q(user))

    def editable_by(self, user) -> ScorecardQuerySet:
        return self.none()


class Scorecard(models.Model):
    """One person's score for one period, under one scheme version. Moves along the review
    chain: manager > sales planning > VP > HR > published; each step may send it back."""

    scope_owner_field = "user"
    scope_team_fields = ("team",)

    class Status(models.TextChoices):
        MANAGER = "manager", _("With the manager")
        PLANNING = "planning", _("With sales planning")
        VP = "vp", _("With the sales VP")
        HR = "hr", _("With HR")
        PUBLISHED = "published", _("Published")

    period = models.ForeignKey(
        EvaluationPeriod,
        verbose_name=_("period"),
        on_delete=models.PROTECT,
        related_name="scorecards",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="scorecards",
    )
    team = models.ForeignKey(
        "crm.Team",
        verbose_name=_("team"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The person's team when the scorecard was computed."),
    )
    scheme = models.ForeignKey(
        "performance.KpiScheme",
        verbose_name=_("scheme"),
        on_delete=models.PROTECT,
        related_name="scorecards",
    )
    uses_team_figures = models.BooleanField(_("team figures"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.MANAGER, db_index=True
    )
    computed_total = models.DecimalField(
        _("computed total"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    adjustment = models.DecimalField(_("adjustment"), max_digits=7, decimal_places=2, default=0)
    total = models.DecimalField(
        _("total"), max_digits=7, decimal_places=2, null=True, blank=True, db_index=True
    )
    grade = models.CharField(_("grade"), max_length=2, blank=True, db_index=True)
    computed_at = models.DateTimeField(_("computed"), null=True, blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    # What the rep sees with a published result: the reviewer's comment.
    reviewer_comment = models.TextField(_("reviewer's comment"), blank=True)
    appeal_reason = models.TextField(_("appeal reason"), blank=True)
    appealed_at = models.DateTimeField(_("appealed"), null=True, blank=True)
    # After publishing: the latest check of the figures behind the items (see drift).
    drift_checked_at = models.DateTimeField(_("figures checked"), null=True, blank=True)
    has_drift = models.BooleanField(_("figures changed since scoring"), default=False)
    history = HistoricalRecords()

    objects = ScorecardQuerySet.as_manager()

    class Meta:
        verbose_name = _("scorecard")
        verbose_name_plural = _("scorecards")
        ordering = ["period", "user"]
        constraints = [
            models.UniqueConstraint(fields=["period", "user"], name="scorecard_once_per_period"),
        ]
        indexes = [models.Index(fields=["period", "status"], name="scorecard_period_status")]

    def __str__(self) -> str:
        return f"{self.user} {self.period}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("performance:scorecard-detail", args=[self.pk])

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED


class ScorecardItem(models.Model):
    """One KPI of a scorecard, with the figures it was scored on. `actual` None = undefined
    (zero denominator or missing target): left out, the other weights renormalised."""

    scorecard = models.ForeignKey(
        Scorecard, verbose_name=_("scorecard"), on_delete=models.CASCADE, related_name="items"
    )
    scheme_item = models.ForeignKey(
        "performance.KpiSchemeItem",
        verbose_name=_("scheme item"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    metric = models.CharField(_("metric"), max_length=40)
    sort_order = models.PositiveIntegerField(_("order"), default=0)
    weight = models.DecimalField(_("weight"), max_digits=6, decimal_places=2)
    cap = models.DecimalField(_("cap"), max_digits=6, decimal_places=2)
    numerator = models.DecimalField(
        _("numerator"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    denominator = models.DecimalField(
        _("denominator"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    actual = models.DecimalField(
        _("actual"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    target = models.DecimalField(
        _("target"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    achievement = models.DecimalField(
        _("achievement"), max_digits=12, decimal_places=4, null=True, blank=True
    )
    score = models.DecimalField(_("score"), max_digits=7, decimal_places=2, null=True, blank=True)
    # The manager's adjustment of this item (points, within the scheme's limit, with a comment).
    adjustment = models.DecimalField(_("adjustment"), max_digits=7, decimal_places=2, default=0)
    adjustment_comment = models.TextField(_("adjustment comment"), blank=True)
    # After publishing: the figure as it is now, when it differs from `actual`.
    current_actual = models.DecimalField(
        _("current actual"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("scorecard item")
        verbose_name_plural = _("scorecard items")
        ordering = ["scorecard", "sort_order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["scorecard", "metric"], name="scorecarditem_once"),
        ]

    def __str__(self) -> str:
        return f"{self.scorecard}: {self.metric}"

    @property
    def is_defined(self) -> bool:
        return self.score is not None


class ReviewStep(models.Model):
    """One step of the review chain: who did what to a scorecard, when, with which comment."""

    class Action(models.TextChoices):
        COMPUTED = "computed", _("Computed")
        ADJUSTED = "adjusted", _("Adjusted")
        SUBMITTED = "submitted", _("Passed on")
        SENT_BACK = "sent_back", _("Sent back")
        PUBLISHED = "published", _("Published")
        APPEALED = "appealed", _("Appealed")
        RECOMPUTED = "recomputed", _("Recomputed")

    scorecard = models.ForeignKey(
        Scorecard, verbose_name=_("scorecard"), on_delete=models.CASCADE, related_name="steps"
    )
    action = models.CharField(_("action"), max_length=12, choices=Action.choices)
    from_status = models.CharField(
        _("from"), max_length=10, choices=Scorecard.Status.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=10, choices=Scorecard.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    role = models.CharField(_("role"), max_length=30, blank=True)  # the step's role when taken
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("review step")
        verbose_name_plural = _("review steps")
        ordering = ["scorecard", "created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.scorecard}: {self.action}"


class ScorecardRun(models.Model):
    """A computation of many scorecards (a whole company or a team subtree) for one period,
    with its progress, for the progress bar."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    period = models.ForeignKey(
        EvaluationPeriod, verbose_name=_("period"), on_delete=models.CASCADE, related_name="runs"
    )
    team = models.ForeignKey(
        "crm.Team",
        verbose_name=_("team"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: the whole company."),
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    total = models.PositiveIntegerField(_("scorecards"), default=0)
    done = models.PositiveIntegerField(_("done"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    message = models.TextField(_("message"), blank=True)
    created_at = models.DateTimeField(_("requested"), default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("scorecard run")
        verbose_name_plural = _("scorecard runs")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.period} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def progress_percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(100 * self.done / self.total) if self.total else 0


class Recomputation(models.Model):
    """A published scorecard whose figures changed is recomputed only once someone with the
    right position approves: the request keeps the figures before and after."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    scorecard = models.ForeignKey(
        Scorecard,
        verbose_name=_("scorecard"),
        on_delete=models.CASCADE,
        related_name="recomputations",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    reason = models.TextField(_("reason"))
    before = models.JSONField(_("before"), default=dict)
    after = models.JSONField(_("after"), default=dict)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("recomputation")
        verbose_name_plural = _("recomputations")
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["scorecard"],
                condition=Q(status="pending"),
                name="recomputation_one_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scorecard} ({self.get_status_display()})"
