"""Custom statistics run in the viewer's data scope: sharing with a position or a person,
the numbers each viewer gets (checked by hand), the groupings and measures of every module."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from performance.models import CustomStatistic
from performance.statistics.engine import run
from performance.statistics.selectors import shared_statistics_for
from tests.factories import client_for
from tests.performance.statistics.conftest import make_order, make_payment, table
from tests.performance.statistics.factories import CustomStatisticFactory

# --- sharing and scope ------------------------------------------------------------------------


def test_shared_statistic_runs_in_each_viewers_scope(org, revenue):
    rep = run(revenue, org.rep)
    assert table(rep) == {"rep": Decimal("300.50")}
    assert rep.total == Decimal("300.50")

    manager = run(revenue, org.manager)  # manages Shanghai
    assert table(manager) == {"rep": Decimal("300.50"), "teammate": Decimal("300.00")}
    assert manager.total == Decimal("600.50")
    assert [r.key for r in manager.rows] == [org.rep.pk, org.teammate.pk]  # largest first

    regional = run(revenue, org.regional_manager)  # manages East: Shanghai + Hangzhou
    assert regional.total == Decimal("650.50")
    assert table(regional)["east_rep"] == Decimal("50.00")


def test_shared_statistic_pages_for_a_rep_show_only_their_rows(org, revenue):
    client = client_for(org.rep)
    listing = client.get(reverse("performance:statistic-list"))
    assert "Order revenue" in listing.content.decode()
    page = client.get(reverse("performance:statistic-detail", args=[revenue.pk]))
    assert page.status_code == 200
    assert page.context["result"].total == Decimal("300.50")
    html = page.content.decode()
    assert "300.50" in html
    assert "teammate" not in html
    assert "1000.00" not in html
    assert revenue in shared_statistics_for(org.rep)


def test_not_visible_to_another_position(org, revenue):
    client = client_for(org.hr)
    assert revenue not in shared_statistics_for(org.hr)
    assert "Order revenue" not in client.get(reverse("performance:statistic-list")).content.decode()
    assert client.get(reverse("performance:statistic-detail", args=[revenue.pk])).status_code == 404
    url = reverse("performance:statistic-export", args=[revenue.pk])
    assert client.get(url).status_code == 404


def test_shared_with_one_person(org, orders):
    statistic = CustomStatisticFactory(owner=org.vp, users=[org.east_rep])
    assert table(run(statistic, org.east_rep)) == {"east_rep": Decimal("50.00")}
    assert client_for(org.east_rep).get(statistic.get_absolute_url()).status_code == 200
    assert client_for(org.rep).get(statistic.get_absolute_url()).status_code == 404


def test_team_and_month_groupings(org, orders):
    make_order(org.rep, "10.00", day=dt.date(2026, 9, 30))
    statistic = CustomStatisticFactory(owner=org.vp, grouping="team")
    assert {r.label: r.value for r in run(statistic, org.vp).rows} == {
        "Shanghai": Decimal("610.50"),
        "Hangzhou": Decimal("50.00"),
        "Beijing": Decimal("1000.00"),
    }
    statistic.grouping = "month"
    result = run(statistic, org.vp)
    assert [(r.key, r.value) for r in result.rows] == [
        ("2026-09", Decimal("10.00")),
        ("2026-10", Decimal("1650.50")),
    ]
    assert result.chart()["type"] == "line"
    assert result.chart()["datasets"][0]["data"] == ["10.00", "1650.50"]  # strings, not floats


def test_count_and_average(org, orders):
    count = CustomStatisticFactory(owner=org.vp, measure="count", measure_field="")
    assert table(run(count, org.manager)) == {"rep": 2, "teammate": 1}
    average = CustomStatisticFactory(owner=org.vp, measure="avg", measure_field="total")
    assert table(run(average, org.manager)) == {
        "rep": Decimal("150.25"),
        "teammate": Decimal("300.00"),
    }
    assert run(average, org.manager).total == Decimal("200.17")  # 600.50 / 3


def test_payments_module_scoped_by_receivable_owner(org):
    make_payment(org.rep, "80.00")
    make_payment(org.other_team_rep, "90.00")
    statistic = CustomStatisticFactory(
        owner=org.vp, module="payments", measure_field="amount", positions=["sales_rep"]
    )
    assert table(run(statistic, org.rep)) == {"rep": Decimal("80.00")}
    assert run(statistic, org.vp).total == Decimal("170.00")


# --- every module -----------------------------------------------------------------------------


@pytest.mark.parametrize("module", CustomStatistic.Module.values)
@pytest.mark.parametrize("grouping", CustomStatistic.Grouping.values)
def test_every_module_runs_with_every_grouping_and_measure(org, module, grouping):
    from performance.statistics.modules import get_module

    spec = get_module(module)
    measures = [("count", "")] + [(m, f) for f in spec.measures for m in ("sum", "avg")]
    for measure, field in measures:
        statistic = CustomStatisticFactory(
            owner=org.vp, module=module, measure=measure, measure_field=field, grouping=grouping
        )
        result = run(statistic, org.manager)
        assert result.rows == []
        assert result.total == 0


def test_activities_are_grouped_by_who_did_them_within_the_customers_scope(org):
    from tests.factories import ActivityFactory, CustomerFactory

    mine = CustomerFactory(owner=org.rep)
    ActivityFactory(customer=mine, owner=org.rep, kind="visit")
    ActivityFactory(customer=mine, owner=org.manager, kind="visit")  # the manager came along
    ActivityFactory(customer=mine, owner=org.rep, kind="call")
    ActivityFactory(customer=CustomerFactory(owner=org.other_team_rep), kind="visit")
    statistic = CustomStatisticFactory(
        owner=org.vp,
        module="activities",
        measure="count",
        measure_field="",
        conditions=[{"field": "kind", "op": "eq", "value": "visit"}],
    )
    assert table(run(statistic, org.rep)) == {"rep": 1, "manager": 1}
    assert run(statistic, org.vp).total == 3


def test_leads_by_month_in_the_display_time_zone(org):
    from leads.models import Lead

    # 23:30 on 31 October in Shanghai (15:30 UTC) is still October there.
    late = dt.datetime(2026, 10, 31, 15, 30, tzinfo=dt.UTC)
    Lead.objects.create(name="王先生", owner=org.rep, created_at=late)
    Lead.objects.create(name="Ms Li", owner=org.rep, created_at=late + dt.timedelta(hours=1))
    statistic = CustomStatisticFactory(
        owner=org.vp, module="leads", measure="count", measure_field="", grouping="month"
    )
    assert [(r.key, r.value) for r in run(statistic, org.rep).rows] == [
        ("2026-10", 1),
        ("2026-11", 1),
    ]
