"""Hostile definitions saved straight into the database (behind the builder's back) and edge
values typed in the builder: never a 500, never a field outside the whitelist, never a row
outside the viewer's scope."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from performance.models import CustomStatistic
from performance.statistics.engine import run
from performance.statistics.modules import InvalidDefinitionError
from tests.factories import client_for
from tests.performance.statistics.conftest import table
from tests.performance.statistics.factories import CustomStatisticFactory


@pytest.mark.parametrize(
    "conditions",
    [
        [{"field": ["total"], "op": "eq", "value": "1"}],
        [{"field": {"a": 1}, "op": "eq", "value": "1"}],
        [{"field": "total", "op": ["eq"], "value": "1"}],
        [{"field": "total", "op": {"x": 1}, "value": "1"}],
        [{"field": "order_date", "op": "eq", "value": "9999-12-31"}],
        [{"field": "order_date", "op": "between", "value": ["2026-01-01", "9999-12-31"]}],
        [{"field": "created_at", "op": "lte", "value": "0001-01-01"}],
        [{"field": "total", "op": "in", "value": ",".join(str(i) for i in range(5000))}],
        [{"field": "total", "op": "in", "value": list(range(5000))}],
        [{"field": "owner", "op": "in", "value": [{"pk": 1}]}],
        [{"field": "total", "op": "eq", "value": {"$gt": 0}}],
        [{"field": "total", "op": "between", "value": [{"a": 1}, "2"]}],
        [{"field": "total", "op": "eq", "value": "NaN"}],
        [{"field": "total", "op": "eq", "value": "1e999999"}],
        ["total"],
        [None],
        "total__gt=0",
    ],
)
def test_stored_hostile_conditions_never_500(org, orders, conditions):
    statistic = CustomStatisticFactory(owner=org.admin, positions=["sales_rep"])
    CustomStatistic.objects.filter(pk=statistic.pk).update(conditions=conditions)
    for user in (org.rep, org.admin):
        client = client_for(user)
        page = client.get(statistic.get_absolute_url())
        assert page.status_code == 200
        export = client.get(reverse("performance:statistic-export", args=[statistic.pk]))
        assert export.status_code in (200, 404)
    panel = client_for(org.rep).get(reverse("performance:statistic-list"))
    assert panel.status_code == 200
    # Its author (an administrator) can still open the builder to repair it.
    edit = client_for(org.admin).get(reverse("performance:statistic-update", args=[statistic.pk]))
    assert edit.status_code == 200


def test_describe_conditions_of_a_stored_comma_list(org, orders):
    statistic = CustomStatisticFactory(
        owner=org.admin,
        positions=["sales_rep"],
        conditions=[{"field": "owner", "op": "in", "value": f"{org.rep.pk}, {org.teammate.pk}"}],
    )
    page = client_for(org.rep).get(statistic.get_absolute_url())
    assert page.status_code == 200
    assert page.context["result"].total == Decimal("300.50")


def test_admins_shared_statistic_naming_another_teams_customer(org):
    """An admin's statistic on one Beijing customer, shared with reps: a rep gets nothing of
    it and does not learn the customer's name."""
    from tests.factories import CustomerFactory
    from tests.performance.statistics.conftest import make_order

    order = make_order(org.other_team_rep, "999.00")
    order.customer.name = "北京机密客户"
    order.customer.save()
    make_order(org.rep, "10.00")
    statistic = CustomStatisticFactory(
        owner=org.admin,
        positions=["sales_rep"],
        conditions=[{"field": "customer", "op": "eq", "value": str(order.customer_id)}],
    )
    CustomerFactory  # noqa: B018
    assert run(statistic, org.rep).total == 0
    assert run(statistic, org.admin).total == Decimal("999.00")
    page = client_for(org.rep).get(statistic.get_absolute_url()).content.decode()
    assert "北京机密客户" not in page
    assert "999" not in page


def test_builder_dates_out_of_range_are_field_errors(org, orders):
    client = client_for(org.vp)
    for value in ("9999-12-31", "0001-01-01"):
        for op in ("eq", "lte", "gt"):
            response = client.post(
                reverse("performance:statistic-create"),
                {
                    "name": "x",
                    "module": "orders",
                    "measure": "count",
                    "grouping": "owner",
                    "c-count": "1",
                    "c-0-field": "created_at",
                    "c-0-op": op,
                    "c-0-value": value,
                    "action": "preview",
                },
            )
            assert response.status_code == 400, (value, op)
    assert not CustomStatistic.objects.exists()


def test_builder_huge_row_count(org):
    response = client_for(org.vp).post(
        reverse("performance:statistic-create"), {"c-count": "9" * 5000, "action": "add"}
    )
    assert response.status_code == 200


def test_in_list_over_the_limit_is_refused_when_run(org, orders):
    statistic = CustomStatisticFactory(owner=org.vp)
    CustomStatistic.objects.filter(pk=statistic.pk).update(
        conditions=[{"field": "total", "op": "in", "value": [str(i) for i in range(101)]}]
    )
    statistic.refresh_from_db()
    with pytest.raises(InvalidDefinitionError):
        run(statistic, org.vp)


def test_stored_related_owner_lookup_in_value_is_not_a_path(org, orders):
    """A value is never a lookup: "owner__team__name" as a value of a text field is text."""
    statistic = CustomStatisticFactory(
        owner=org.vp, conditions=[{"field": "number", "op": "eq", "value": "owner__password"}]
    )
    assert run(statistic, org.vp).total == 0
    assert table(run(statistic, org.vp)) == {}


def test_a_customer_code_that_looks_like_another_customers_key(org):
    """The builder resolves the typed code to a key once; saving does not read that key as a
    code again (which would pick the customer whose code is that number)."""
    from tests.factories import CustomerFactory

    wanted = CustomerFactory(owner=org.rep, code="C-WANTED")
    CustomerFactory(owner=org.rep, code=str(wanted.pk))  # a legacy numeric code
    response = client_for(org.vp).post(
        reverse("performance:statistic-create"),
        {
            "name": "One customer",
            "module": "orders",
            "measure": "count",
            "grouping": "owner",
            "c-count": "1",
            "c-0-field": "customer",
            "c-0-op": "eq",
            "c-0-value": "C-WANTED",
            "action": "save",
        },
    )
    assert response.status_code == 302
    statistic = CustomStatistic.objects.get()
    assert statistic.conditions[0]["value"] == str(wanted.pk)


def test_the_service_refuses_a_customer_the_author_cannot_see(org):
    from django.core.exceptions import ValidationError

    from performance.statistics import services
    from tests.factories import CustomerFactory

    hidden = CustomerFactory(owner=org.other_team_rep)
    definition = {
        "name": "x",
        "module": "orders",
        "conditions": [{"field": "customer", "op": "eq", "value": str(hidden.pk)}],
        "measure": "count",
        "measure_field": "",
        "grouping": "owner",
    }
    with pytest.raises(ValidationError):
        services.statistic_create(author=org.manager, data=definition)
    assert not CustomStatistic.objects.exists()


def test_editing_a_customer_condition_keeps_the_customer(org):
    from tests.factories import CustomerFactory

    wanted = CustomerFactory(owner=org.rep, code="C-WANTED")
    CustomerFactory(owner=org.rep, code=str(wanted.pk))  # a legacy numeric code
    statistic = CustomStatisticFactory(
        owner=org.vp,
        measure="count",
        measure_field="",
        conditions=[{"field": "customer", "op": "eq", "value": str(wanted.pk)}],
    )
    url = reverse("performance:statistic-update", args=[statistic.pk])
    client = client_for(org.vp)
    row = client.get(url).context["builder"].rows[0]
    assert row.initial["value"] == "C-WANTED"
    data = {
        "name": statistic.name,
        "module": "orders",
        "measure": "count",
        "grouping": "owner",
        "c-count": "1",
        "c-0-field": "customer",
        "c-0-op": "eq",
        "c-0-value": row.initial["value"],
        "action": "save",
    }
    assert client.post(url, data).status_code == 302
    statistic.refresh_from_db()
    assert statistic.conditions[0]["value"] == str(wanted.pk)


def test_whole_number_fields_refuse_fractions(org):
    """Satisfaction is stored as an integer: "at least 3.5" would silently run as "at least 3"."""
    from performance.statistics.conditions import clean_condition
    from performance.statistics.modules import get_module

    tickets = get_module("tickets")
    with pytest.raises(ValidationError):
        clean_condition(tickets, {"field": "satisfaction", "op": "gte", "value": "3.5"})
    ok = clean_condition(tickets, {"field": "satisfaction", "op": "gte", "value": "4.0"})
    assert ok["value"] == "4"
    statistic = CustomStatisticFactory(
        owner=org.vp,
        module="tickets",
        measure="count",
        measure_field="",
        conditions=[{"field": "satisfaction", "op": "gte", "value": "3.5"}],
    )
    with pytest.raises(InvalidDefinitionError):
        run(statistic, org.vp)
    # Money and decimal amounts keep their decimals.
    orders = get_module("orders")
    money = clean_condition(orders, {"field": "total", "op": "gte", "value": "3.5"})
    assert money["value"] == "3.5"
