"""The worked example of ../shared/KPIS.md, computed into a scorecard with the real metrics:
item scores 80.00, 24.69, 62.50, 15.00; total 53.41; grade D."""

from __future__ import annotations

from decimal import Decimal

from performance.compute import services
from performance.periods import Period
from tests.performance.factories import worked_example_scheme
from tests.performance.metrics.test_worked_example import build_worked_example


def test_worked_example_scorecard(org):
    build_worked_example(org.rep, org.service)
    worked_example_scheme()

    card = services.scorecard_compute(org.rep, Period.parse("2026-10"))

    items = {i.metric: i for i in card.items.all()}
    assert {k: i.score for k, i in items.items()} == {
        "plan_completion": Decimal("80.00"),
        "collection": Decimal("24.69"),
        "retention": Decimal("62.50"),
        "complaint_rate": Decimal("15.00"),
    }
    assert items["collection"].actual == Decimal("0.2222")
    assert (items["collection"].numerator, items["collection"].denominator) == (10000, 45000)
    assert card.total == Decimal("53.41")
    assert card.grade == "D"
