"""Helpers of the computation tests."""

from __future__ import annotations

from decimal import Decimal

from crm.models import Position
from performance.metrics import Figure
from performance.models import KpiScheme
from tests.performance.factories import KpiSchemeFactory, KpiSchemeItemFactory


def fig(numerator, denominator=None) -> Figure:
    return Figure(
        Decimal(str(numerator)), None if denominator is None else Decimal(str(denominator))
    )


def scheme_with(
    items, *, position=Position.Kind.SALES_REP, status=KpiScheme.Status.ACTIVE, **kwargs
) -> KpiScheme:
    """A scheme of `position` with `items`: (metric, weight, target or "plan", cap=120)."""
    scheme = KpiSchemeFactory(position=Position.objects.get(kind=position), status=status, **kwargs)
    for order, spec in enumerate(items):
        metric, weight, target, *cap = spec
        KpiSchemeItemFactory(
            scheme=scheme,
            metric=metric,
            weight=Decimal(weight),
            target_source="plan" if target == "plan" else "fixed",
            target=None if target == "plan" else Decimal(target),
            cap=Decimal(cap[0]) if cap else Decimal("120"),
            sort_order=order,
        )
    return scheme
