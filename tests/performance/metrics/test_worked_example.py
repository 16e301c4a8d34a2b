"""The worked example of ../shared/KPIS.md, built with real rows through the apps' services and
read back through `manage.py kpi_report`, to the cent; then scored with its scheme."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command

from orders.models import Order
from performance import scoring
from performance.figures import figures_for
from performance.metrics import CONTRACT_KEYS, get_metric
from performance.periods import Period
from tests.factories import CustomerFactory
from tests.performance.factories import (
    SalesPlanFactory,
    ScorecardFactory,
    evaluation_period,
    worked_example_scheme,
)
from tests.performance.metrics.factories import (
    at,
    complaint,
    d,
    expense,
    order,
    pay,
    receivables,
    visit,
)

P = Period.parse("2026-10")


def build_worked_example(u, service_user):
    """Every row of the worked example for rep `u`; returns the customers by letter."""
    a, b, c, dd = (
        CustomerFactory(name=f"{x} 客户", owner=u, created_at=at("2026-01-05 09:00"))
        for x in "ABCD"
    )
    SalesPlanFactory(
        user=u, month=d("2026-10-01"), revenue_target=Decimal("100000.00"), new_customer_target=4
    )
    # Earlier history: B last ordered in 2026-03; in P' U sold to A and D, 60,000.00 in all.
    order(u, b, "2026-03-15", [(1, "5000.00", "5000.00")])
    a_before = order(u, a, "2026-09-05", [(2, "10000.00", "10000.00")])
    order(u, dd, "2026-09-10", [(4, "10000.00", "10000.00")])
    # Counted orders in P.
    one = order(u, a, "2026-10-08", [(2, "10000.00", "12000.00")])
    two = order(u, b, "2026-10-12", [(1, "30000.00", "30000.00")])
    order(u, c, "2026-10-20", [(5, "6000.00", "6000.00")])
    order(u, a, "2026-10-25", [(1, "50000.00", "50000.00")], status=Order.Status.CANCELLED)
    expense(u, "4000.00", "2026-10-15")
    for i, outcome in enumerate(["success", "success", "success", "no_answer", "rejected"]):
        visit(u, a, f"2026-10-{10 + i} 10:00", outcome)
    complaint(b, "2026-10-18 09:00", by=service_user)
    # Receivables: R1 (A's September order), R2 (order #2), R3 (40 % of order #1).
    (r1,) = receivables(a_before, ("100", "2026-09-20"))
    pay(r1, "5000.00", "2026-09-25")
    pay(r1, "10000.00", "2026-10-05")
    (r2,) = receivables(two, ("100", "2026-10-31"))
    pay(r2, "30000.00", "2026-11-02")
    r3, _later = receivables(one, ("40", "2026-11-15"), ("60", "2026-12-15"))
    assert r3.amount == Decimal("8000.00")
    pay(r3, "8000.00", "2026-10-10")
    return {"A": a, "B": b, "C": c, "D": dd}


EXPECTED = {
    "plan_completion": "0.8000",
    "sales_growth": "0.3333",
    "price_retention": "0.9524",
    "expense_ratio": "0.0500",
    "collection": "0.2222",
    "visit_success": "0.6000",
    "complaint_rate": "0.3333",
    "new_customers": "1",
    "new_customer_rate": "0.2500",
    "retention": "0.5000",
}


@pytest.fixture
def example(org):
    build_worked_example(org.rep, org.service)
    return org


def _report(*args) -> list[dict]:
    out = io.StringIO()
    call_command("kpi_report", "--period", "2026-10", *args, stdout=out)
    return list(csv.DictReader(io.StringIO(out.getvalue())))


def test_kpi_report_reproduces_the_worked_example(example):
    rows = {r["username"]: r for r in _report()}
    row = rows["rep"]
    assert list(row) == ["username", *CONTRACT_KEYS, "total", "grade"]
    for key, value in EXPECTED.items():
        assert row[key] == value, key
    # Every customer owned by rep has no key field filled and no contact: 0 %, not n/a.
    assert row["info_completeness"] == "0.0000"
    assert row["total"] == ""
    assert row["grade"] == ""
    # Another rep with nothing at all: every rate undefined (blank), counts 0.
    other = rows["other_team_rep"]
    assert other["plan_completion"] == ""
    assert other["collection"] == ""
    assert other["new_customers"] == "0"
    # Planning and HR cannot own records: not listed by default.
    assert "planner" not in rows
    assert "hr" not in rows


def test_revenue_and_the_scheme_scores_of_the_worked_example(example):
    figures = figures_for([example.rep.pk], P)[example.rep.pk]
    assert figures["revenue"].value == Decimal("80000.00")
    scheme = worked_example_scheme()
    scored = []
    for item in scheme.items.order_by("sort_order"):
        metric = get_metric(item.metric)
        result = scoring.score_item(
            figures[item.metric].exact,
            item.target,
            lower_is_better=metric.direction == "lower",
            cap=Decimal("120"),
        )
        scored.append((item.weight, result.score))
    assert [s for _w, s in scored] == [
        Decimal("80.00"),
        Decimal("24.69"),
        Decimal("62.50"),
        Decimal("15.00"),
    ]
    total = scoring.weighted_total(scored)
    assert total == Decimal("53.41")
    assert scoring.grade(total) == "D"


def test_kpi_report_prints_the_scorecard_total_and_grade(example):
    ScorecardFactory(
        user=example.rep,
        period=evaluation_period("2026-10"),
        computed_total=Decimal("53.41"),
        total=Decimal("53.41"),
        grade="D",
    )
    row = {r["username"]: r for r in _report("--team", "Hengtai/East/Shanghai")}["rep"]
    assert (row["total"], row["grade"]) == ("53.41", "D")


def test_kpi_report_json_has_nulls_for_undefined(example):
    out = io.StringIO()
    call_command("kpi_report", "--period", "2026-10", "--format", "json", stdout=out)
    data = {r["username"]: r for r in json.loads(out.getvalue())}
    assert data["rep"]["collection"] == "0.2222"
    assert data["rep"]["total"] is None
    assert data["rep"]["grade"] is None
    assert data["east_rep"]["plan_completion"] is None
