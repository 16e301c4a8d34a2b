"""The company page: every team compared (combined figures, revenue against the team's plan),
the distribution of grades, a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import UserFactory
from tests.performance.factories import SalesPlanFactory, ScorecardFactory

pytestmark = pytest.mark.django_db

COMPANY = reverse("performance:company-dashboard")
OCT = dt.date(2026, 10, 12)


def test_teams_compared(org, clients, rep_scheme, sell):
    sell(org.rep, "20000.00", OCT)
    sell(org.teammate, "2000.00", OCT)
    sell(org.east_rep, "8000.00", OCT)
    sell(org.other_team_rep, "40000.00", OCT)
    SalesPlanFactory(team=org.shanghai, revenue_target=Decimal("20000.00"))
    SalesPlanFactory(team=org.company, revenue_target=Decimal("100000.00"))
    response = clients.vp.get(COMPANY, {"period": "2026-10"})
    data = response.context["data"]
    rows = {row.team.name: row for row in data.rows}
    assert rows["Shanghai"].revenue == Decimal("22000.00")
    assert rows["East"].revenue == Decimal("30000.00")  # Shanghai + Hangzhou
    assert rows["North"].revenue == Decimal("40000.00")
    assert rows["Shanghai"].completion.rag == "green"  # 110 %
    assert rows["Hangzhou"].revenue_target is None
    assert rows["Hangzhou"].completion.rag == "na"
    assert data.company.revenue == Decimal("70000.00")
    assert data.company.completion.rag == "red"  # 70 %
    shanghai = {cell.key: cell for cell in rows["Shanghai"].cells}
    assert shanghai["dash_orders"].actual == Decimal(2)
    assert shanghai["dash_big_rate"].actual_display == "50.00 %"  # 1 of 2
    company = {cell.key: cell for cell in data.company.cells}
    assert company["dash_big_rate"].actual_display == "50.00 %"  # 2 of 4
    chart = response.context["teams_chart"]
    assert chart["labels"][:2] == ["East", "Shanghai"]
    assert chart["datasets"][0]["data"][1] == "22000.00"


def test_distribution_of_grades(org, clients, rep_scheme):
    for user, grade in (
        (org.rep, "A"),
        (org.teammate, "B"),
        (org.east_rep, "B"),
        (org.other_team_rep, "D"),
    ):
        ScorecardFactory(user=user, scheme=rep_scheme, grade=grade)
    response = clients.hr.get(COMPANY, {"period": "2026-10"})
    data = response.context["data"]
    grades = {row.grade: (row.count, row.percent) for row in data.grades}
    assert grades["B"] == (2, Decimal("50.0"))
    assert grades["A"] == (1, Decimal("25.0"))
    assert grades["S"] == (0, Decimal("0.0"))
    assert data.graded == 4
    assert response.context["grades_chart"]["datasets"][0]["data"] == ["0", "1", "2", "0", "1"]
    assert 'data-grade="B"' in response.content.decode()


def test_query_count_is_fixed(org, clients, rep_scheme, sell):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert clients.vp.get(COMPANY, {"period": "2026-10"}).status_code == 200
        return len(queries)

    count()  # warm up: the first request of a session does its own bookkeeping
    few = count()
    for n in range(20):
        user = UserFactory(username=f"north{n}", team=org.beijing, position="sales_rep")
        ScorecardFactory(user=user, scheme=rep_scheme)
    sell(org.other_team_rep, "10.00", OCT)
    assert count() == few
