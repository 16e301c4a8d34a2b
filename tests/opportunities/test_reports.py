"""Forecast, funnel, days per stage and win rate against a hand-computed example.

ToB pipeline, all times 10:00 UTC, January 2026 (the period):

    A (rep, 4000)      created Jan 5  → Needs analysis Jan 7 → Visit Jan 10 → Proposal Jan 20
                       → Won Jan 30
    B (rep, 3000)      created Jan 6  → Visit Jan 8 (skips needs analysis) → Lost Jan 15
    C (teammate, 1000) created Jan 8  → Needs analysis Jan 12, open, closes 2026-02-10
    D (teammate, 500)  created Jan 9, stays in Initial contact, closes 2026-02-20
    E (rep, 2000)      created Feb 1 (outside the cohort) → Visit Feb 3, closes 2026-03-05

Funnel (cohort A B C D): initial 4, needs analysis 3 (B went beyond), visit 2, proposal 1,
negotiation 1, contract 1, won 1 (A: won is beyond every open stage; B's loss reaches nothing).
Days per stage (moves out made in January): initial contact (2 + 2 + 4) / 3 = 2.7 days over
3 moves; needs analysis 3.0 (A); visit (10 + 7) / 2 = 8.5; proposal 10.0.
Win rate in January: rep won 1 (A) lost 1 (B) = 50.0 %, cycle 25.0 days, 4000 won.
Forecast from February, 3 months: Feb C 1000 x 20 % + D 500 x 10 % = 250 weighted of 1500;
March E 2000 x 30 % = 600.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.urls import reverse

from opportunities import reports, services
from opportunities.models import LostReason
from tests.opportunities.factories import make_opportunity, stage, tob

pytestmark = pytest.mark.django_db


def at(day: int, month: int = 1) -> dt.datetime:
    return dt.datetime(2026, month, day, 10, 0, tzinfo=dt.UTC)


def move(opp, name: str, when: dt.datetime, **kwargs):
    return services.opportunity_move_stage(
        opportunity=opp, to_stage=stage(name), by=opp.owner, at=when, **kwargs
    )


@pytest.fixture
def example(org):
    a = make_opportunity(owner=org.rep, name="A", amount="4000.00", created_at=at(5))
    move(a, "Needs analysis", at(7))
    move(a, "Visit", at(10))
    move(a, "Proposal", at(20))
    move(a, "Won", at(30))
    b = make_opportunity(owner=org.rep, name="B", amount="3000.00", created_at=at(6))
    move(b, "Visit", at(8))
    move(b, "Lost", at(15), lost_reason=LostReason.objects.first())
    c = make_opportunity(
        owner=org.teammate,
        name="C",
        amount="1000.00",
        created_at=at(8),
        expected_close_on=dt.date(2026, 2, 10),
    )
    move(c, "Needs analysis", at(12))
    d = make_opportunity(
        owner=org.teammate,
        name="D",
        amount="500.00",
        created_at=at(9),
        expected_close_on=dt.date(2026, 2, 20),
    )
    e = make_opportunity(
        owner=org.rep,
        name="E",
        amount="2000.00",
        created_at=at(1, 2),
        expected_close_on=dt.date(2026, 3, 5),
    )
    move(e, "Visit", at(3, 2))
    return {"a": a, "b": b, "c": c, "d": d, "e": e}


JANUARY = {"start": dt.date(2026, 1, 1), "end": dt.date(2026, 1, 31)}


def test_stage_history_of_a(example):
    history = list(example["a"].stage_changes.order_by("changed_at"))
    assert [(c.from_stage and c.from_stage.name, c.to_stage.name) for c in history] == [
        (None, "Initial contact"),
        ("Initial contact", "Needs analysis"),
        ("Needs analysis", "Visit"),
        ("Visit", "Proposal"),
        ("Proposal", "Won"),
    ]
    assert [c.seconds_in_previous for c in history] == [
        None,
        2 * 86400,
        3 * 86400,
        10 * 86400,
        10 * 86400,
    ]
    assert [c.changed_at for c in history] == [at(5), at(7), at(10), at(20), at(30)]
    example["a"].refresh_from_db()
    assert example["a"].closed_at == at(30)


def test_funnel(org, example):
    steps = reports.funnel(viewer=org.manager, pipeline=tob(), **JANUARY)
    assert [(s.stage.name, s.reached) for s in steps] == [
        ("Initial contact", 4),
        ("Needs analysis", 3),
        ("Visit", 2),
        ("Proposal", 1),
        ("Negotiation", 1),
        ("Contract", 1),
        ("Won", 1),
    ]
    assert [s.conversion for s in steps] == [
        Decimal("75.0"),
        Decimal("66.7"),
        Decimal("50.0"),
        Decimal("100.0"),
        Decimal("100.0"),
        Decimal("100.0"),
        None,
    ]
    assert [s.of_first for s in steps][:4] == [
        Decimal("100.0"),
        Decimal("75.0"),
        Decimal("50.0"),
        Decimal("25.0"),
    ]


def test_funnel_is_scoped(org, example):
    steps = reports.funnel(viewer=org.rep, pipeline=tob(), **JANUARY)  # A and B only
    assert [s.reached for s in steps] == [2, 2, 2, 1, 1, 1, 1]


def test_funnel_is_one_query(org, example, django_assert_num_queries):
    pipeline = tob()
    list(pipeline.stages.all())
    with django_assert_num_queries(2):  # the stages, then the one aggregate
        reports.funnel(viewer=org.admin, pipeline=pipeline, **JANUARY)


def test_days_per_stage(org, example):
    times = {
        t.stage.name: (t.moves, t.avg_days)
        for t in reports.stage_times(viewer=org.manager, pipeline=tob(), **JANUARY)
    }
    assert times == {
        "Initial contact": (3, Decimal("2.7")),
        "Needs analysis": (1, Decimal("3.0")),
        "Visit": (2, Decimal("8.5")),
        "Proposal": (1, Decimal("10.0")),
        "Negotiation": (0, None),
        "Contract": (0, None),
    }


def test_win_rate_and_cycle(org, example):
    rows, total = reports.win_rates(viewer=org.manager, **JANUARY)
    assert len(rows) == 1
    (row,) = rows
    assert row.owner == org.rep
    assert (row.won, row.lost, row.win_rate) == (1, 1, Decimal("50.0"))
    assert row.won_amount == Decimal("4000.00")
    assert row.avg_cycle_days == Decimal("25.0")
    assert (total.won, total.lost, total.avg_cycle_days) == (1, 1, Decimal("25.0"))


def test_forecast_per_rep_and_team(org, example):
    result = reports.forecast(viewer=org.manager, start=dt.date(2026, 2, 1), months=3)
    feb, mar = dt.date(2026, 2, 1), dt.date(2026, 3, 1)
    assert result.months == [feb, mar, dt.date(2026, 4, 1)]
    assert result.totals.months[feb] == {
        "count": 2,
        "amount": Decimal("1500.00"),
        "weighted": Decimal("250.00"),
    }
    assert result.totals.months[mar]["weighted"] == Decimal("600.00")
    by_owner = {r.key: r.weighted for r in result.rows}
    assert by_owner == {org.rep.pk: Decimal("600.00"), org.teammate.pk: Decimal("250.00")}
    teams = reports.forecast(viewer=org.manager, start=dt.date(2026, 2, 1), months=3, group="team")
    assert [(r.label, r.weighted) for r in teams.rows] == [("Shanghai", Decimal("850.00"))]
    mine = reports.forecast(viewer=org.rep, start=dt.date(2026, 2, 1), months=3)
    assert mine.totals.weighted == Decimal("600.00")


def test_report_pages_render_tables_and_chart_data(manager_client, example):
    response = manager_client.get(
        reverse("opportunities:funnel"), {"start": "2026-01-01", "end": "2026-01-31"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="funnel-table"' in html
    assert 'id="funnel-chart"' in html
    assert response.context["chart"]["datasets"][0]["data"] == [4, 3, 2, 1, 1, 1, 1]
    assert "<script>" not in html  # data only, in json_script blocks
    response = manager_client.get(
        reverse("opportunities:forecast"), {"start": "2026-02-01", "months": "3"}
    )
    assert response.status_code == 200
    chart = response.context["chart"]
    assert chart["datasets"][0]["data"] == ["250.00", "600.00", "0.00"]  # strings, not floats
    json.dumps(chart)
    assert "250.00" in response.content.decode()
    response = manager_client.get(
        reverse("opportunities:win-rate"), {"start": "2026-01-01", "end": "2026-01-31"}
    )
    assert response.status_code == 200
    assert "50.0%" in response.content.decode()


def test_report_pages_need_login(client):
    for name in ("forecast", "funnel", "win-rate"):
        assert client.get(reverse(f"opportunities:{name}")).status_code == 302


def test_a_long_forecast_sums_the_smaller_rows(org, example, monkeypatch):
    monkeypatch.setattr(reports, "FORECAST_MAX_ROWS", 1)
    result = reports.forecast(viewer=org.manager, start=dt.date(2026, 2, 1), months=3)
    (row,) = result.rows
    assert row.label == "2 others"
    assert row.weighted == Decimal("850.00")
    assert [c and c["weighted"] for c in row.cells] == [Decimal("250.00"), Decimal("600.00"), None]


def test_an_imported_lost_opportunity_counts_at_the_first_stage(org, example):
    # Imported closed: one change, straight into "Lost" (no open stage in its history).
    lost = make_opportunity(owner=org.rep, name="F", created_at=at(20))
    lost.stage_changes.all().delete()
    lost.stage_changes.create(to_stage=stage("Lost"), changed_at=at(25))
    steps = reports.funnel(viewer=org.manager, pipeline=tob(), **JANUARY)
    assert [s.reached for s in steps] == [5, 3, 2, 1, 1, 1, 1]


def test_the_total_cycle_averages_the_exact_cycles(org):
    """Rep: 3 wins of 1.04 days (shown 1.0); teammate: 1 win of 1.16 days (shown 1.2). The total
    is (3 x 1.04 + 1.16) / 4 = 1.07 → 1.1 days, not the mean of the rounded rows (1.05 → 1.0)."""
    start = at(3, 3)
    for owner, days, wins in ((org.rep, "1.04", 3), (org.teammate, "1.16", 1)):
        for i in range(wins):
            opp = make_opportunity(owner=owner, name=f"W{i}", created_at=start)
            move(opp, "Won", start + dt.timedelta(days=float(days)))
    rows, total = reports.win_rates(
        viewer=org.manager, start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31)
    )
    assert {r.owner: r.avg_cycle_days for r in rows} == {
        org.rep: Decimal("1.0"),
        org.teammate: Decimal("1.2"),
    }
    assert (total.won, total.avg_cycle_days) == (4, Decimal("1.1"))
