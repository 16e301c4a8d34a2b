"""Contracts: numbered from a pattern, approved by a manager above a threshold, rendered to PDF
from an admin-editable template (docs/orders.md)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from crm.scopes import ScopedQuerySet

DEFAULT_NUMBER_PATTERN = "HT-{yyyy}-{seq:05d}"
DEFAULT_APPROVAL_THRESHOLD = Decimal("100000.00")


def number_pattern() -> str:
    return getattr(settings, "CRM_CONTRACT_NUMBER_PATTERN", DEFAULT_NUMBER_PATTERN)


def approval_threshold() -> Decimal:
    """Contracts above this amount need the manager's approval (setting
    CRM_CONTRACT_APPROVAL_THRESHOLD, default 100,000.00)."""
    value = getattr(settings, "CRM_CONTRACT_APPROVAL_THRESHOLD", DEFAULT_APPROVAL_THRESHOLD)
    return Decimal(str(value))


class Contract(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PENDING = "pending_approval", _("Pending approval")
        APPROVED = "approved", _("Approved")
        SIGNED = "signed", _("Signed")
        EXPIRED = "expired", _("Expired")
        TERMINATED = "terminated", _("Terminated")

    number = models.CharField(_("number"), max_length=40, unique=True, blank=True)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("order"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    opportunity = models.ForeignKey(
        "opportunities.Opportunity",
        verbose_name=_("opportunity"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contracts",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    title = models.CharField(_("title"), max_length=200)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    start_on = models.DateField(_("start"), null=True, blank=True)
    end_on = models.DateField(_("end"), null=True, blank=True, db_index=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    terms = models.TextField(_("terms"), blank=True)
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approver"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contracts_to_approve",
    )
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

    objects = ScopedQuerySet.as_manager()

    scope_owner_field = "owner"
    scope_team_fields = ("owner__team",)

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "created_at"], name="contract_customer"),
            models.Index(fields=["owner", "created_at"], name="contract_owner"),
            models.Index(fields=["status", "end_on"], name="contract_status_end"),
            models.Index(fields=["approver", "status"], name="contract_approver"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="contract_amount_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("orders:contract-detail", args=[self.pk])

    @property
    def needs_approval(self) -> bool:
        return self.amount > approval_threshold()


class ContractCounter(models.Model):
    """The last sequence number used per year; locked with SELECT ... FOR UPDATE while a number
    is taken, so two processes never take the same one."""

    year = models.PositiveIntegerField(_("year"), unique=True)
    last = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("contract number counter")
        verbose_name_plural = _("contract number counters")

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class ContractApproval(models.Model):
    """A manager's decision on a contract submitted for approval."""

    class Decision(models.TextChoices):
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.CASCADE, related_name="approvals"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    comment = models.TextField(_("comment"), blank=True)
    decided_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("contract approval")
        verbose_name_plural = _("contract approvals")
        ordering = ["contract", "decided_at", "id"]

    def __str__(self) -> str:
        return f"{self.contract_id}: {self.decision}"


class ContractTemplate(models.Model):
    """Django template source of the contract document, edited by admins. The default one is
    used for every new document (the first by name when none is marked default)."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    source = models.TextField(
        _("template source"),
        help_text=_(
            "Django template language; available: contract, customer, owner, order, lines, "
            "currency, today. Extend “pdf/base.html” for the page layout and CJK font."
        ),
    )
    is_default = models.BooleanField(_("default"), default=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("contract template")
        verbose_name_plural = _("contract templates")
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="contracttemplate_one_default",
            )
        ]

    def __str__(self) -> str:
        return self.name


def document_path(instance: ContractDocument, filename: str) -> str:
    now = timezone.now()
    return f"contracts/{now:%Y/%m}/{filename}"


class ContractDocument(models.Model):
    """A generated PDF of a contract. Every generation is kept: what was sent stays on file."""

    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.CASCADE, related_name="documents"
    )
    file = models.FileField(_("file"), upload_to=document_path)
    template = models.ForeignKey(
        ContractTemplate,
        verbose_name=_("template"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    generated_at = models.DateTimeField(_("generated"), default=timezone.now)

    class Meta:
        verbose_name = _("contract document")
        verbose_name_plural = _("contract documents")
        ordering = ["contract", "-generated_at", "-id"]

    def __str__(self) -> str:
        return self.file.name
