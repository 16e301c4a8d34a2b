"""The shared customer record: customers, their contacts, follow-up activities, ownership history
and the public pool (公海) rules.

A customer with no owner is in the public pool. Ownership only ever changes through the services
in customers/services.py and customers/pool/, each change leaving an OwnershipChange row, so a
customer is never lost when a rep leaves: it is transferred or returned to the pool.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from crm.scopes import ScopedQuerySet


class CustomerQuerySet(ScopedQuerySet):
    def extra_visible_q(self, user) -> Q:
        # Everyone who can see anything sees the public pool: that is what makes it public.
        return Q(owner__isnull=True)

    def in_pool(self) -> CustomerQuerySet:
        return self.filter(owner__isnull=True)


class Customer(models.Model):
    class Kind(models.TextChoices):
        COMPANY = "company", _("Company (B2B)")
        PERSON = "person", _("Person (B2C)")

    class Industry(models.TextChoices):
        MANUFACTURING = "manufacturing", _("Manufacturing")
        RETAIL = "retail", _("Retail and wholesale")
        IT = "it", _("Information technology")
        FINANCE = "finance", _("Finance and insurance")
        CONSTRUCTION = "construction", _("Construction and real estate")
        EDUCATION = "education", _("Education")
        HEALTHCARE = "healthcare", _("Healthcare")
        LOGISTICS = "logistics", _("Logistics")
        ENERGY = "energy", _("Energy and utilities")
        GOVERNMENT = "government", _("Government and public sector")
        SERVICES = "services", _("Professional services")
        OTHER = "other", _("Other")

    class Scale(models.TextChoices):
        MICRO = "micro", _("1–19 employees")
        SMALL = "small", _("20–99 employees")
        MEDIUM = "medium", _("100–499 employees")
        LARGE = "large", _("500–1999 employees")
        ENTERPRISE = "enterprise", _("2000+ employees")

    class Source(models.TextChoices):
        WEBSITE = "website", _("Website")
        REFERRAL = "referral", _("Referral")
        EXHIBITION = "exhibition", _("Exhibition")
        COLD_CALL = "cold_call", _("Cold call")
        ADVERTISING = "advertising", _("Advertising")
        PARTNER = "partner", _("Partner")
        SOCIAL = "social", _("Social media")
        LEAD = "lead", _("Converted lead")
        OTHER = "other", _("Other")

    class Level(models.TextChoices):
        A = "A", _("A – key account")
        B = "B", _("B – important")
        C = "C", _("C – ordinary")
        D = "D", _("D – low value")

    class Status(models.TextChoices):
        POTENTIAL = "potential", _("Potential")
        ACTIVE = "active", _("Active")
        DORMANT = "dormant", _("Dormant")
        LOST = "lost", pgettext_lazy("customer status", "Lost")

    class Segment(models.TextChoices):
        """RFM segments, recomputed nightly (docs/segmentation.md)."""

        CHAMPION = "champion", _("Champion")
        LOYAL = "loyal", _("Loyal")
        BIG_SPENDER = "big_spender", _("Big spender")
        NEW = "new", _("New buyer")
        PROMISING = "promising", _("Promising")
        AT_RISK = "at_risk", _("At risk")
        HIBERNATING = "hibernating", _("Hibernating")
        LOST = "lost", pgettext_lazy("customer segment", "Lost")
        PROSPECT = "prospect", _("Prospect (no order yet)")

    code = models.CharField(
        _("code"),
        max_length=32,
        unique=True,
        blank=True,
        help_text=_("Left blank, a code is assigned when the customer is saved."),
    )
    name = models.CharField(_("name"), max_length=200, db_index=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.COMPANY)
    industry = models.CharField(_("industry"), max_length=20, choices=Industry.choices, blank=True)
    scale = models.CharField(_("scale"), max_length=12, choices=Scale.choices, blank=True)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, blank=True)
    level = models.CharField(_("level"), max_length=1, choices=Level.choices, default=Level.C)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.POTENTIAL
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="customers",
        help_text=_("Empty: the customer is in the public pool."),
    )
    region = models.CharField(_("area"), max_length=60, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("email"), blank=True)
    website = models.URLField(_("website"), blank=True)
    wechat = models.CharField(_("WeChat"), max_length=60, blank=True)
    qq = models.CharField(_("QQ"), max_length=20, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    business_status = models.CharField(
        _("business status"),
        max_length=200,
        blank=True,
        help_text=_("What the customer does and how it is doing."),
    )
    competitors = models.CharField(
        _("competitors"),
        max_length=255,
        blank=True,
        help_text=_("Competitors the customer also buys from."),
    )
    notes = models.TextField(_("notes"), blank=True)
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default="zh-hans",
        help_text=_("Language of the messages sent to this customer."),
    )
    is_locked = models.BooleanField(
        _("locked"),
        default=False,
        help_text=_("A locked customer is never returned to the public pool automatically."),
    )

    # Kept up to date by the services (never edited in forms): they make the list's filters and
    # sorts single indexed columns at a million rows.
    owned_since = models.DateTimeField(_("owned since"), null=True, blank=True)
    last_contacted_at = models.DateTimeField(_("last contacted"), null=True, blank=True)
    next_follow_up_on = models.DateField(_("next follow-up"), null=True, blank=True)
    pool_entered_at = models.DateTimeField(_("in the pool since"), null=True, blank=True)
    last_opportunity_at = models.DateTimeField(_("last new opportunity"), null=True, blank=True)
    has_open_opportunities = models.BooleanField(_("has open opportunities"), default=False)
    completeness = models.PositiveSmallIntegerField(
        _("information completeness"), default=0, help_text=_("Key fields filled, in percent.")
    )

    # RFM segmentation (customers/segments.py), recomputed by a periodic task.
    segment = models.CharField(
        _("segment"), max_length=12, choices=Segment.choices, default=Segment.PROSPECT
    )
    rfm_score = models.CharField(_("RFM score"), max_length=3, blank=True)
    last_order_on = models.DateField(_("last order"), null=True, blank=True)
    orders_12m = models.PositiveIntegerField(_("orders in 12 months"), default=0)
    revenue_12m = models.DecimalField(
        _("revenue in 12 months"), max_digits=14, decimal_places=2, default=0
    )
    segment_updated_at = models.DateTimeField(_("segment updated"), null=True, blank=True)

    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    history = HistoricalRecords(
        excluded_fields=[
            "updated_at",
            "completeness",
            "segment",
            "rfm_score",
            "last_order_on",
            "orders_12m",
            "revenue_12m",
            "segment_updated_at",
        ]
    )

    objects = CustomerQuerySet.as_manager()

    scope_owner_field = "owner"
    scope_team_fields = ("owner__team",)

    # Key fields of the information-completeness KPI (../shared/KPIS.md); "contacts" means at
    # least one contact.
    KEY_FIELDS = {
        Kind.COMPANY: (
            "industry",
            "scale",
            "address",
            "phone",
            "website",
            "business_status",
            "competitors",
            "source",
            "contacts",
        ),
        Kind.PERSON: ("phone", "email", "address", "birthday", "source"),
    }

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["-created_at", "-id"]
        indexes = [
            # One index per filter and sort the list offers; owner-led pairs serve "my customers
            # sorted by ..." without a sort step.
            models.Index(fields=["owner", "last_contacted_at"], name="cust_owner_contacted"),
            models.Index(fields=["owner", "-created_at"], name="cust_owner_created"),
            models.Index(fields=["owner", "next_follow_up_on"], name="cust_owner_followup"),
            # The ids of one owner's (or the pool's) customers straight from the index, for
            # `customer_id IN (SELECT id ... WHERE owner ...)` (service.models.TicketQuerySet).
            models.Index(fields=["owner", "id"], name="cust_owner_id"),
            models.Index(fields=["last_contacted_at"], name="cust_contacted"),
            models.Index(fields=["level"], name="cust_level"),
            models.Index(fields=["status"], name="cust_status"),
            models.Index(fields=["kind"], name="cust_kind"),
            models.Index(fields=["industry"], name="cust_industry"),
            models.Index(fields=["source"], name="cust_source"),
            models.Index(fields=["segment"], name="cust_segment"),
            models.Index(fields=["completeness"], name="cust_completeness"),
            models.Index(fields=["phone"], name="cust_phone"),
            # The search's exact code match (code__iexact).
            models.Index(Upper("code"), name="cust_code_upper"),
            # Duplicate check on create: email matched case-insensitively.
            models.Index(Upper("email"), name="cust_email_upper"),
            models.Index(
                fields=["pool_entered_at"],
                name="cust_pool",
                condition=Q(owner__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if not self.code:
            self.code = self.new_code()
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("customers:customer-detail", args=[self.pk])

    @staticmethod
    def new_code() -> str:
        # Random rather than sequential: no counter row to lock, safe across processes; the
        # unique constraint is the final guard (a clash is ~1 in 16 million per month).
        return f"C{timezone.now():%y%m}{secrets.token_hex(3).upper()}"

    @property
    def in_pool(self) -> bool:
        return self.owner_id is None

    def missing_key_fields(self, *, has_contact: bool) -> list[str]:
        """Names of the key fields not filled, in the order of KEY_FIELDS."""
        missing = []
        for field in self.KEY_FIELDS.get(self.kind, ()):
            if field == "contacts":
                filled = has_contact
            else:
                value = getattr(self, field)
                filled = value is not None and str(value).strip() != ""
            if not filled:
                missing.append(field)
        return missing

    def completeness_for(self, *, has_contact: bool) -> int:
        fields = self.KEY_FIELDS.get(self.kind, ())
        if not fields:
            return 0
        filled = len(fields) - len(self.missing_key_fields(has_contact=has_contact))
        return round(100 * filled / len(fields))

    @classmethod
    def key_field_label(cls, field: str) -> str:
        if field == "contacts":
            return str(_("at least one contact"))
        return str(cls._meta.get_field(field).verbose_name)


class CustomerChildQuerySet(ScopedQuerySet):
    """Contacts and activities are seen by whoever sees their customer (pool included)."""

    def extra_visible_q(self, user) -> Q:
        return Q(customer__owner__isnull=True)


class ActivityQuerySet(CustomerChildQuerySet):
    """Activities on a customer follow the customer's scope; those on a lead not yet converted
    (no customer) are read through the lead (leads.Lead.activities), not listed here."""

    def extra_visible_q(self, user) -> Q:
        return Q(customer__isnull=False, customer__owner__isnull=True)


class Contact(models.Model):
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("name"), max_length=120, db_index=True)
    title = models.CharField(_("title"), max_length=120, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True, db_index=True)
    email = models.EmailField(_("email"), blank=True)
    wechat = models.CharField(_("WeChat"), max_length=60, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    history = HistoricalRecords()

    objects = CustomerChildQuerySet.as_manager()

    scope_owner_field = "customer__owner"
    scope_team_fields = ("customer__owner__team",)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-is_primary", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(is_primary=True),
                name="contact_one_primary_per_customer",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Activity(models.Model):
    """A follow-up: a call, a visit, a meeting... with its outcome and the next follow-up date."""

    class Kind(models.TextChoices):
        CALL = "call", _("Phone call")
        VISIT = "visit", _("Visit")
        MEETING = "meeting", _("Meeting")
        EMAIL = "email", pgettext_lazy("activity type", "Email")
        WECHAT = "wechat", _("WeChat")
        QQ = "qq", _("QQ")
        SMS = "sms", _("SMS")

    class Outcome(models.TextChoices):
        SUCCESS = "success", _("Success")
        NO_ANSWER = "no_answer", _("No answer")
        REJECTED = "rejected", _("Rejected")
        OTHER = "other", _("Other")

    # Logged either on a customer or on a lead (at least one, see the constraint); converting the
    # lead sets the new customer on its activities, so the history follows.
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="activities",
    )
    lead = models.ForeignKey(
        "leads.Lead",
        verbose_name=_("lead"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="activities",
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activities",
    )
    # A follow-up about a deal also shows on the opportunity's page.
    opportunity = models.ForeignKey(
        "opportunities.Opportunity",
        verbose_name=_("opportunity"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activities",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        related_name="activities",
    )
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices, default=Kind.CALL)
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=Outcome.choices, default=Outcome.SUCCESS
    )
    occurred_at = models.DateTimeField(_("when"))
    summary = models.TextField(_("summary"))
    next_follow_up_on = models.DateField(_("next follow-up"), null=True, blank=True)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    history = HistoricalRecords()

    objects = ActivityQuerySet.as_manager()

    scope_owner_field = "customer__owner"
    scope_team_fields = ("customer__owner__team",)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(customer__isnull=False) | Q(lead__isnull=False),
                name="activity_customer_or_lead",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "-occurred_at"], name="act_customer_time"),
            models.Index(fields=["lead", "-occurred_at"], name="act_lead_time"),
            # The visit-success KPI: one rep's visits in a period.
            models.Index(fields=["owner", "kind", "occurred_at"], name="act_owner_kind_time"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.customer or self.lead}"


class OwnershipChange(models.Model):
    """Every change of a customer's owner, with why. Written only by the services."""

    class Reason(models.TextChoices):
        CREATED = "created", _("Created")
        IMPORTED = "imported", _("Imported")
        CLAIMED = "claimed", _("Claimed from the pool")
        ASSIGNED = "assigned", _("Assigned by a manager")
        TRANSFERRED = "transferred", _("Transferred")
        RELEASED = "released", _("Released to the pool")
        RECLAIMED = "reclaimed", _("Returned to the pool by a rule")
        LEAD_CONVERTED = "lead_converted", _("Converted from a lead")

    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="ownership_changes",
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
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    note = models.CharField(_("note"), max_length=255, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("when"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("ownership change")
        verbose_name_plural = _("ownership changes")
        ordering = ["-changed_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-changed_at"], name="own_customer_time"),
            # Claim caps (claims today) and the cooldown (taken from whom, when).
            models.Index(fields=["to_user", "reason", "changed_at"], name="own_to_reason_time"),
            models.Index(fields=["from_user", "reason", "changed_at"], name="own_from_reason_time"),
        ]

    def __str__(self) -> str:
        return f"{self.customer}: {self.get_reason_display()}"


class PoolRule(models.Model):
    """Return a customer to the public pool after N days without something happening."""

    class Trigger(models.TextChoices):
        NO_ACTIVITY = "no_activity", _("No follow-up activity")
        NO_OPPORTUNITY = "no_opportunity", _("No new opportunity")
        NO_DEAL = "no_deal", _("No deal (counted order)")

    name = models.CharField(_("name"), max_length=120)
    level = models.CharField(
        _("customer level"),
        max_length=1,
        choices=Customer.Level.choices,
        blank=True,
        help_text=_("Empty: every level."),
    )
    trigger = models.CharField(_("trigger"), max_length=20, choices=Trigger.choices)
    days = models.PositiveIntegerField(_("days"))
    warn_days = models.PositiveIntegerField(
        _("warn days before"),
        default=7,
        help_text=_("The owner sees a warning in their follow-up list this many days before."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("pool rule")
        verbose_name_plural = _("pool rules")
        ordering = ["level", "trigger", "days"]

    def __str__(self) -> str:
        return self.name


class PoolSettings(models.Model):
    """Company-wide claiming limits (one row)."""

    daily_claim_limit = models.PositiveIntegerField(
        _("claims per rep per day"), default=10, help_text=_("0: no limit.")
    )
    max_owned = models.PositiveIntegerField(
        _("customers a rep may own"), default=500, help_text=_("0: no limit.")
    )
    reclaim_cooldown_days = models.PositiveIntegerField(
        _("cooldown days"),
        default=30,
        help_text=_(
            "Days before a rep may claim back a customer that was returned to the pool from them."
        ),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("pool settings")
        verbose_name_plural = _("pool settings")

    def __str__(self) -> str:
        return str(_("Pool settings"))

    @classmethod
    def current(cls) -> PoolSettings:
        obj = cls.objects.order_by("pk").first()
        return obj if obj is not None else cls.objects.create()
