"""Definitions: the conditions of each field type, field errors for bad values (nothing saved),
hostile input refused (fields outside the whitelist, related lookups, unknown operators), and
the builder's actions (add / remove rows, htmx redraws, preview)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from performance.models import CustomStatistic
from performance.statistics.engine import run
from performance.statistics.modules import InvalidDefinitionError
from tests.factories import client_for
from tests.performance.statistics.conftest import table
from tests.performance.statistics.factories import CustomStatisticFactory

# --- conditions -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"field": "total", "op": "gte", "value": "200"}, Decimal("1500.00")),
        ({"field": "total", "op": "between", "value": ["50", "200"]}, Decimal("350.50")),
        ({"field": "status", "op": "in", "value": ["confirmed"]}, Decimal("1650.50")),
        ({"field": "status", "op": "eq", "value": "draft"}, Decimal("0")),
        ({"field": "order_date", "op": "lte", "value": "2026-10-05"}, Decimal("1650.50")),
        ({"field": "order_date", "op": "lt", "value": "2026-10-05"}, Decimal("0")),
        ({"field": "number", "op": "not_empty", "value": None}, Decimal("1650.50")),
    ],
)
def test_conditions_filter(org, orders, condition, expected):
    statistic = CustomStatisticFactory(owner=org.vp, conditions=[condition])
    assert run(statistic, org.vp).total == expected


def test_user_team_and_relative_date_conditions(org, orders):
    def total(*conditions, today=dt.date(2026, 10, 20)):
        statistic = CustomStatisticFactory(owner=org.vp, conditions=list(conditions))
        return run(statistic, org.vp, today=today).total

    assert total({"field": "owner", "op": "eq", "value": str(org.teammate.pk)}) == Decimal("300")
    assert total({"field": "team", "op": "in", "value": [str(org.beijing.pk)]}) == Decimal("1000")
    assert total({"field": "order_date", "op": "this_month", "value": None}) == Decimal("1650.50")
    assert total({"field": "order_date", "op": "last_month", "value": None}) == 0
    # The last N days are N calendar days ending today: 16 days back from the 20th is the 5th.
    assert total({"field": "order_date", "op": "last_days", "value": "16"}) == Decimal("1650.50")
    assert total({"field": "order_date", "op": "last_days", "value": "15"}) == 0


# --- the builder: field errors, nothing saved ------------------------------------------------


def _post(org, conditions: list[dict], **overrides):
    data = {
        "name": "Big orders",
        "module": "orders",
        "measure": "sum",
        "measure_field": "total",
        "grouping": "owner",
        "shared_positions": [],
        "c-count": str(len(conditions)),
        "action": "save",
    }
    for i, condition in enumerate(conditions):
        for key, value in condition.items():
            data[f"c-{i}-{key}"] = value
    data.update(overrides)
    return client_for(org.planner).post(reverse("performance:statistic-create"), data)


def test_builder_saves_a_valid_definition(org, orders):
    response = _post(
        org,
        [
            {"field": "total", "op": "between", "value": "50", "value2": "200.5"},
            {"field": "status", "op": "in", "value": ["confirmed", "shipped"]},
            {"field": "order_date", "op": "last_days", "value": "30"},
        ],
        shared_positions=[org.rep.position_id],
        shared_users=[org.hr.pk],
    )
    statistic = CustomStatistic.objects.get()
    assert response.status_code == 302
    assert response["Location"] == statistic.get_absolute_url()
    assert statistic.owner == org.planner
    assert statistic.conditions == [
        {"field": "total", "op": "between", "value": ["50", "200.5"]},
        {"field": "status", "op": "in", "value": ["confirmed", "shipped"]},
        {"field": "order_date", "op": "last_days", "value": "30"},
    ]
    assert list(statistic.shared_users.all()) == [org.hr]
    assert list(statistic.shared_positions.all()) == [org.rep.position]


@pytest.mark.parametrize(
    ("condition", "error_field"),
    [
        ({"field": "total", "op": "gte", "value": "abc"}, "value"),  # money
        ({"field": "total", "op": "gte", "value": "1.234"}, "value"),  # more than cents
        ({"field": "total", "op": "between", "value": "300", "value2": "100"}, "value"),
        ({"field": "order_date", "op": "eq", "value": "2026-13-01"}, "value"),  # date
        ({"field": "order_date", "op": "last_days", "value": "0"}, "value"),
        ({"field": "status", "op": "eq", "value": "stolen"}, "value"),  # choice
        ({"field": "owner", "op": "eq", "value": "999999"}, "value"),  # user
        ({"field": "team", "op": "eq", "value": "abc"}, "value"),  # team
        ({"field": "customer", "op": "eq", "value": "NO-SUCH-CODE"}, "value"),  # customer
        ({"field": "number", "op": "eq", "value": ""}, "value"),  # text: empty value
        ({"field": "status", "op": "gt", "value": "draft"}, "op"),  # operator not for a choice
        ({"field": "number", "op": "in", "value": ",".join(["x"] * 101)}, "value"),
    ],
)
def test_bad_value_is_a_field_error_and_nothing_saved(org, condition, error_field):
    response = _post(org, [condition])
    assert response.status_code == 400
    row = response.context["builder"].rows[0]
    assert row.errors.get(error_field), row.errors
    assert not CustomStatistic.objects.exists()


def test_boolean_condition_on_customers(org):
    from tests.factories import CustomerFactory

    CustomerFactory(owner=org.rep, is_locked=True)
    CustomerFactory(owner=org.rep, is_locked=False)
    statistic = CustomStatisticFactory(
        owner=org.vp,
        module="customers",
        measure="count",
        measure_field="",
        conditions=[{"field": "is_locked", "op": "eq", "value": "true"}],
    )
    assert table(run(statistic, org.rep)) == {"rep": 1}
    response = _post(
        org,
        [{"field": "is_locked", "op": "eq", "value": "maybe"}],
        module="customers",
        measure="count",
        measure_field="",
    )
    assert response.status_code == 400
    assert response.context["builder"].rows[0].errors["value"]


@pytest.mark.parametrize(
    ("condition", "error_field"),
    [
        ({"field": "password", "op": "eq", "value": "x"}, "field"),
        ({"field": "owner__password", "op": "eq", "value": "x"}, "field"),
        ({"field": "customer__owner__password", "op": "contains", "value": "a"}, "field"),
        ({"field": "total", "op": "regex", "value": ".*"}, "op"),
        ({"field": "total", "op": "isnull", "value": "true"}, "op"),
    ],
)
def test_hostile_conditions_refused_by_the_builder(org, condition, error_field):
    response = _post(org, [condition])
    assert response.status_code == 400
    assert response.context["builder"].rows[0].errors.get(error_field)
    assert not CustomStatistic.objects.exists()


def test_hostile_measure_and_module_refused(org):
    response = _post(org, [], measure_field="owner__password")
    assert response.status_code == 400
    assert response.context["builder"].form.errors["measure_field"]
    # An unknown module falls back to a real one and is a field error.
    response = _post(org, [], module="auth_user")
    assert response.status_code == 400
    assert response.context["builder"].form.errors["module"]
    assert not CustomStatistic.objects.exists()


@pytest.mark.parametrize(
    "changes",
    [
        {"conditions": [{"field": "owner__password", "op": "eq", "value": "x"}]},
        {"conditions": [{"field": "total", "op": "regex", "value": ".*"}]},
        {"conditions": {"field": "total"}},
        {"measure_field": "owner__password"},
        {"measure": "max"},
        {"grouping": "password"},
        {"module": "auth"},
    ],
)
def test_stored_hostile_definition_never_runs(org, orders, changes):
    statistic = CustomStatisticFactory(owner=org.vp, positions=["sales_rep"])
    CustomStatistic.objects.filter(pk=statistic.pk).update(**changes)
    statistic.refresh_from_db()
    with pytest.raises(InvalidDefinitionError):
        run(statistic, org.vp)
    page = client_for(org.rep).get(statistic.get_absolute_url())
    assert page.status_code == 200
    assert page.context["result"] is None
    assert (
        client_for(org.rep)
        .get(reverse("performance:statistic-export", args=[statistic.pk]))
        .status_code
        == 404
    )


# --- builder actions --------------------------------------------------------------------------


def test_preview_shows_the_result_and_saves_nothing(org, orders):
    response = _post(org, [{"field": "total", "op": "gt", "value": "100"}], action="preview")
    assert response.status_code == 200
    preview = response.context["preview"]
    assert preview.total == Decimal("1600.50")  # planner sees everything
    assert "statistic-preview" in response.content.decode()
    assert not CustomStatistic.objects.exists()


def test_add_and_remove_condition_rows_redraw_without_errors(org):
    response = _post(org, [{"field": "total", "op": "gt", "value": "oops"}], action="add")
    builder = response.context["builder"]
    assert response.status_code == 200
    assert len(builder.rows) == 2
    assert not builder.rows[0].errors  # not validated yet
    response = _post(
        org,
        [
            {"field": "total", "op": "gt", "value": "1"},
            {"field": "status", "op": "eq", "value": "draft"},
        ],
        action="remove-0",
    )
    rows = response.context["builder"].rows
    assert [r.initial["field"] for r in rows] == ["status"]
    assert not CustomStatistic.objects.exists()


def test_htmx_module_change_redraws_the_fields(org):
    response = client_for(org.planner).post(
        reverse("performance:statistic-create"),
        {"module": "tickets", "action": "refresh", "c-count": "1", "c-0-field": "type"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert 'id="builder"' in html
    assert 'value="complaint"' in html  # the ticket type's choices as the value select
    assert 'value="satisfaction"' in html  # the measurable field of tickets


def test_htmx_save_redirects(org):
    response = client_for(org.planner).post(
        reverse("performance:statistic-create"),
        {
            "name": "Tickets",
            "module": "tickets",
            "measure": "count",
            "grouping": "month",
            "c-count": "0",
            "action": "save",
        },
        HTTP_HX_REQUEST="true",
    )
    statistic = CustomStatistic.objects.get()
    assert response["HX-Redirect"] == statistic.get_absolute_url()


def test_edit_keeps_the_conditions(org, revenue):
    revenue.conditions = [
        {"field": "status", "op": "in", "value": ["confirmed", "draft"]},
        {"field": "total", "op": "between", "value": ["1", "2"]},
    ]
    revenue.save()
    response = client_for(org.planner).get(
        reverse("performance:statistic-update", args=[revenue.pk])
    )
    assert response.status_code == 200
    rows = response.context["builder"].rows
    assert rows[1].initial == {"field": "total", "op": "between", "value": "1", "value2": "2"}
    html = response.content.decode()
    assert 'value="2"' in html
    assert "selected" in html
