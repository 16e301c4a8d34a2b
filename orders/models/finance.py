"""Receivables (应收款: installments due), payments (回款) against them, and sales expenses."""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from crm.scopes import ScopedQuerySet


class Receivable(models.Model):
    """An installment due. It belongs to the owner of its order (or contract): `owner` is copied
    from there when it is created. `paid_amount` is the sum of its payments, kept by the payment
    service under a row lock; `status` follows from it."""

    class Status(models.TextChoices):
        # Not the verb "Open" (查看) of the links: a status, with its own translation.
        OPEN = "open", pgettext_lazy("receivable status", "Open")
        PARTLY_PAID = "partly_paid", _("Partly paid")
        PAID = "paid", _("Paid")

    code = models.CharField(_("code"), max_length=32, unique=True, blank=True)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="receivables",
    )
    order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("order"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="receivables",
    )
    contract = models.ForeignKey(
        "orders.Contract",
        verbose_name=_("contract"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="receivables",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="receivables",
    )
    label = models.CharField(_("installment"), max_length=120, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    due_date = models.DateField(_("due date"))
    paid_amount = models.DecimalField(
        _("paid"), max_digits=14, decimal_places=2, default=Decimal("0.00"), editable=False
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.OPEN, editable=False
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    scope_owner_field = "owner"
    scope_team_fields = ("owner__team",)

    class Meta:
        verbose_name = _("receivable")
        verbose_name_plural = _("receivables")
        ordering = ["due_date", "id"]
        indexes = [
            models.Index(fields=["owner", "due_date"], name="recv_owner_due"),
            # The lists' order for whoever sees many owners' receivables (a manager, finance,
            # an admin): the first page is read off the index instead of sorting them all.
            models.Index(fields=["due_date", "id"], name="recv_due_id"),
            models.Index(fields=["status", "due_date"], name="recv_status_due"),
            models.Index(fields=["customer", "due_date"], name="recv_customer_due"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="recv_amount_gt_0"),
            models.CheckConstraint(
                condition=models.Q(paid_amount__lte=models.F("amount")),
                name="recv_not_overpaid",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def save(self, *args, **kwargs) -> None:
        if not self.code:
            self.code = f"AR{timezone.localdate():%y%m}{secrets.token_hex(3).upper()}"
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("orders:receivable-detail", args=[self.pk])

    @property
    def outstanding(self) -> Decimal:
        return self.amount - self.paid_amount

    @classmethod
    def status_for(cls, amount: Decimal, paid: Decimal) -> str:
        if paid <= 0:
            return cls.Status.OPEN
        return cls.Status.PAID if paid >= amount else cls.Status.PARTLY_PAID


class Payment(models.Model):
    class Method(models.TextChoices):
        BANK = "bank_transfer", _("Bank transfer")
        CASH = "cash", _("Cash")
        CHEQUE = "cheque", _("Cheque")
        ALIPAY = "alipay", _("Alipay")
        WECHAT = "wechat_pay", _("WeChat Pay")
        ACCEPTANCE = "acceptance", _("Bank acceptance bill")
        OTHER = "other", _("Other")

    receivable = models.ForeignKey(
        Receivable,
        verbose_name=_("receivable"),
        on_delete=models.PROTECT,
        related_name="payments",
    )
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    paid_on = models.DateField(_("paid on"), default=timezone.localdate)
    method = models.CharField(
        _("method"), max_length=16, choices=Method.choices, default=Method.BANK
    )
    reference = models.CharField(_("reference"), max_length=120, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    scope_owner_field = "receivable__owner"
    scope_team_fields = ("receivable__owner__team",)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-paid_on", "-id"]
        indexes = [
            models.Index(fields=["receivable", "paid_on"], name="payment_recv_date"),
            models.Index(fields=["paid_on", "id"], name="payment_date_id"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_amount_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.receivable_id}: {self.amount} ({self.paid_on})"


class Expense(models.Model):
    """A sales expense entered by a rep, approved or rejected by their manager. Rejected ones
    are left out of the sales-expense KPI."""

    class Category(models.TextChoices):
        TRAVEL = "travel", _("Travel")
        ACCOMMODATION = "accommodation", _("Accommodation")
        MEALS = "meals", _("Meals and entertainment")
        GIFTS = "gifts", _("Gifts")
        TRANSPORT = "transport", _("Local transport")
        COMMUNICATION = "communication", _("Phone and communication")
        MARKETING = "marketing", _("Marketing and exhibitions")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rep"),
        on_delete=models.PROTECT,
        related_name="expenses",
    )
    spent_on = models.DateField(_("date"), default=timezone.localdate)
    category = models.CharField(
        _("category"), max_length=16, choices=Category.choices, default=Category.TRAVEL
    )
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    note = models.CharField(_("note"), max_length=255, blank=True)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=Status.choices,
        default=Status.SUBMITTED,
        editable=False,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True, editable=False)
    decision_comment = models.CharField(_("comment"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    scope_owner_field = "owner"
    scope_team_fields = ("owner__team",)

    class Meta:
        verbose_name = _("expense")
        verbose_name_plural = _("expenses")
        ordering = ["-spent_on", "-id"]
        indexes = [
            models.Index(fields=["owner", "spent_on"], name="expense_owner_date"),
            models.Index(fields=["status", "spent_on"], name="expense_status_date"),
            models.Index(fields=["category", "spent_on"], name="expense_category_date"),
            models.Index(fields=["spent_on", "id"], name="expense_date_id"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="expense_amount_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} {self.amount} ({self.spent_on})"

    def get_absolute_url(self) -> str:
        return reverse("orders:expense-list")
