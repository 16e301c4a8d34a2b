"""Pages: who may define, edit and delete (403 / 404), a fixed number of queries, the CSV
export and the dashboard panel."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from performance.models import CustomStatistic
from performance.statistics.engine import run
from performance.statistics.selectors import shared_statistic_results
from tests.factories import client_for
from tests.performance.statistics.conftest import make_order
from tests.performance.statistics.factories import CustomStatisticFactory

# --- access -----------------------------------------------------------------------------------


def test_who_may_define(org):
    url = reverse("performance:statistic-create")
    for user in (org.planner, org.vp, org.hr, org.manager, org.regional_manager, org.admin):
        assert client_for(user).get(url).status_code == 200, user
    for user in (org.rep, org.service):
        assert client_for(user).get(url).status_code == 403, user
    response = client_for(org.rep).get(reverse("performance:statistic-list"))
    assert "New statistic" not in response.content.decode()


def test_anonymous_goes_to_login(db, revenue):
    from django.test import Client

    response = Client().get(reverse("performance:statistic-detail", args=[revenue.pk]))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_edit_and_delete_by_non_owner(org, revenue):
    edit = reverse("performance:statistic-update", args=[revenue.pk])
    delete = reverse("performance:statistic-delete", args=[revenue.pk])
    # Shared with them (they see it) but not theirs: 403.
    for user in (org.rep, org.manager):
        assert client_for(user).get(edit).status_code == 403
        assert client_for(user).post(edit, {"name": "x"}).status_code == 403
        assert client_for(user).post(delete).status_code == 403
    # Not shared with them: 404.
    assert client_for(org.hr).get(edit).status_code == 404
    assert client_for(org.hr).post(delete).status_code == 404
    assert client_for(org.planner).get(delete).status_code == 405
    assert CustomStatistic.objects.filter(pk=revenue.pk).exists()
    # The author deletes.
    assert client_for(org.planner).post(delete).status_code == 302
    assert not CustomStatistic.objects.exists()


def test_admin_may_edit_anyones(org, revenue):
    response = client_for(org.admin).post(
        reverse("performance:statistic-update", args=[revenue.pk]),
        {
            "name": "Renamed",
            "module": "orders",
            "measure": "count",
            "grouping": "team",
            "c-count": "0",
            "action": "save",
        },
    )
    assert response.status_code == 302
    revenue.refresh_from_db()
    assert (revenue.name, revenue.measure, revenue.measure_field) == ("Renamed", "count", "")
    assert revenue.owner == org.planner  # still the author's
    assert not revenue.shared_positions.exists()


# --- speed ------------------------------------------------------------------------------------


def _queries(statistic, viewer) -> int:
    viewer.__dict__.pop("_crm_reach", None)
    viewer.__dict__.pop("_crm_team_paths", None)
    with CaptureQueriesContext(connection) as ctx:
        run(statistic, viewer)
    return len(ctx.captured_queries)


@pytest.mark.parametrize("grouping", ["owner", "team", "month"])
def test_query_count_fixed_whatever_the_rows_and_groups(org, grouping):
    from tests.factories import TeamFactory, UserFactory

    conditions = [
        {"field": "owner", "op": "ne", "value": str(org.hr.pk)},
        {"field": "team", "op": "ne", "value": str(org.beijing.pk)},
        {"field": "total", "op": "gt", "value": "0"},
    ]
    statistic = CustomStatisticFactory(owner=org.vp, grouping=grouping, conditions=conditions)
    make_order(org.rep, "1.00")
    few = _queries(statistic, org.regional_manager)
    teams = [TeamFactory(name=f"East {i}", parent=org.east) for i in range(4)]
    for i in range(12):
        user = UserFactory(username=f"extra{i}", team=teams[i % 4], position="sales_rep")
        for month in (1, 2, 3):
            make_order(user, "2.00", day=dt.date(2026, month, 3))
    assert len(run(statistic, org.regional_manager).rows) > 3
    assert _queries(statistic, org.regional_manager) == few
    assert few <= 3  # the manager's team paths, the aggregate, the labels


def test_list_page_query_count_fixed(org, django_assert_max_num_queries):
    client = client_for(org.rep)
    CustomStatisticFactory(owner=org.vp, positions=["sales_rep"], users=[org.rep])
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("performance:statistic-list"))
    for _ in range(15):
        CustomStatisticFactory(
            owner=org.vp, positions=["sales_rep", "hr"], users=[org.rep, org.teammate]
        )
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(reverse("performance:statistic-list"))
    assert len(response.context["statistics"]) == 16


# --- export and the dashboard panel ----------------------------------------------------------


def test_csv_export_in_the_viewers_scope(org, revenue):
    response = client_for(org.manager).get(
        reverse("performance:statistic-export", args=[revenue.pk])
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines == [
        "Owner,Sum · Total",
        f"{org.rep.get_full_name()},300.50",
        f"{org.teammate.get_full_name()},300.00",
        "Total,600.50",
    ]


def test_dashboard_panel(org, revenue, rf):
    results = shared_statistic_results(org.rep)
    assert [r.statistic for r in results] == [revenue]
    html = render_to_string(
        "performance/statistics/_panel.html",
        {"statistic_results": results},
    )
    assert "Order revenue" in html
    assert "300.50" in html
    assert "1000.00" not in html
    assert f'data-stat-chart="statistic-chart-{revenue.pk}"' in html
    assert render_to_string("performance/statistics/_panel.html", {}).strip() == ""
    assert shared_statistic_results(org.hr) == []


def test_detail_page_describes_the_conditions_and_pins_its_queries(
    org, orders, django_assert_max_num_queries
):
    from tests.factories import CustomerFactory

    customer = CustomerFactory(owner=org.rep, name="浦东仪器")
    statistic = CustomStatisticFactory(
        owner=org.vp,
        positions=["regional_manager"],
        conditions=[
            {"field": "status", "op": "in", "value": ["confirmed", "shipped"]},
            {"field": "owner", "op": "ne", "value": str(org.hr.pk)},
            {"field": "customer", "op": "ne", "value": str(customer.pk)},
            {"field": "order_date", "op": "last_days", "value": "400"},
            {"field": "total", "op": "between", "value": ["1", "5000"]},
        ],
    )
    client = client_for(org.manager)
    with CaptureQueriesContext(connection) as first:
        page = client.get(statistic.get_absolute_url())
    assert page.context["conditions"] == [
        "Status is one of Confirmed, Shipped",
        f"Owner is not {org.hr.get_full_name()}",
        "Customer is not 浦东仪器",
        "Order date in the last 400 days",
        "Total between 1 and 5000",
    ]
    for i in range(10):
        make_order(org.teammate, f"{i + 1}.00")
    with django_assert_max_num_queries(len(first.captured_queries)):
        client.get(statistic.get_absolute_url())
