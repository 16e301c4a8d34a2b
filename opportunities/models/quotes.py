"""Quotes (报价单 / 建议书): the priced proposal made from an opportunity, rendered to PDF.

Line amounts and totals are Decimal computed from the rows (a few lines per quote), rounded half
up to the cent per line, as on a printed quote: the total is the sum of the printed lines.
"""

from __future__ import annotations

import secrets
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from crm.scopes import ScopedQuerySet

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def _today():
    return timezone.localdate()


def _currency() -> str:
    return getattr(settings, "CRM_CURRENCY", "CNY")


class Quote(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENT = "sent", _("Sent")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    opportunity = models.ForeignKey(
        "opportunities.Opportunity",
        verbose_name=_("opportunity"),
        on_delete=models.CASCADE,
        related_name="quotes",
    )
    number = models.CharField(_("number"), max_length=32, unique=True, blank=True)
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    issued_on = models.DateField(_("date"), default=_today)
    valid_until = models.DateField(_("valid until"))
    currency = models.CharField(_("currency"), max_length=3, default=_currency)
    tax_rate = models.DecimalField(
        _("tax rate (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(HUNDRED)],
        help_text=_("Added on top of the line amounts (e.g. 13 for VAT). 0: none shown."),
    )
    terms = models.TextField(_("terms"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    objects = ScopedQuerySet.as_manager()

    scope_owner_field = "opportunity__owner"
    scope_team_fields = ("opportunity__owner__team",)

    class Meta:
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["opportunity", "-created_at"], name="quote_opp_time")]

    def __str__(self) -> str:
        return self.number or self.title

    def save(self, *args, **kwargs) -> None:
        if not self.number:
            self.number = f"Q{timezone.now():%y%m}{secrets.token_hex(3).upper()}"
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("opportunities:quote-detail", args=[self.pk])

    def totals(self, lines: list[QuoteLine] | None = None) -> dict[str, Decimal]:
        lines = list(self.lines.all()) if lines is None else lines
        gross = sum((line.gross for line in lines), Decimal("0.00"))
        net = sum((line.amount for line in lines), Decimal("0.00"))
        tax = (net * self.tax_rate / HUNDRED).quantize(CENT, ROUND_HALF_UP)
        return {"gross": gross, "discount": gross - net, "net": net, "tax": tax, "total": net + tax}


class QuoteLine(models.Model):
    quote = models.ForeignKey(
        Quote, verbose_name=_("quote"), on_delete=models.CASCADE, related_name="lines"
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    product = models.ForeignKey(
        "orders.Product",
        verbose_name=_("product"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    description = models.CharField(_("description"), max_length=255)
    quantity = models.DecimalField(
        _("quantity"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("1.00"),
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    unit_price = models.DecimalField(
        _("unit price"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0))],
    )
    discount_percent = models.DecimalField(
        _("discount (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(HUNDRED)],
    )

    class Meta:
        verbose_name = _("quote line")
        verbose_name_plural = _("quote lines")
        ordering = ["quote", "position", "id"]

    def __str__(self) -> str:
        return self.description

    @property
    def gross(self) -> Decimal:
        return (self.quantity * self.unit_price).quantize(CENT, ROUND_HALF_UP)

    @property
    def amount(self) -> Decimal:
        """Quantity x unit price, less the discount, to the cent."""
        factor = (HUNDRED - self.discount_percent) / HUNDRED
        return (self.quantity * self.unit_price * factor).quantize(CENT, ROUND_HALF_UP)
