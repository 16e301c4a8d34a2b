"""Factories of the performance app's tests, shared by its parts (add area-specific ones in
tests/performance/<area>/factories.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory

from crm.models import Position
from performance.models import (
    EvaluationPeriod,
    KpiScheme,
    KpiSchemeItem,
    SalesPlan,
    Scorecard,
    ScorecardItem,
)
from performance.periods import Period


class SalesPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SalesPlan

    month = dt.date(2026, 10, 1)
    revenue_target = Decimal("100000.00")
    new_customer_target = 4
    visit_target = 20


class KpiSchemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KpiScheme

    code = factory.Sequence(lambda n: f"scheme-{n}")
    name = factory.Sequence(lambda n: f"Scheme {n}")
    position = factory.LazyFunction(
        lambda: Position.objects.get_or_create(kind=Position.Kind.SALES_REP)[0]
    )
    status = KpiScheme.Status.ACTIVE


class KpiSchemeItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KpiSchemeItem

    scheme = factory.SubFactory(KpiSchemeFactory)
    metric = "plan_completion"
    weight = Decimal("40")
    target = Decimal("1.0")
    sort_order = factory.Sequence(int)


def worked_example_scheme(position_kind: str = Position.Kind.SALES_REP, **kwargs) -> KpiScheme:
    """The scheme of the worked example of ../shared/KPIS.md: plan_completion 40 / 1.0,
    collection 30 / 0.9, retention 20 / 0.8, complaint_rate 10 / 0.05."""
    position = Position.objects.get_or_create(kind=position_kind)[0]
    scheme = KpiSchemeFactory(position=position, **kwargs)
    for order, (metric, weight, target) in enumerate(
        [
            ("plan_completion", "40", "1.0"),
            ("collection", "30", "0.9"),
            ("retention", "20", "0.8"),
            ("complaint_rate", "10", "0.05"),
        ]
    ):
        KpiSchemeItemFactory(
            scheme=scheme,
            metric=metric,
            weight=Decimal(weight),
            target=Decimal(target),
            sort_order=order,
        )
    return scheme


def evaluation_period(key: str = "2026-10") -> EvaluationPeriod:
    return EvaluationPeriod.for_period(Period.parse(key))


class ScorecardFactory(factory.django.DjangoModelFactory):
    """A scorecard with no items (add ScorecardItemFactory rows, or compute it for real)."""

    class Meta:
        model = Scorecard

    period = factory.LazyFunction(evaluation_period)
    scheme = factory.SubFactory(KpiSchemeFactory)
    team = factory.LazyAttribute(lambda o: o.user.team)
    computed_total = Decimal("90.00")
    total = Decimal("90.00")
    grade = "B"


class ScorecardItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ScorecardItem

    scorecard = factory.SubFactory(ScorecardFactory)
    scheme_item = factory.SubFactory(
        KpiSchemeItemFactory, scheme=factory.SelfAttribute("..scorecard.scheme")
    )
    metric = factory.SelfAttribute("scheme_item.metric")
    weight = factory.SelfAttribute("scheme_item.weight")
    cap = Decimal("120")
    actual = Decimal("0.9000")
    target = Decimal("1.0000")
    achievement = Decimal("0.9000")
    score = Decimal("90.00")
