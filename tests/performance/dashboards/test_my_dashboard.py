"""The rep's own page: this period so far against their scheme, 12 months of revenue and
published totals, rank in the team, published scorecards only, and nobody else's figures."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from performance.models import Scorecard
from tests.performance.factories import SalesPlanFactory, ScorecardFactory, evaluation_period

pytestmark = pytest.mark.django_db

MY = reverse("performance:my-dashboard")
OCT = dt.date(2026, 10, 12)


@pytest.fixture
def october(org, sell, rep_scheme):
    """rep: 20,000 + 5,000 in October (1 big of 2), 7,000 in September; teammate 30,000 in
    October; a cancelled order of the rep is ignored; Beijing sells 90,000."""
    sell(org.rep, "20000.00", OCT)
    sell(org.rep, "5000.00", OCT)
    sell(org.rep, "50000.00", OCT, status="cancelled")
    sell(org.rep, "7000.00", dt.date(2026, 9, 3))
    sell(org.teammate, "30000.00", OCT)
    sell(org.other_team_rep, "90000.00", OCT)
    SalesPlanFactory(user=org.rep, month=dt.date(2026, 10, 1), revenue_target=Decimal("30000"))


def test_this_period_against_the_scheme(org, clients, october):
    response = clients.rep.get(MY, {"period": "2026-10"})
    data = response.context["data"]
    assert data.revenue == Decimal("25000.00")
    assert data.revenue_target == Decimal("30000.00")
    assert data.revenue_cell.rag == "red"  # 83.3 %: amber starts at 85 %
    cells = {cell.key: cell for cell in data.cells}
    assert cells["dash_orders"].actual == Decimal(2)
    assert cells["dash_orders"].rag == "green"
    assert cells["dash_big_rate"].actual == Decimal("0.5000")
    assert cells["dash_big_rate"].rag == "green"
    html = response.content.decode()
    assert 'data-kpi="dash_orders" data-rag="green"' in html


def test_revenue_status_against_plan(org, clients, october):
    data = clients.rep.get(MY, {"period": "2026-10"}).context["data"]
    # 25,000 of 30,000 = 83.3 %: red (amber starts at 85 %).
    assert data.revenue_cell.achievement_percent == "83.3 %"
    SalesPlanFactory(user=org.teammate, revenue_target=Decimal("29411.77"))  # 30,000: 102 %
    data = clients.teammate.get(MY, {"period": "2026-10"}).context["data"]
    assert data.revenue_cell.rag == "green"


def test_rank_in_team_by_revenue(org, clients, october):
    response = clients.rep.get(MY, {"period": "2026-10"})
    assert "2 of 3" in response.content.decode()
    data = response.context["data"]
    # Shanghai: teammate 30,000, rep 25,000, manager 0.
    assert (data.revenue_rank.position, data.revenue_rank.out_of) == (2, 3)


def test_trend_over_twelve_months(org, clients, october):
    response = clients.rep.get(MY, {"period": "2026-10"})
    data = response.context["data"]
    assert [m.key for m in data.months][-2:] == ["2026-09", "2026-10"]
    assert data.revenue_trend[-2:] == [Decimal("7000.00"), Decimal("25000.00")]
    assert data.revenue_trend[0] == Decimal("0.00")
    chart = response.context["revenue_chart"]
    assert chart["datasets"][0]["data"][-1] == "25000.00"  # a string, never a float


def test_only_published_scorecards_and_nothing_of_others(org, clients, rep_scheme):
    org.teammate.first_name, org.teammate.last_name = "芳", "王"
    org.teammate.save()
    published = ScorecardFactory(
        user=org.rep,
        scheme=rep_scheme,
        status=Scorecard.Status.PUBLISHED,
        total=Decimal("88.00"),
        reviewer_comment="回款要加强",
    )
    ScorecardFactory(
        user=org.teammate,
        scheme=rep_scheme,
        status=Scorecard.Status.PUBLISHED,
        total=Decimal("95.00"),
    )
    ScorecardFactory(
        user=org.rep, scheme=rep_scheme, period=evaluation_period("2026-09"), total=Decimal("70")
    )  # still with the manager: not shown to the rep
    response = clients.rep.get(MY, {"period": "2026-10"})
    data = response.context["data"]
    assert data.scorecards == [published]
    assert data.score_trend[-1] == Decimal("88.00")
    assert data.score_trend[-2] is None
    assert (data.score_rank.position, data.score_rank.out_of) == (2, 2)
    html = response.content.decode()
    assert "回款要加强" in html
    assert "王芳" not in html
    assert "95.00" not in html


def test_without_scheme_every_registered_kpi_without_target(org, clients, test_metrics):
    data = clients.rep.get(MY).context["data"]
    assert not data.has_scheme
    assert all(cell.target is None for cell in data.cells)


def test_bad_period_falls_back_to_this_month(clients):
    response = clients.rep.get(MY, {"period": "October"}, follow=True)
    assert response.status_code == 200
    from performance.periods import Period

    assert response.context["period"] == Period.containing()
