"""Helpers of the sales plan tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from performance.models import SalesPlan

OCT = dt.date(2026, 10, 1)
SEP = dt.date(2026, 9, 1)


def plan(target, month=OCT, revenue="0", customers=0, visits=0) -> SalesPlan:
    """A plan of a team or a person (whichever `target` is)."""
    field = "team" if target.__class__.__name__ == "Team" else "user"
    return SalesPlan.objects.create(
        month=month,
        revenue_target=Decimal(revenue),
        new_customer_target=customers,
        visit_target=visits,
        **{field: target},
    )


def row_data(target, revenue="", customers="", visits="") -> dict[str, str]:
    """The POST data of one grid row."""
    prefix = ("t" if target.__class__.__name__ == "Team" else "u") + str(target.pk)
    return {
        f"{prefix}-revenue_target": str(revenue),
        f"{prefix}-new_customer_target": str(customers),
        f"{prefix}-visit_target": str(visits),
    }
