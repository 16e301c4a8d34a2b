"""The red / amber / green thresholds, ranks with ties, and live cells scored like items."""

from __future__ import annotations

from decimal import Decimal

import pytest

from performance.dashboards import kpis, selectors
from performance.metrics import Figure
from performance.periods import Period


@pytest.mark.parametrize(
    ("achievement", "expected"),
    [
        (Decimal("1.2"), "green"),
        (Decimal("1"), "green"),
        (Decimal("0.9999"), "amber"),
        (Decimal("0.85"), "amber"),
        (Decimal("0.8499"), "red"),
        (Decimal("0"), "red"),
        (None, "na"),
    ],
)
def test_rag_thresholds(achievement, expected):
    assert kpis.rag(achievement) == expected


def test_competition_ranks_share_places_and_skip():
    values = [Decimal("90"), Decimal("95"), Decimal("90"), None, Decimal("80")]
    assert selectors.competition_ranks(values) == [2, 1, 2, None, 4]


def test_trend_months_end_with_the_period():
    months = selectors.trend_months(Period.parse("2026-Q4"))
    assert [m.key for m in months][:2] == ["2026-01", "2026-02"]
    assert months[-1].key == "2026-12"
    assert len(months) == 12


def test_live_cell_lower_is_better_and_undefined(test_metrics):
    # Unregistered metric: shows the raw value, no status.
    cell = kpis.cell_from_figure("unknown_metric", Figure(Decimal(3)), Decimal(2), Decimal(120))
    assert cell.rag == "na"
    assert cell.actual_display == "3"
    # A rate with nothing to divide by is undefined: grey, "n/a".
    cell = kpis.cell_from_figure(
        "dash_big_rate", Figure(Decimal(0), Decimal(0)), Decimal("0.5"), Decimal(120)
    )
    assert cell.rag == "na"
    assert cell.actual_display == "n/a"
    # 1 of 2 against 0.5: exactly on target.
    cell = kpis.cell_from_figure(
        "dash_big_rate", Figure(Decimal(1), Decimal(2)), Decimal("0.5"), Decimal(120)
    )
    assert (cell.rag, cell.actual_display, cell.achievement_percent) == (
        "green",
        "50.00 %",
        "100.0 %",
    )


def test_team_figure_is_sum_over_sum_not_mean_of_rates(test_metrics):
    figure = kpis.combined(
        "dash_big_rate", [Figure(Decimal(1), Decimal(2)), Figure(Decimal(0), Decimal(1))]
    )
    assert figure.value == Decimal("0.3333")  # not (0.5 + 0) / 2


@pytest.mark.django_db
def test_targets_from_the_plan(test_metrics):
    from performance.models import KpiSchemeItem
    from tests.performance.factories import KpiSchemeFactory, KpiSchemeItemFactory

    scheme = KpiSchemeFactory(status="draft")
    plan = {"revenue_target": Decimal("100000"), "new_customer_target": Decimal("4")}
    fixed = KpiSchemeItemFactory(scheme=scheme, metric="dash_orders", target=Decimal("7"))
    assert kpis.item_target(fixed, plan) == Decimal("7")
    from_plan = KpiSchemeItemFactory(
        scheme=scheme,
        metric="new_customers",
        target=None,
        target_source=KpiSchemeItem.TargetSource.PLAN,
    )
    assert kpis.item_target(from_plan, plan) == Decimal("4")
    assert kpis.item_target(from_plan, None) is None  # no plan: undefined, never 0
    rate = KpiSchemeItemFactory(
        scheme=scheme,
        metric="plan_completion",
        target=None,
        target_source=KpiSchemeItem.TargetSource.PLAN,
    )
    assert kpis.item_target(rate, plan) == Decimal(1)  # a rate against the plan: 100 %
