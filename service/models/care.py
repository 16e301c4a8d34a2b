"""Customer care (客户关怀): rules configured by admins and the messages they send.

Every message is a CareMessage row created before anything is sent, under a unique idempotency
key "<rule>:c<customer>:<occasion>:<recipient>": a task that runs twice, or two workers at once,
can only insert it once, and a row is sent only while it is queued (under a row lock). See
docs/service.md.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from customers.models import Customer

PLACEHOLDER = re.compile(r"\{(\w+)\}")
PLACEHOLDERS = ("customer", "contact", "owner", "order", "contract", "ticket", "date", "days")


def render_template(text: str, values: dict[str, str]) -> str:
    """Fill {name} placeholders; an unknown one is left as written (never format(): a template
    written by an admin must not reach attributes of the values)."""
    return PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), text)


class CareRule(models.Model):
    class Trigger(models.TextChoices):
        CUSTOMER_BIRTHDAY = "customer_birthday", _("Customer's birthday")
        CONTACT_BIRTHDAY = "contact_birthday", _("Contact's birthday")
        AFTER_DELIVERY = "after_delivery", _("N days after an order is delivered")
        BEFORE_CONTRACT_END = "before_contract_end", _("N days before a contract ends")
        NO_FOLLOW_UP = "no_follow_up", _("No follow-up for N days")
        TICKET_CLOSED = "ticket_closed", _("N days after a ticket is closed (satisfaction survey)")

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        SMS = "sms", _("SMS")
        TASK = "task", _("In-app task for the owner")

    # Triggers whose N days matter (birthdays are on the day).
    USES_DAYS = {
        Trigger.AFTER_DELIVERY,
        Trigger.BEFORE_CONTRACT_END,
        Trigger.NO_FOLLOW_UP,
        Trigger.TICKET_CLOSED,
    }

    name = models.CharField(_("name"), max_length=120)
    trigger = models.CharField(_("trigger"), max_length=20, choices=Trigger.choices)
    days = models.PositiveIntegerField(
        _("days"), default=0, help_text=_("N of the trigger; not used for birthdays.")
    )
    customer_kind = models.CharField(
        _("customer kind"),
        max_length=10,
        blank=True,
        choices=Customer.Kind.choices,
        help_text=_("Empty: any."),
    )
    level = models.CharField(
        _("customer level"),
        max_length=1,
        blank=True,
        choices=Customer.Level.choices,
        help_text=_("Empty: any."),
    )
    segment = models.CharField(
        _("segment"),
        max_length=12,
        blank=True,
        choices=Customer.Segment.choices,
        help_text=_("Empty: any."),
    )
    channel = models.CharField(
        _("channel"), max_length=10, choices=Channel.choices, default=Channel.EMAIL
    )
    subject_en = models.CharField(_("subject (English)"), max_length=200, blank=True)
    body_en = models.TextField(_("message (English)"))
    subject_zh_hans = models.CharField(_("subject (Chinese)"), max_length=200, blank=True)
    body_zh_hans = models.TextField(_("message (Chinese)"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("care rule")
        verbose_name_plural = _("care rules")
        ordering = ["-is_active", "trigger", "name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("service:care-rule-update", args=[self.pk])

    def clean(self) -> None:
        errors = {}
        for field in ("subject_en", "body_en", "subject_zh_hans", "body_zh_hans"):
            unknown = sorted(set(PLACEHOLDER.findall(getattr(self, field))) - set(PLACEHOLDERS))
            if unknown:
                errors[field] = _("Unknown placeholder: %(names)s. Use %(known)s.") % {
                    "names": ", ".join(f"{{{n}}}" for n in unknown),
                    "known": ", ".join(f"{{{n}}}" for n in PLACEHOLDERS),
                }
        if self.channel == self.Channel.EMAIL and not self.subject_en:
            errors.setdefault("subject_en", _("An email needs a subject."))
        if self.body_zh_hans and self.channel == self.Channel.EMAIL and not self.subject_zh_hans:
            errors.setdefault("subject_zh_hans", _("An email needs a subject."))
        # (N may be 0 after a ticket closes: the survey goes out the same day.)
        needs_days = self.trigger in self.USES_DAYS and self.trigger != self.Trigger.TICKET_CLOSED
        if needs_days and not self.days:
            errors.setdefault("days", _("Give the number of days."))
        if errors:
            raise ValidationError(errors)

    def texts_for(self, language: str) -> tuple[str, str]:
        """(subject, body) in `language`, English when the rule has no text in it."""
        if language.startswith("zh") and self.body_zh_hans:
            return self.subject_zh_hans, self.body_zh_hans
        return self.subject_en, self.body_en


class CareMessage(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    rule = models.ForeignKey(
        CareRule, verbose_name=_("rule"), on_delete=models.PROTECT, related_name="messages"
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="care_messages",
    )
    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="care_messages",
    )
    channel = models.CharField(_("channel"), max_length=10, choices=CareRule.Channel.choices)
    # An email address, a phone number, or (in-app tasks) the owner's user id.
    recipient = models.CharField(_("recipient"), max_length=254)
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner to remind"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    occasion = models.CharField(_("occasion"), max_length=80)
    language = models.CharField(_("language"), max_length=10, default="en")
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("message"))
    url = models.CharField(_("link"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)

    class Meta:
        verbose_name = _("care message")
        verbose_name_plural = _("care messages")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="caremsg_status_time"),
            models.Index(fields=["customer", "-created_at"], name="caremsg_customer_time"),
            models.Index(fields=["rule", "-created_at"], name="caremsg_rule_time"),
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="queued"),
                name="caremsg_queued_next",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule} → {self.recipient}"
