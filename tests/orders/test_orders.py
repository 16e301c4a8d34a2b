"""Orders: entry with lines through the pages, status moves with their history, exact totals,
scopes and the list."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from customers.models import Customer
from orders import services
from orders.models import Order, OrderStatusChange
from tests.factories import CustomerFactory
from tests.orders.factories import ProductFactory, make_order

S = Order.Status


def line_data(prefix_rows: list[dict], **header) -> dict:
    data = {
        "lines-TOTAL_FORMS": str(len(prefix_rows)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
        **header,
    }
    for i, row in enumerate(prefix_rows):
        for key, value in row.items():
            data[f"lines-{i}-{key}"] = value
    return data


def test_order_entered_confirmed_shipped_delivered_completed(
    rep_client, org, customer, pump, valve
):
    """The 'Done when' journey, through the real views."""
    page = rep_client.get(reverse("orders:order-create") + f"?customer={customer.pk}")
    assert page.status_code == 200
    assert customer.code in page.content.decode()

    data = line_data(
        [
            {"product": str(pump.pk), "quantity": "2", "unit_price": "10000.00"},
            {"product": str(valve.pk), "quantity": "3", "unit_price": ""},  # list price
        ],
        customer=customer.code,
        owner=str(org.rep.pk),
        order_date="2026-10-12",
        note="首单",
    )
    response = rep_client.post(reverse("orders:order-create"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    order = Order.objects.get()
    assert order.number.startswith("SO")
    assert order.status == S.DRAFT
    # 2 x 10,000.00 + 3 x 33.33 = 20,099.99; list: 24,000.00 + 99.99.
    assert order.total == Decimal("20099.99")
    assert order.list_total == Decimal("24099.99")
    lines = list(order.lines.order_by("position"))
    assert [(line.list_price, line.unit_price) for line in lines] == [
        (Decimal("12000.00"), Decimal("10000.00")),
        (Decimal("33.33"), Decimal("33.33")),
    ]

    for status in ("confirmed", "shipped", "delivered", "completed"):
        response = rep_client.post(
            reverse("orders:order-status", args=[order.pk]), {"to": status, "note": f"→ {status}"}
        )
        assert response.status_code == 302
        order.refresh_from_db()
        assert order.status == status

    history = list(order.status_changes.order_by("changed_at", "id"))
    assert [(h.from_status, h.to_status) for h in history] == [
        ("", "draft"),
        ("draft", "confirmed"),
        ("confirmed", "shipped"),
        ("shipped", "delivered"),
        ("delivered", "completed"),
    ]
    assert all(h.changed_by == org.rep for h in history)
    detail = rep_client.get(order.get_absolute_url()).content.decode()
    assert "¥20,099.99" in detail
    assert detail.count("list-group-item small") >= 5  # the status history is shown
    customer.refresh_from_db()
    assert customer.last_order_on == date(2026, 10, 12)


def test_disallowed_moves_are_refused(org, customer, pump):
    order = make_order(customer=customer, owner=org.rep, lines=[(pump, 1, None)])
    with pytest.raises(ValidationError):
        services.order_change_status(order=order, to=S.SHIPPED, by=org.rep)  # skips confirmed
    services.order_change_status(order=order, to=S.CANCELLED, by=org.rep, note="客户取消")
    for target in (S.DRAFT, S.CONFIRMED, S.COMPLETED):
        with pytest.raises(ValidationError, match="cancelled"):
            services.order_change_status(order=order, to=target, by=org.rep)
    order.refresh_from_db()
    assert order.status == S.CANCELLED
    assert OrderStatusChange.objects.filter(order=order).count() == 2


def test_bad_move_through_the_page_shows_an_error(rep_client, org, customer, pump):
    order = make_order(customer=customer, owner=org.rep, lines=[(pump, 1, None)])
    response = rep_client.post(
        reverse("orders:order-status", args=[order.pk]), {"to": "completed"}, follow=True
    )
    assert "cannot go from" in response.content.decode()
    order.refresh_from_db()
    assert order.status == S.DRAFT


def test_an_order_without_lines_cannot_be_confirmed(org, customer):
    order = services.order_create(by=org.rep, customer=customer, owner=org.rep, lines=[])
    with pytest.raises(ValidationError, match="at least one line"):
        services.order_change_status(order=order, to=S.CONFIRMED, by=org.rep)


def test_list_price_is_kept_when_the_catalogue_changes(org, customer, pump):
    order = make_order(customer=customer, owner=org.rep, lines=[(pump, 1, "11000.00")])
    pump.list_price = Decimal("15000.00")
    pump.save()
    line = order.lines.get()
    assert line.list_price == Decimal("12000.00")
    # Editing the draft keeps the line's recorded list price.
    services.order_update(
        order=order,
        by=org.rep,
        lines=[services.LineInput(product=pump, quantity=Decimal(2), unit_price=None, line=line)],
    )
    order.refresh_from_db()
    assert order.lines.get().list_price == Decimal("12000.00")
    assert order.total == Decimal("24000.00")


def test_fractional_quantities_round_half_up_per_line(org, customer):
    product = ProductFactory(sku="CABLE", list_price=Decimal("3.33"))
    order = make_order(
        customer=customer, owner=org.rep, lines=[(product, "1.5", None), (product, "0.5", "0.01")]
    )
    # 1.5 x 3.33 = 4.995 -> 5.00; 0.5 x 0.01 = 0.005 -> 0.01.
    assert str(order.total) == "5.01"  # to the cent, also as returned by SQLite
    assert str(Order.objects.get(pk=order.pk).total) == "5.01"


def test_only_drafts_can_be_edited(rep_client, org, customer, pump):
    order = make_order(
        customer=customer, owner=org.rep, lines=[(pump, 1, None)], status="confirmed"
    )
    response = rep_client.get(reverse("orders:order-update", args=[order.pk]))
    assert response.status_code == 302
    with pytest.raises(ValidationError):
        services.order_update(order=order, by=org.rep, note="x")


def test_last_order_on_follows_counted_orders(org, customer, pump):
    first = make_order(
        customer=customer, owner=org.rep, lines=[(pump, 1, None)], order_date=date(2026, 9, 1)
    )
    customer.refresh_from_db()
    assert customer.last_order_on is None  # a draft is not an order yet
    services.order_change_status(order=first, to=S.CONFIRMED, by=org.rep)
    later = make_order(
        customer=customer,
        owner=org.rep,
        lines=[(pump, 1, None)],
        order_date=date(2026, 10, 1),
        status="confirmed",
    )
    assert Customer.objects.get(pk=customer.pk).last_order_on == date(2026, 10, 1)
    services.order_change_status(order=later, to=S.CANCELLED, by=org.rep)
    assert Customer.objects.get(pk=customer.pk).last_order_on == date(2026, 9, 1)


def test_lines_partial_recomputes_on_the_server(rep_client, pump, valve):
    data = line_data(
        [
            {"product": str(pump.pk), "quantity": "2", "unit_price": ""},
            {"product": str(valve.pk), "quantity": "1", "unit_price": "30"},
        ]
    )
    response = rep_client.post(reverse("orders:order-lines"), data, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert "¥12,000.00" in html  # the pump's list price filled in
    assert 'id="lines-total">¥24,030.00' in html
    # "Add line" returns one more row and the new form count.
    response = rep_client.post(reverse("orders:order-lines"), {**data, "add": "1"})
    html = response.content.decode()
    assert 'name="lines-TOTAL_FORMS" value="3"' in html
    assert html.count('class="order-line') == 3


def test_invalid_entry_changes_nothing(rep_client, org, customer, pump):
    data = line_data(
        [{"product": str(pump.pk), "quantity": "-1", "unit_price": ""}],
        customer=customer.code,
        owner=str(org.rep.pk),
        order_date="2026-10-12",
    )
    response = rep_client.post(reverse("orders:order-create"), data)
    assert response.status_code == 200
    assert not Order.objects.exists()
    data = line_data([], customer="NOPE", owner=str(org.rep.pk), order_date="2026-10-12")
    response = rep_client.post(reverse("orders:order-create"), data)
    assert "No customer with this code" in response.content.decode()
    assert "Add at least one line" in response.content.decode()
    assert not Order.objects.exists()


def test_scopes(client, rep_client, other_team_client, manager_client, org, customer, pump):
    order = make_order(customer=customer, owner=org.rep, lines=[(pump, 1, None)])
    url = order.get_absolute_url()
    assert client.get(url).status_code == 302  # anonymous: to the login page
    assert other_team_client.get(url).status_code == 404
    assert (
        other_team_client.post(
            reverse("orders:order-status", args=[order.pk]), {"to": "confirmed"}
        ).status_code
        == 404
    )
    assert manager_client.get(url).status_code == 200
    assert rep_client.get(url).status_code == 200
    assert rep_client.post(url).status_code == 405
    planner = org.planner
    from django.test import Client

    planner_client = Client()
    planner_client.force_login(planner)
    assert planner_client.get(url).status_code == 200  # sees everything, changes nothing
    assert (
        planner_client.post(
            reverse("orders:order-status", args=[order.pk]), {"to": "confirmed"}
        ).status_code
        == 403
    )
    assert planner_client.get(reverse("orders:order-create")).status_code == 403
    # Another team's list does not show it.
    assert order.number not in other_team_client.get(reverse("orders:order-list")).content.decode()
    # Prefill with a customer out of sight: 404.
    other = CustomerFactory(owner=org.other_team_rep)
    assert (
        rep_client.get(reverse("orders:order-create") + f"?customer={other.pk}").status_code == 404
    )


def test_list_filters_totals_and_query_count(
    rep_client, org, customer, pump, django_assert_max_num_queries
):
    for day in range(1, 31):
        make_order(
            customer=customer,
            owner=org.rep,
            lines=[(pump, 1, "100.10")],
            order_date=date(2026, 9, day),
            status="confirmed" if day % 2 else "draft",
        )
    make_order(
        customer=CustomerFactory(owner=org.teammate),
        owner=org.teammate,
        lines=[(pump, 1, "5.00")],
        order_date=date(2026, 10, 1),
        status="cancelled",
    )
    url = reverse("orders:order-list")
    with django_assert_max_num_queries(12):
        response = rep_client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "30 orders match" in html
    assert "¥3,003.00" in html  # 30 x 100.10
    with django_assert_max_num_queries(12):
        response = rep_client.get(
            url, {"status": "confirmed", "date_from": "2026-09-01", "date_to": "2026-09-10"}
        )
    html = response.content.decode()
    assert "5 orders match" in html
    assert "¥500.50" in html
    response = rep_client.get(url, {"customer": customer.code})
    assert "30 orders match" in response.content.decode()
    response = rep_client.get(url, {"team": org.shanghai.pk})
    assert response.status_code == 200


def test_totals_wait_for_a_narrower_filter_past_the_count_cap(
    rep_client, org, customer, pump, monkeypatch, django_assert_max_num_queries
):
    # Past the cap the count says "N+" and summing every row would cost seconds at millions of
    # orders (docs/performance.md): the totals row asks for a narrower filter instead.
    from crm.pagination import CappedPaginator

    monkeypatch.setitem(CappedPaginator.__init__.__kwdefaults__, "cap", 2)
    for day in (1, 2, 3):
        make_order(
            customer=customer,
            owner=org.rep,
            lines=[(pump, 1, "10.00")],
            order_date=date(2026, 9, day),
        )
    url = reverse("orders:order-list")
    with django_assert_max_num_queries(11):
        html = rep_client.get(url).content.decode()
    assert "orders match" not in html
    assert "the totals are shown for a narrower filter" in html
    html = rep_client.get(url, {"date_from": "2026-09-02"}).content.decode()
    assert "2 orders match" in html
    assert "¥20.00" in html


def test_list_is_scoped_for_managers(manager_client, org, customer, pump):
    make_order(customer=customer, owner=org.rep, lines=[(pump, 1, None)])
    other = CustomerFactory(owner=org.other_team_rep)
    make_order(customer=other, owner=org.other_team_rep, lines=[(pump, 1, None)])
    html = manager_client.get(reverse("orders:order-list")).content.decode()
    assert "1 order matches" in html


def test_export(rep_client, org, customer, pump):
    order = make_order(customer=customer, owner=org.rep, lines=[(pump, 1, None)])
    response = rep_client.get(reverse("orders:order-list"), {"export": "csv"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content if response.streaming else [response.content])
    text = body.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("number,customer,owner,order_date,status")
    assert order.number in text
    assert customer.code in text


def test_create_from_opportunity(rep_client, org, customer, pump):
    from opportunities.models import Opportunity

    pipeline_stage = _open_stage()
    if pipeline_stage is None:
        pytest.skip("no default pipeline")
    opportunity = Opportunity.objects.create(
        customer=customer,
        owner=org.rep,
        name="二期扩产",
        amount=Decimal("50000.00"),
        pipeline=pipeline_stage.pipeline,
        stage=pipeline_stage,
    )
    from opportunities.models import Quote, QuoteLine

    quote = Quote.objects.create(
        opportunity=opportunity, title="报价", valid_until=date(2099, 1, 1), status="accepted"
    )
    QuoteLine.objects.create(
        quote=quote,
        product=pump,
        description="pump",
        quantity=Decimal(2),
        unit_price=Decimal("12000.00"),
        discount_percent=Decimal(5),
    )
    url = reverse("orders:order-create") + f"?opportunity={opportunity.pk}"
    response = rep_client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert customer.code in html
    assert "二期扩产" in html
    assert 'value="11400.00"' in html  # 12,000.00 less 5 %
    assert "¥22,800.00" in html
    data = line_data(
        [{"product": str(pump.pk), "quantity": "2", "unit_price": "11400.00"}],
        customer=customer.code,
        owner=str(org.rep.pk),
        order_date="2026-10-12",
    )
    assert rep_client.post(url, data).status_code == 302
    assert Order.objects.get().opportunity == opportunity


def _open_stage():
    from opportunities.models import Stage

    return Stage.objects.select_related("pipeline").order_by("pk").first()
