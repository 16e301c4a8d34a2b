"""The dashboards over the real metrics of ../shared/KPIS.md (performance.figures): the rep's
plan completion against the worked example's scheme, and the team page's query count with
every KPI of that scheme computed live."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import UserFactory
from tests.performance.factories import SalesPlanFactory, worked_example_scheme

pytestmark = pytest.mark.django_db

OCT = dt.date(2026, 10, 12)


def test_plan_completion_on_the_reps_page(org, clients, sell):
    worked_example_scheme()
    SalesPlanFactory(user=org.rep, revenue_target=Decimal("100000.00"))
    sell(org.rep, "50000.00", OCT)
    sell(org.rep, "30000.00", OCT)
    response = clients.rep.get(reverse("performance:my-dashboard"), {"period": "2026-10"})
    cells = {cell.key: cell for cell in response.context["data"].cells}
    assert list(cells) == ["plan_completion", "collection", "retention", "complaint_rate"]
    completion = cells["plan_completion"]
    assert completion.actual_display == "80.00 %"
    assert completion.achievement_percent == "80.0 %"
    assert completion.rag == "red"
    assert cells["collection"].rag == "na"  # nothing collectible: undefined, grey


def test_team_page_query_count_with_real_metrics(org, clients, sell):
    worked_example_scheme()
    url = reverse("performance:team-dashboard")

    def count():
        with CaptureQueriesContext(connection) as queries:
            response = clients.manager.get(url, {"period": "2026-10"})
        assert response.status_code == 200
        return len(queries), len(response.context["data"].rows)

    sell(org.rep, "1000.00", OCT)
    count()  # warm up the session
    few, rows_few = count()
    for n in range(20):
        user = UserFactory(username=f"real{n}", team=org.shanghai, position="sales_rep")
        SalesPlanFactory(user=user)
    sell(org.teammate, "2000.00", OCT)
    many, rows_many = count()
    assert rows_many == rows_few + 20
    assert many == few
