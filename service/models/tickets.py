"""Service tickets and the flows they move through.

A flow (ToB or ToC) is an ordered list of steps defined by admins; a ticket sits on one step of
its flow and moves forward (or back one step) through `service.services.ticket_move`, each move
leaving a TicketEvent row. Reaching a final step closes the ticket.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from crm.scopes import DataScope, ScopedQuerySet, reach_of, scope_q
from customers.models import Customer


class ServiceFlow(models.Model):
    class Kind(models.TextChoices):
        TOB = "tob", _("ToB (company customers)")
        TOC = "toc", _("ToC (person customers)")

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=3, choices=Kind.choices)
    is_default = models.BooleanField(
        _("default"),
        default=False,
        help_text=_("New tickets of this kind of customer use the default flow."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("service flow")
        verbose_name_plural = _("service flows")
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind"], condition=Q(is_default=True), name="flow_one_default_per_kind"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def kind_for_customer(cls, customer) -> str:
        return cls.Kind.TOC if customer.kind == "person" else cls.Kind.TOB


class FlowStep(models.Model):
    flow = models.ForeignKey(
        ServiceFlow, verbose_name=_("flow"), on_delete=models.CASCADE, related_name="steps"
    )
    position = models.PositiveSmallIntegerField(_("position"))
    name = models.CharField(_("name"), max_length=80)
    is_final = models.BooleanField(
        _("final"), default=False, help_text=_("Reaching this step closes the ticket.")
    )
    needs_assignee = models.BooleanField(
        _("needs an assignee"),
        default=False,
        help_text=_("A ticket can only reach this step once someone is assigned."),
    )
    needs_resolution = models.BooleanField(
        _("needs the resolution"),
        default=False,
        help_text=_("Moving a ticket to this step asks for the resolution."),
    )
    needs_customer_confirmation = models.BooleanField(
        _("needs customer confirmation"),
        default=False,
        help_text=_(
            "Moving a ticket to this step records that the customer confirmed the solution, "
            "with their satisfaction."
        ),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("flow step")
        verbose_name_plural = _("flow steps")
        ordering = ["flow", "position"]
        constraints = [
            models.UniqueConstraint(fields=["flow", "position"], name="flowstep_unique_position"),
        ]

    def __str__(self) -> str:
        return self.name


class ServiceSettings(models.Model):
    """Company-wide service targets (one row): hours to resolve a ticket, by priority."""

    hours_urgent = models.PositiveIntegerField(_("hours for urgent tickets"), default=4)
    hours_high = models.PositiveIntegerField(_("hours for high-priority tickets"), default=24)
    hours_normal = models.PositiveIntegerField(_("hours for normal tickets"), default=72)
    hours_low = models.PositiveIntegerField(_("hours for low-priority tickets"), default=168)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("service settings")
        verbose_name_plural = _("service settings")

    def __str__(self) -> str:
        return str(_("Service settings"))

    @classmethod
    def current(cls) -> ServiceSettings:
        obj = cls.objects.order_by("pk").first()
        return obj if obj is not None else cls.objects.create()

    def due_at(self, priority: str, opened_at: dt.datetime) -> dt.datetime:
        return opened_at + dt.timedelta(hours=getattr(self, f"hours_{priority}"))


class TicketQuerySet(ScopedQuerySet):
    """Tickets follow their customer's scope; the assignee always sees their tickets, and
    everyone who sees anything sees those of public-pool customers (as they see the customer).
    Customer service staff see every ticket through their position (may see: everything)."""

    def visible_to(self, user, *, bulk: bool = False) -> TicketQuerySet:
        """The tickets `user` sees. `bulk=True` gives the same rows written for lists and totals
        over many customers' tickets; the default suits one ticket or one customer's tickets.

        By default the customer part is a join to the customer (`scope_owner_field`), looked
        up once per ticket: instant for one ticket, but the ticket list's capped count took
        0.4-1.5 s for a rep or a team manager at 1,000,000 customers (59,730 tickets, each
        looking up its customer). In bulk it is two sub-selects on the customer table, one for
        the customer's scope and one for the customers everyone sees (the pool): `customer_id
        IN (SELECT id ... WHERE owner ...) OR customer_id IN (SELECT id ... WHERE owner IS
        NULL) OR assignee = me`. PostgreSQL reads each set once from the (owner, id) index and
        checks every ticket against them: a fixed cost (tens of ms), worth it for a list, not
        for one ticket. (One sub-select OR-ing both conditions scans the whole customer table.)"""
        if not bulk or reach_of(user).level in (DataScope.ALL, DataScope.NONE):
            return super().visible_to(user)
        customers = Customer.objects.all()
        scoped = customers.filter(scope_q(user, Customer)).values("pk")
        public = customers.filter(customers.extra_visible_q(user)).values("pk")
        return self.filter(Q(customer__in=scoped) | Q(customer__in=public) | Q(assignee=user.pk))

    def extra_visible_q(self, user) -> Q:
        return Q(customer__owner__isnull=True) | Q(assignee=user.pk)

    def open(self) -> TicketQuerySet:
        return self.filter(closed_at__isnull=True)

    def overdue(self, now: dt.datetime | None = None) -> TicketQuerySet:
        return self.open().filter(due_at__lt=now or timezone.now())


class Ticket(models.Model):
    class Type(models.TextChoices):
        COMPLAINT = "complaint", _("Complaint")
        INQUIRY = "inquiry", _("Inquiry")
        REPAIR = "repair", _("Repair / after-sales")
        OTHER = "other", _("Other")

    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("Email")
        WECHAT = "wechat", _("WeChat")
        QQ = "qq", _("QQ")
        WEB = "web", _("Web")
        VISIT = "visit", _("Visit")

    class Priority(models.TextChoices):
        URGENT = "urgent", _("Urgent")
        HIGH = "high", _("High")
        NORMAL = "normal", _("Normal")
        LOW = "low", _("Low")

    number = models.CharField(_("number"), max_length=20, unique=True, editable=False)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
    )
    type = models.CharField(_("type"), max_length=10, choices=Type.choices, default=Type.INQUIRY)
    channel = models.CharField(
        _("channel"), max_length=10, choices=Channel.choices, default=Channel.PHONE
    )
    summary = models.CharField(_("summary"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    flow = models.ForeignKey(
        ServiceFlow, verbose_name=_("flow"), on_delete=models.PROTECT, related_name="tickets"
    )
    step = models.ForeignKey(
        FlowStep, verbose_name=_("status"), on_delete=models.PROTECT, related_name="tickets"
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_tickets",
    )
    # The customer's owner when the ticket was opened: the complaint KPI counts complaints
    # against the rep who owned the customer then, not whoever owns it today.
    customer_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("customer's owner when opened"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    due_at = models.DateTimeField(_("due"))
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("The customer's satisfaction, 1 (very unhappy) to 5 (very happy)."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    history = HistoricalRecords()

    objects = TicketQuerySet.as_manager()

    scope_owner_field = "customer__owner"
    scope_team_fields = ("customer__owner__team",)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True)
                | Q(satisfaction__gte=1, satisfaction__lte=5),
                name="ticket_satisfaction_1_5",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "-opened_at"], name="ticket_customer_time"),
            models.Index(fields=["assignee", "closed_at", "due_at"], name="ticket_assignee"),
            models.Index(
                fields=["due_at"], condition=Q(closed_at__isnull=True), name="ticket_open_due"
            ),
            models.Index(
                fields=["opened_at"],
                condition=Q(closed_at__isnull=True, assignee__isnull=True),
                name="ticket_queue",
            ),
            # The complaint KPI: one rep's complaints in a period.
            models.Index(
                fields=["customer_owner", "type", "opened_at"], name="ticket_owner_type_time"
            ),
            models.Index(fields=["-opened_at"], name="ticket_opened"),
        ]

    def __str__(self) -> str:
        return f"{self.number} · {self.summary}"

    def save(self, *args, **kwargs) -> None:
        if not self.number:
            # Random like customer codes: no counter row to lock across processes.
            self.number = f"T{timezone.now():%y%m}{secrets.token_hex(3).upper()}"
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("service:ticket-detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_at < timezone.now()


class TicketEvent(models.Model):
    """One line of a ticket's history: opened, assigned, moved, commented, reopened."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("Opened")
        ASSIGNED = "assigned", _("Assigned")
        MOVED = "moved", _("Moved")
        COMMENT = "comment", _("Comment")
        REOPENED = "reopened", _("Reopened")
        CHANGED = "changed", _("Changed")

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    from_step = models.ForeignKey(
        FlowStep,
        verbose_name=_("from"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    to_step = models.ForeignKey(
        FlowStep,
        verbose_name=_("to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["ticket", "at"], name="ticketevent_ticket_time")]

    def __str__(self) -> str:
        return f"{self.ticket.number}: {self.get_kind_display()}"
