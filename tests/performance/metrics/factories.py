"""Helpers of the metrics tests: real rows through the apps' services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from customers.services import activity_log
from orders.models import Order
from orders.services import LineInput, order_create
from orders.services.finance import (
    Installment,
    expense_create,
    payment_record,
    receivables_schedule,
)
from service.models import Ticket
from service.services import ticket_open
from tests.orders.factories import ProductFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")


def d(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


def at(value: str) -> dt.datetime:
    """An aware datetime in Shanghai time: at("2026-10-31 23:30")."""
    return dt.datetime.fromisoformat(value).replace(tzinfo=SHANGHAI)


def product(list_price: str):
    return ProductFactory(sku=f"LP-{list_price}", list_price=Decimal(list_price))


def order(owner, customer, day: str, lines, status=Order.Status.CONFIRMED):
    """A counted (confirmed) order by default; `lines` as (quantity, unit price, list price)."""
    return order_create(
        by=owner,
        customer=customer,
        owner=owner,
        order_date=d(day),
        lines=[
            LineInput(product=product(lp), quantity=Decimal(str(q)), unit_price=Decimal(up))
            for q, up, lp in lines
        ],
        status=status,
    )


def receivables(order_, *installments: tuple[str, str]):
    """Receivables of an order: (percent, due date) each."""
    return receivables_schedule(
        by=order_.owner,
        order=order_,
        installments=[Installment(percent=Decimal(p), due_date=d(due)) for p, due in installments],
    )


def pay(receivable, amount: str, day: str):
    return payment_record(by=None, receivable=receivable, amount=Decimal(amount), paid_on=d(day))


def expense(owner, amount: str, day: str):
    return expense_create(by=owner, owner=owner, amount=Decimal(amount), spent_on=d(day))


def visit(owner, customer, when: str, outcome="success"):
    return activity_log(
        customer=customer,
        by=owner,
        kind="visit",
        outcome=outcome,
        summary="拜访",
        occurred_at=at(when),
    )


def complaint(customer, when: str, by=None):
    return ticket_open(
        customer=customer,
        by=by,
        summary="投诉 complaint",
        type=Ticket.Type.COMPLAINT,
        opened_at=at(when),
    )


def now_in_shanghai() -> dt.datetime:
    return timezone.localtime()
