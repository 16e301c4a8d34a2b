"""Leads: people or companies that showed interest and are not yet customers, and the rules that
hand each new lead to a rep within seconds (docs/leads.md).

A lead's owner changes only through leads/assignment/ and leads/services/, each change
leaving an AssignmentLog row that says why this rep got it.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from crm.scopes import DataScope, ScopedQuerySet, reach_of, scope_q
from customers.models import Customer


class LeadQuerySet(ScopedQuerySet):
    def _managers_queue_q(self, user, *, for_change: bool) -> Q:
        # The default queue (leads without an owner) belongs to no team: whoever reaches beyond
        # their own records (managers, admins) sees and assigns it; a rep does not.
        level = reach_of(user, for_change=for_change).level
        if level in (DataScope.TEAM, DataScope.ALL):
            return Q(owner__isnull=True)
        return Q(pk__in=[])

    def extra_visible_q(self, user) -> Q:
        return self._managers_queue_q(user, for_change=False)

    def editable_by(self, user) -> LeadQuerySet:
        level = reach_of(user, for_change=True).level
        if level == DataScope.ALL:
            return self.all()
        return self.filter(
            scope_q(user, self.model, for_change=True)
            | self._managers_queue_q(user, for_change=True)
        )

    def open(self) -> LeadQuerySet:
        return self.filter(status__in=Lead.OPEN_STATUSES)


class Lead(models.Model):
    class Status(models.TextChoices):
        NEW = "new", _("New")
        CONTACTED = "contacted", _("Contacted")
        QUALIFIED = "qualified", _("Qualified")
        CONVERTED = "converted", _("Converted")
        DISQUALIFIED = "disqualified", _("Disqualified")

    class Source(models.TextChoices):
        WEBSITE = "website", _("Website")
        REFERRAL = "referral", _("Referral")
        EXHIBITION = "exhibition", _("Exhibition")
        COLD_CALL = "cold_call", _("Cold call")
        ADVERTISING = "advertising", _("Advertising")
        PARTNER = "partner", _("Partner")
        SOCIAL = "social", _("Social media")
        OTHER = "other", _("Other")

    class DisqualifyReason(models.TextChoices):
        INVALID = "invalid", _("Invalid contact details")
        NO_NEED = "no_need", _("No need")
        NO_BUDGET = "no_budget", _("No budget")
        COMPETITOR = "competitor", _("Chose a competitor")
        DUPLICATE = "duplicate", _("Duplicate")
        UNREACHABLE = "unreachable", _("Unreachable")
        SPAM = "spam", _("Spam")
        OTHER = "other", _("Other")

    OPEN_STATUSES = (Status.NEW, Status.CONTACTED, Status.QUALIFIED)

    name = models.CharField(_("name"), max_length=120)
    company = models.CharField(_("company"), max_length=200, blank=True)
    title = models.CharField(_("job title"), max_length=120, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("email"), blank=True)
    source = models.CharField(
        _("source"), max_length=20, choices=Source.choices, default=Source.OTHER
    )
    region = models.CharField(_("area"), max_length=60, blank=True)
    industry = models.CharField(
        _("industry"), max_length=20, choices=Customer.Industry.choices, blank=True
    )
    notes = models.TextField(_("notes"), blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default="new")
    disqualify_reason = models.CharField(
        _("disqualification reason"), max_length=12, choices=DisqualifyReason.choices, blank=True
    )
    disqualify_note = models.CharField(_("disqualification note"), max_length=255, blank=True)

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="leads",
        help_text=_("Empty: the lead waits for assignment (default queue)."),
    )
    # Kept by the services, never edited in forms.
    assigned_at = models.DateTimeField(_("assigned"), null=True, blank=True)
    rule = models.ForeignKey(
        "AssignmentRule",
        verbose_name=_("assignment rule"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
    )
    sla_due_at = models.DateTimeField(_("first contact due"), null=True, blank=True)
    first_contacted_at = models.DateTimeField(_("first contacted"), null=True, blank=True)
    assign_attempted_at = models.DateTimeField(_("last assignment attempt"), null=True, blank=True)
    converted_customer = models.ForeignKey(
        Customer,
        verbose_name=_("converted customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="source_leads",
    )
    converted_contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("converted contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="source_leads",
    )
    converted_at = models.DateTimeField(_("converted"), null=True, blank=True)
    api_source = models.ForeignKey(
        "LeadSource",
        verbose_name=_("web form"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
    )
    # Fingerprint of a web-to-lead submission: the same lead posted twice within the window is
    # answered with the first one's id instead of a second row.
    fingerprint = models.CharField(max_length=64, blank=True, editable=False)

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
    history = HistoricalRecords(excluded_fields=["updated_at", "assign_attempted_at"])

    objects = LeadQuerySet.as_manager()

    scope_owner_field = "owner"
    scope_team_fields = ("owner__team",)

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "status", "-created_at"], name="lead_owner_status"),
            models.Index(fields=["status", "-created_at"], name="lead_status_created"),
            models.Index(fields=["source", "status"], name="lead_source_status"),
            models.Index(fields=["-created_at"], name="lead_created"),
            models.Index(fields=["name"], name="lead_name"),
            models.Index(fields=["region"], name="lead_region"),
            models.Index(fields=["industry"], name="lead_industry"),
            models.Index(fields=["phone"], name="lead_phone"),
            models.Index(Upper("email"), name="lead_email_upper"),
            models.Index(fields=["fingerprint", "created_at"], name="lead_fingerprint"),
            # The sweep: open leads nobody owns, least recently tried first.
            models.Index(
                fields=["assign_attempted_at", "created_at"],
                name="lead_unassigned",
                condition=Q(owner__isnull=True, status="new"),
            ),
            # The SLA check: leads assigned and not yet contacted, by due time.
            models.Index(
                fields=["sla_due_at"],
                name="lead_sla_due",
                condition=Q(sla_due_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} · {self.company}" if self.company else self.name

    def get_absolute_url(self) -> str:
        return reverse("leads:lead-detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def is_in_queue(self) -> bool:
        return self.owner_id is None and self.is_open


class AssignmentRule(models.Model):
    """Which leads go to which reps, and how: the first active rule (by priority) whose
    conditions all match takes the lead. An empty condition matches anything."""

    class Method(models.TextChoices):
        ROUND_ROBIN = "round_robin", _("Round-robin")
        WEIGHTED = "weighted", _("Weighted round-robin")
        LEAST_LOADED = "least_loaded", _("Least loaded")

    name = models.CharField(_("name"), max_length=120)
    priority = models.PositiveIntegerField(
        _("priority"), default=100, help_text=_("Lower numbers are tried first.")
    )
    sources = models.JSONField(_("sources"), default=list, blank=True)
    regions = models.JSONField(_("areas"), default=list, blank=True)
    industries = models.JSONField(_("industries"), default=list, blank=True)
    method = models.CharField(
        _("method"), max_length=20, choices=Method.choices, default=Method.ROUND_ROBIN
    )
    sla_hours = models.PositiveIntegerField(
        _("response SLA (hours)"),
        default=24,
        help_text=_(
            "A lead not contacted within this time goes to the next member. 0: no deadline."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    # Round-robin state, written under this row's lock: the member who got the last lead, and
    # for weighted round-robin the members' running weights ({member id: current weight}).
    last_member = models.ForeignKey(
        "RuleMember", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rr_state = models.JSONField(default=dict, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    history = HistoricalRecords(excluded_fields=["last_member", "rr_state"])

    class Meta:
        verbose_name = _("assignment rule")
        verbose_name_plural = _("assignment rules")
        ordering = ["priority", "id"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("leads:rule-edit", args=[self.pk])

    def matches(self, lead: Lead) -> bool:
        return all(
            not wanted or value in wanted
            for wanted, value in (
                (self.sources, lead.source),
                (self.regions, lead.region),
                (self.industries, lead.industry),
            )
        )


class RuleMember(models.Model):
    rule = models.ForeignKey(
        AssignmentRule, verbose_name=_("rule"), on_delete=models.CASCADE, related_name="members"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rep"),
        on_delete=models.CASCADE,
        related_name="lead_rule_memberships",
    )
    weight = models.PositiveSmallIntegerField(
        _("weight"), default=1, help_text=_("Weighted round-robin: share of the leads.")
    )
    capacity = models.PositiveIntegerField(
        _("capacity"),
        default=50,
        help_text=_("Most open leads (new, contacted, qualified) this rep may hold. 0: no limit."),
    )
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Untick while the rep is on leave.")
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("rule member")
        verbose_name_plural = _("rule members")
        ordering = ["rule", "id"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "user"], name="rulemember_unique_user"),
        ]

    def __str__(self) -> str:
        return f"{self.rule} · {self.user}"


class AssignmentLog(models.Model):
    """Every change of a lead's owner, with why: the rule and method, and the loads of the
    members at that moment ({user id: {"name", "open", "capacity", "weight", "eligible"}})."""

    class Reason(models.TextChoices):
        RULE = "rule", _("Assigned by a rule")
        SLA = "sla", _("Reassigned: first contact overdue")
        MANUAL = "manual", _("Assigned by a manager")
        HANDOVER = "handover", _("Handed over from a leaving rep")
        CREATED = "created", _("Owner given at creation")
        IMPORTED = "imported", _("Owner given in an import")
        CONVERTED = "converted", _("Converted")

    lead = models.ForeignKey(
        Lead, verbose_name=_("lead"), on_delete=models.CASCADE, related_name="assignment_logs"
    )
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("from"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    rule = models.ForeignKey(
        AssignmentRule,
        verbose_name=_("rule"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    method = models.CharField(
        _("method"), max_length=20, choices=AssignmentRule.Method.choices, blank=True
    )
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices)
    loads = models.JSONField(_("members' loads"), default=dict, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)
    # SLA reassignments: the response time the lead missed, as it was then.
    sla_hours = models.PositiveSmallIntegerField(_("SLA (hours)"), null=True, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    # Why a member was passed over, as stored in `loads` (codes: the page shows them translated).
    SKIP_REASONS = {
        "paused": _("paused in this rule"),
        "deactivated": _("user deactivated"),
        "cannot_own": _("position may not own records"),
        "full": _("at capacity"),
    }

    class Meta:
        verbose_name = _("assignment log")
        verbose_name_plural = _("assignment logs")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["lead", "-created_at"], name="alog_lead_time"),
            models.Index(fields=["to_user", "-created_at"], name="alog_to_time"),
        ]

    def __str__(self) -> str:
        return f"{self.lead}: {self.get_reason_display()}"

    def loads_display(self) -> list[dict]:
        """The members' loads for the page, with the skip reason in the reader's language."""
        return [
            {**load, "skipped": self.SKIP_REASONS.get(load.get("skipped", ""), "")}
            for load in self.loads.values()
        ]


class LeadSource(models.Model):
    """A web form or partner that posts leads to POST /api/leads/ with its own token.

    Only a SHA-256 hash of the token is stored; the token itself is shown once, when created.
    """

    name = models.CharField(_("name"), max_length=120)
    source = models.CharField(
        _("lead source"), max_length=20, choices=Lead.Source.choices, default=Lead.Source.WEBSITE
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    token_prefix = models.CharField(_("token starts with"), max_length=12, editable=False)
    rate_limit = models.PositiveIntegerField(
        _("requests per minute"),
        default=60,
        help_text=_("Posts above this rate are refused with 429. 0: the site default."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["last_used_at"])

    class Meta:
        verbose_name = _("web form token")
        verbose_name_plural = _("web form tokens")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()
