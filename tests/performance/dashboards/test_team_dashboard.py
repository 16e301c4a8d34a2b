"""The team page: ranking by total then revenue, each KPI red / amber / green against the scheme
target, team figures combined (never a mean of rates), trends, the funnel of the team only, and
a fixed number of queries whatever the team's size."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from performance.models import Scorecard
from tests.factories import UserFactory
from tests.performance.factories import ScorecardFactory, ScorecardItemFactory

pytestmark = pytest.mark.django_db

TEAM = reverse("performance:team-dashboard")
OCT = dt.date(2026, 10, 12)


def _card(user, scheme, total, achievements, status=Scorecard.Status.MANAGER):
    """A scorecard of `user` for 2026-10 with one item per scheme item at `achievements`."""
    card = ScorecardFactory(user=user, scheme=scheme, status=status, total=Decimal(total))
    for item, achievement in zip(scheme.items.order_by("sort_order"), achievements, strict=True):
        ScorecardItemFactory(
            scorecard=card,
            scheme_item=item,
            actual=item.target * Decimal(achievement),
            target=item.target,
            achievement=Decimal(achievement),
            score=Decimal(achievement) * 100,
        )
    return card


def test_ranking_and_status_colours(org, clients, rep_scheme, sell):
    _card(org.rep, rep_scheme, "87.00", ["0.90", "0.84"])
    _card(org.teammate, rep_scheme, "101.00", ["1.00", "1.10"])
    sell(org.manager, "1000.00", OCT)  # no scorecard: ranked after those with a total
    response = clients.manager.get(TEAM, {"team": org.shanghai.pk, "period": "2026-10"})
    rows = response.context["data"].rows
    assert [(r.user.username, r.rank) for r in rows] == [
        ("teammate", 1),
        ("rep", 2),
        ("manager", None),
    ]
    rep_row = rows[1]
    assert [c.rag for c in rep_row.cells] == ["amber", "red"]
    assert [c.rag for c in rows[0].cells] == ["green", "green"]
    # The manager has no scorecard: live figures; no scheme for managers here, so no target.
    assert rows[2].cells[0].actual == Decimal(1)
    assert rows[2].cells[0].rag == "na"
    html = response.content.decode()
    records = reverse("performance:scorecard-records", args=[rep_row.scorecard.pk, "dash_orders"])
    assert rep_row.cells[0].url == records
    assert f'href="{records}"' in html
    assert html.index('data-user="teammate"') < html.index('data-user="rep"')
    assert 'data-rag="amber"' in html
    assert 'data-rag="red"' in html


def test_ranked_by_revenue_without_scorecards(org, clients, rep_scheme, sell):
    sell(org.rep, "5000.00", OCT)
    sell(org.teammate, "9000.00", OCT)
    rows = clients.manager.get(TEAM, {"period": "2026-10"}).context["data"].rows
    assert [(r.user.username, r.rank, r.revenue) for r in rows] == [
        ("teammate", 1, Decimal("9000.00")),
        ("rep", 2, Decimal("5000.00")),
        ("manager", 3, Decimal("0.00")),
    ]
    # Live figures against the reps' scheme: 1 order of a target of 2 is red.
    assert rows[0].cells[0].actual == Decimal(1)
    assert rows[0].cells[0].rag == "red"


def test_team_figures_combine_members(org, clients, rep_scheme, sell):
    sell(org.rep, "20000.00", OCT)  # big
    sell(org.rep, "1000.00", OCT)
    sell(org.teammate, "2000.00", OCT)
    sell(org.other_team_rep, "80000.00", OCT)  # another team: not counted
    response = clients.manager.get(TEAM, {"period": "2026-10"})
    data = response.context["data"]
    cells = {cell.key: cell for cell in data.team_cells}
    assert cells["dash_orders"].actual == Decimal(3)
    assert cells["dash_orders"].rag == "green"  # 3 against the reps' target of 2
    # 1 big order of 3: 33.33 %, not the mean of 50 % and 0 %.
    assert cells["dash_big_rate"].actual_display == "33.33 %"
    assert data.revenue == Decimal("23000.00")


def test_trends_of_the_team(org, clients, rep_scheme, sell):
    sell(org.rep, "4000.00", dt.date(2026, 8, 2))
    sell(org.teammate, "6000.00", dt.date(2026, 8, 20))
    sell(org.east_rep, "9999.00", dt.date(2026, 8, 20))  # Hangzhou
    ScorecardFactory(user=org.rep, scheme=rep_scheme, total=Decimal("80"), status="published")
    ScorecardFactory(user=org.teammate, scheme=rep_scheme, total=Decimal("91"), status="published")
    ScorecardFactory(user=org.manager, scheme=rep_scheme, total=Decimal("10"))  # not published
    response = clients.manager.get(TEAM, {"period": "2026-10"})
    data = response.context["data"]
    assert data.revenue_trend[-3] == Decimal("10000.00")
    assert data.score_trend[-1] == Decimal("85.50")
    assert response.context["score_chart"]["datasets"][0]["data"][-1] == "85.50"
    east = clients.regional_manager.get(TEAM, {"team": org.east.pk, "period": "2026-10"})
    assert east.context["data"].revenue_trend[-3] == Decimal("19999.00")


def test_funnel_counts_the_team_only(org, clients):
    from tests.opportunities.factories import make_opportunity

    created = dt.datetime(2026, 10, 5, 10, tzinfo=dt.UTC)
    make_opportunity(owner=org.rep, created_at=created)
    make_opportunity(owner=org.teammate, created_at=created, stage_name="Visit")
    make_opportunity(owner=org.other_team_rep, created_at=created)
    data = clients.vp.get(TEAM, {"team": org.shanghai.pk, "period": "2026-10"}).context["data"]
    assert data.funnel[0].reached == 2
    company = clients.vp.get(TEAM, {"team": org.company.pk, "period": "2026-10"})
    assert company.context["data"].funnel[0].reached == 3


def _team_of(size, org, scheme, prefix):
    for n in range(size):
        user = UserFactory(username=f"{prefix}{n}", team=org.shanghai, position="sales_rep")
        _card(user, scheme, "90.00", ["0.9", "1.0"])


def _count(client, org):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(TEAM, {"team": org.shanghai.pk, "period": "2026-10"})
    assert response.status_code == 200
    return len(queries), len(response.context["data"].rows)


def test_query_count_does_not_grow_with_the_team(
    org, clients, rep_scheme, sell, django_assert_max_num_queries
):
    _team_of(2, org, rep_scheme, "few")
    _count(clients.manager, org)  # warm up: the first request of a session does bookkeeping
    few, rows_few = _count(clients.manager, org)
    _team_of(25, org, rep_scheme, "many")
    sell(org.rep, "100.00", OCT)
    many, rows_many = _count(clients.manager, org)
    assert rows_many > rows_few + 20
    assert many == few
    with django_assert_max_num_queries(few):
        clients.manager.get(TEAM, {"team": org.shanghai.pk, "period": "2026-10"})
