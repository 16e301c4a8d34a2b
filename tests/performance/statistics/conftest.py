"""Fixtures of the custom-statistics tests: the positions with their default data scopes (the
performance tests run with --nomigrations, which skips the data migration that creates them),
and small builders of module rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.performance.statistics.factories import CustomStatisticFactory


def make_order(owner, total: str, *, day: dt.date = dt.date(2026, 10, 5), status="confirmed"):
    from orders.models import Order
    from tests.factories import CustomerFactory

    customer = CustomerFactory(owner=owner)
    return Order.objects.create(
        customer=customer,
        owner=owner,
        order_date=day,
        status=status,
        total=Decimal(total),
        list_total=Decimal(total),
    )


def make_payment(owner, amount: str, *, day: dt.date = dt.date(2026, 10, 8)):
    from orders.models import Payment, Receivable
    from tests.factories import CustomerFactory

    receivable = Receivable.objects.create(
        customer=CustomerFactory(owner=owner),
        owner=owner,
        amount=Decimal(amount),
        due_date=day,
    )
    return Payment.objects.create(receivable=receivable, amount=Decimal(amount), paid_on=day)


@pytest.fixture
def orders(org):
    """rep 100.50 + 200.00, teammate 300.00 (Shanghai); east_rep 50.00 (Hangzhou);
    other_team_rep 1000.00 (Beijing)."""
    make_order(org.rep, "100.50")
    make_order(org.rep, "200.00")
    make_order(org.teammate, "300.00")
    make_order(org.east_rep, "50.00")
    make_order(org.other_team_rep, "1000.00")


@pytest.fixture
def revenue(org, orders):
    """Planning's "order revenue per rep", shared with reps and regional managers."""
    return CustomStatisticFactory(
        name="Order revenue", owner=org.planner, positions=["sales_rep", "regional_manager"]
    )


def table(result) -> dict:
    """{username (owner grouping) or label: value}."""
    from crm.models import User

    names = dict(User.objects.values_list("pk", "username"))
    return {names.get(row.key, row.label): row.value for row in result.rows}
