"""Receivables: schedules that add up to the cent, payments under a row lock, overpayment
refused, the overdue list and the ageing report against a hand-computed example."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from orders import selectors, services
from orders.models import Receivable
from orders.services.finance import Installment, installments_split
from tests.factories import CustomerFactory
from tests.orders.factories import make_order

D = Decimal
TODAY = date(2026, 11, 30)


def test_installments_add_up_to_the_cent():
    assert installments_split(D("20099.99"), [D(30), D(70)]) == [D("6030.00"), D("14069.99")]
    assert installments_split(D("100.00"), [D("33.33"), D("33.33"), D("33.34")]) == [
        D("33.33"),
        D("33.33"),
        D("33.34"),
    ]
    parts = installments_split(D("0.10"), [D("33.33"), D("33.33"), D("33.34")])
    assert parts == [D("0.03"), D("0.03"), D("0.04")]
    assert sum(parts) == D("0.10")


def test_schedule_from_an_order_through_the_page(rep_client, org, customer, pump, valve):
    order = make_order(
        customer=customer,
        owner=org.rep,
        lines=[(pump, 2, "10000.00"), (valve, 3, None)],
        status="confirmed",
    )
    url = reverse("orders:order-schedule", args=[order.pk])
    page = rep_client.get(url)
    assert page.status_code == 200
    data = {
        "installments-TOTAL_FORMS": "2",
        "installments-INITIAL_FORMS": "0",
        "installments-MIN_NUM_FORMS": "0",
        "installments-MAX_NUM_FORMS": "1000",
        "installments-0-label": "签约 On signing",
        "installments-0-percent": "30",
        "installments-0-due_date": "2026-10-15",
        "installments-1-label": "交付 On delivery",
        "installments-1-percent": "70",
        "installments-1-due_date": "2026-11-30",
    }
    assert rep_client.post(url, data).status_code == 302
    amounts = list(order.receivables.order_by("due_date").values_list("amount", flat=True))
    assert amounts == [D("6030.00"), D("14069.99")]
    assert sum(amounts) == order.total
    receivable = order.receivables.first()
    assert (receivable.owner, receivable.customer) == (org.rep, customer)
    # Everything is scheduled now: a second schedule is refused and creates nothing.
    response = rep_client.post(url, data)
    assert "already scheduled" in response.content.decode()
    assert order.receivables.count() == 2


def test_percentages_must_add_up_to_100(rep_client, org, customer, pump):
    order = make_order(
        customer=customer, owner=org.rep, lines=[(pump, 1, None)], status="confirmed"
    )
    data = {
        "installments-TOTAL_FORMS": "2",
        "installments-INITIAL_FORMS": "0",
        "installments-MIN_NUM_FORMS": "0",
        "installments-MAX_NUM_FORMS": "1000",
        "installments-0-percent": "30",
        "installments-0-due_date": "2026-10-15",
        "installments-1-percent": "60",
        "installments-1-due_date": "2026-11-30",
    }
    response = rep_client.post(reverse("orders:order-schedule", args=[order.pk]), data)
    assert "must add up to 100" in response.content.decode()
    assert not Receivable.objects.exists()


def test_no_schedule_for_a_draft(org, customer, pump):
    order = make_order(customer=customer, owner=org.rep, lines=[(pump, 1, None)])
    with pytest.raises(ValidationError, match="confirmed orders"):
        services.receivables_schedule(
            by=org.rep, order=order, installments=[Installment(D(100), TODAY)]
        )


def receivable(owner, amount, due, paid=None):
    r = Receivable.objects.create(
        customer=CustomerFactory(owner=owner), owner=owner, amount=D(amount), due_date=due
    )
    if paid:
        services.payment_record(by=owner, receivable=r, amount=D(paid), paid_on=due)
    return r


def test_payments_and_overpayment(rep_client, org):
    r = receivable(org.rep, "2000.00", date(2026, 11, 29))
    url = reverse("orders:payment-create", args=[r.pk])
    response = rep_client.post(
        url,
        {
            "amount": "500.00",
            "paid_on": "2026-11-29",
            "method": "bank_transfer",
            "reference": "BOC-1",
        },
    )
    assert response.status_code == 302
    r.refresh_from_db()
    assert (r.paid_amount, r.status) == (D("500.00"), Receivable.Status.PARTLY_PAID)
    response = rep_client.post(
        url, {"amount": "1500.01", "paid_on": "2026-11-30", "method": "cash", "reference": ""}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "more than the ¥1,500.00 still due" in html
    r.refresh_from_db()
    assert r.paid_amount == D("500.00")
    assert r.payments.count() == 1
    rep_client.post(url, {"amount": "1500.00", "paid_on": "2026-11-30", "method": "cash"})
    r.refresh_from_db()
    assert (r.paid_amount, r.status) == (D("2000.00"), Receivable.Status.PAID)


def test_payment_scopes(other_team_client, manager_client, org):
    r = receivable(org.rep, "100.00", TODAY)
    data = {"amount": "10.00", "paid_on": "2026-11-30", "method": "cash"}
    assert other_team_client.get(r.get_absolute_url()).status_code == 404
    assert (
        other_team_client.post(reverse("orders:payment-create", args=[r.pk]), data).status_code
        == 404
    )
    assert (
        manager_client.post(reverse("orders:payment-create", args=[r.pk]), data).status_code == 302
    )


@pytest.fixture
def ageing_book(org):
    """The hand-computed example (docs/orders.md), as of 2026-11-30."""
    receivable(org.rep, "1000.00", date(2026, 11, 30))  # due today: not yet due
    receivable(org.rep, "2000.00", date(2026, 11, 29), paid="500.00")  # 1 day: 1,500 in 0-30
    receivable(org.rep, "3000.00", date(2026, 10, 31))  # 30 days: 0-30
    receivable(org.rep, "4000.00", date(2026, 10, 30))  # 31 days: 31-60
    receivable(org.rep, "5000.00", date(2026, 9, 1))  # 90 days: 61-90
    receivable(org.rep, "6000.00", date(2026, 8, 31), paid="6000.00")  # paid: not in the report
    receivable(org.rep, "7000.00", date(2026, 8, 1))  # 121 days: 90+
    receivable(org.teammate, "800.00", date(2026, 11, 15), paid="300.00")  # 15 days: 500
    receivable(org.teammate, "1200.00", date(2027, 1, 10))  # not yet due
    receivable(org.east_rep, "10000.00", date(2026, 6, 30))  # 153 days: 90+
    receivable(org.other_team_rep, "9999.99", date(2026, 11, 1))  # 29 days: 0-30


def figures(row):
    keys = ("current", "d0_30", "d31_60", "d61_90", "d90_plus", "overdue", "total")
    return tuple(str(row[k]) for k in keys)


def test_ageing_per_rep_hand_computed(org, ageing_book, django_assert_num_queries):
    with django_assert_num_queries(1):
        report = selectors.ageing_report(viewer=org.admin, today=TODAY, by="owner")
    rows = {row["owner__username"]: figures(row) for row in report["rows"]}
    assert rows == {
        "rep": ("1000.00", "4500.00", "4000.00", "5000.00", "7000.00", "20500.00", "21500.00"),
        "teammate": ("1200.00", "500.00", "0.00", "0.00", "0.00", "500.00", "1700.00"),
        "east_rep": ("0.00", "0.00", "0.00", "0.00", "10000.00", "10000.00", "10000.00"),
        "other_team_rep": ("0.00", "9999.99", "0.00", "0.00", "0.00", "9999.99", "9999.99"),
    }
    assert figures(report["totals"]) == (
        "2200.00", "14999.99", "4000.00", "5000.00", "17000.00", "40999.99", "43199.99",
    )  # fmt: skip


def test_ageing_per_team_and_scoped(org, ageing_book):
    report = selectors.ageing_report(viewer=org.admin, today=TODAY, by="team")
    rows = {row["label"]: figures(row) for row in report["rows"]}
    assert rows == {
        "Shanghai": ("2200.00", "5000.00", "4000.00", "5000.00", "7000.00", "21000.00", "23200.00"),
        "Hangzhou": ("0.00", "0.00", "0.00", "0.00", "10000.00", "10000.00", "10000.00"),
        "Beijing": ("0.00", "9999.99", "0.00", "0.00", "0.00", "9999.99", "9999.99"),
    }
    # The Shanghai manager sees his team only; the regional manager the region.
    mine = selectors.ageing_report(viewer=org.manager, today=TODAY, by="team")
    assert [r["label"] for r in mine["rows"]] == ["Shanghai"]
    region = selectors.ageing_report(viewer=org.regional_manager, today=TODAY, by="team")
    assert sorted(r["label"] for r in region["rows"]) == ["Hangzhou", "Shanghai"]
    assert str(region["totals"]["total"]) == "33200.00"


def test_ageing_and_overdue_pages(manager_client, rep_client, org, ageing_book):
    response = manager_client.get(reverse("orders:receivable-ageing"), {"by": "team"})
    assert response.status_code == 200
    assert "Shanghai" in response.content.decode()
    assert "Beijing" not in response.content.decode()


def test_overdue_list(rep_client, manager_client, org):
    today = timezone.localdate()
    receivable(org.rep, "100.00", today - timedelta(days=10))  # overdue
    receivable(org.rep, "200.00", today)  # due today: not overdue
    receivable(org.rep, "300.00", today - timedelta(days=40), paid="300.00")  # paid
    receivable(org.teammate, "400.00", today - timedelta(days=3), paid="100.00")
    html = rep_client.get(reverse("orders:receivable-overdue")).content.decode()
    assert "1 receivable" in html
    assert "¥100.00" in html
    html = manager_client.get(
        reverse("orders:receivable-overdue"), {"owner": org.teammate.pk}
    ).content.decode()
    assert "1 receivable" in html
    assert "¥300.00" in html  # outstanding 400.00 - 100.00
    html = manager_client.get(reverse("orders:receivable-overdue")).content.decode()
    assert "2 receivables" in html


def test_receivable_list_query_count(rep_client, org, django_assert_max_num_queries):
    for i in range(30):
        receivable(org.rep, "10.00", date(2026, 11, 1 + i % 28))
    with django_assert_max_num_queries(12):
        response = rep_client.get(reverse("orders:receivable-list"))
    assert "30 receivables" in response.content.decode()
    assert "¥300.00" in response.content.decode()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_payments_never_overpay(org):
    r = Receivable.objects.create(
        customer=CustomerFactory(owner=org.rep), owner=org.rep, amount=D("1000.00"), due_date=TODAY
    )
    barrier = threading.Barrier(2)
    outcomes = []

    def pay():
        from django.db import connections

        try:
            barrier.wait()
            services.payment_record(by=None, receivable=r, amount=D("600.00"), paid_on=TODAY)
            outcomes.append("paid")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=pay) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["paid", "refused"]
    r.refresh_from_db()
    assert r.paid_amount == D("600.00")


def test_cancelling_an_order_drops_its_unpaid_receivables(org, customer, pump):
    order = make_order(
        customer=customer, owner=org.rep, lines=[(pump, 1, None)], status="confirmed"
    )
    services.receivables_schedule(
        by=org.rep, order=order, installments=[Installment(D(50), TODAY), Installment(D(50), TODAY)]
    )
    paid = make_order(customer=customer, owner=org.rep, lines=[(pump, 1, None)], status="confirmed")
    (r,) = services.receivables_schedule(
        by=org.rep, order=paid, installments=[Installment(D(100), TODAY)]
    )
    services.payment_record(by=org.rep, receivable=r, amount=D("1.00"), paid_on=TODAY)
    services.order_change_status(order=order, to="cancelled", by=org.rep)
    assert not Receivable.objects.filter(order=order).exists()
    with pytest.raises(ValidationError, match="Payments are recorded"):
        services.order_change_status(order=paid, to="cancelled", by=org.rep)
    paid.refresh_from_db()
    assert paid.status == "confirmed"


def test_payment_list(rep_client, manager_client, org, django_assert_max_num_queries):
    for i in range(20):
        receivable(org.rep, "10.00", date(2026, 10, 1 + i), paid="10.00")
    receivable(org.teammate, "5.55", date(2026, 11, 2), paid="5.55")
    receivable(org.other_team_rep, "7.00", date(2026, 11, 2), paid="7.00")
    with django_assert_max_num_queries(12):
        response = manager_client.get(reverse("orders:payment-list"))
    html = response.content.decode()
    assert "21 payments" in html
    assert "¥205.55" in html
    html = manager_client.get(
        reverse("orders:payment-list"), {"date_from": "2026-11-01", "owner": org.teammate.pk}
    ).content.decode()
    assert "1 payment" in html
    assert "¥5.55" in html
    assert "20 payments" in rep_client.get(reverse("orders:payment-list")).content.decode()
