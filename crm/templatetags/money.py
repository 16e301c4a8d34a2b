"""`{% load money %}{{ amount|money }}`: an amount with the currency of settings.CRM_CURRENCY
(¥ for CNY), thousands separators and two decimals. Formatted from the Decimal itself, never
through a float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.conf import settings

register = template.Library()

SYMBOLS = {
    "CNY": "¥",
    "RMB": "¥",
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "JPY": "¥",
    "HKD": "HK$",
    "TWD": "NT$",
    "SGD": "S$",
    "KRW": "₩",
}
CENT = Decimal("0.01")


def currency_symbol(code: str | None = None) -> str:
    code = (code or getattr(settings, "CRM_CURRENCY", "CNY")).upper()
    return SYMBOLS.get(code, f"{code} ")


def format_money(value, currency: str | None = None, *, symbol: bool = True) -> str:
    """`Decimal("-12345.6")` -> "-¥12,345.60"; "" for None or something not a number."""
    if value is None or value == "" or isinstance(value, float):
        # A float has already lost the cents: refuse to show it as money.
        return "" if value in (None, "") else "?"
    try:
        amount = Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return ""
    sign = "-" if amount < 0 else ""
    text = f"{abs(amount):,.2f}"
    return f"{sign}{currency_symbol(currency) if symbol else ''}{text}"


@register.filter(name="money")
def money_filter(value, currency: str | None = None) -> str:
    return format_money(value, currency)


@register.filter(name="amount")
def amount_filter(value) -> str:
    """The number without a currency symbol (table cells under a "¥" header)."""
    return format_money(value, symbol=False)


@register.simple_tag
def currency() -> str:
    return currency_symbol()
