"""The customer page's orders section, the money filter, and the RFM facts over real orders."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.template import Context, Template
from django.utils import timezone

from crm.templatetags.money import format_money
from customers.models import Customer
from customers.segments import order_facts, segments_recompute
from orders.models import Receivable
from tests.factories import CustomerFactory
from tests.orders.factories import make_order

D = Decimal


def test_money_filter(settings):
    assert format_money(D("1234567.5")) == "¥1,234,567.50"
    assert format_money(D("-0.005")) == "-¥0.01"
    assert format_money(None) == ""
    assert format_money(1.5) == "?"  # a float is never shown as money
    settings.CRM_CURRENCY = "USD"
    html = Template("{% load money %}{{ v|money }} {% currency %}").render(Context({"v": D("5")}))
    assert html == "$5.00 $"


def test_customer_section(rep_client, org, customer, pump, django_assert_max_num_queries):
    for i in range(8):
        make_order(
            customer=customer,
            owner=org.rep,
            lines=[(pump, 1, "1000.01")],
            status="completed" if i % 2 else "cancelled",
        )
    Receivable.objects.create(
        customer=customer,
        owner=org.rep,
        amount=D("500.00"),
        due_date=timezone.localdate() - timedelta(days=3),
    )
    url = customer.get_absolute_url()
    response = rep_client.get(url)
    html = response.content.decode()
    assert 'id="lifetime-value">¥4,000.04' in html  # 4 completed orders
    assert "¥500.00" in html
    from customers.sections import _SECTIONS

    section = _SECTIONS["orders"]
    with django_assert_max_num_queries(9):
        context = section.context(customer, org.rep)
    assert len(context["orders"]) == 5
    assert context["counted_orders"] == 4
    assert context["overdue"] == D("500.00")


def test_section_respects_scope(org, customer, pump):
    from orders.selectors import customer_section

    pool = CustomerFactory(owner=None)
    make_order(customer=pool, owner=org.other_team_rep, lines=[(pump, 1, None)], status="confirmed")
    context = customer_section(pool, org.rep)
    assert context["orders"] == []  # another team's order on a pool customer stays hidden
    assert context["lifetime_value"] == D("12000.00")  # the customer's value is not a row


def test_rfm_facts_from_real_orders(org, customer, pump):
    today = timezone.localdate()
    make_order(customer=customer, owner=org.rep, lines=[(pump, "1.5", "3.33")],
               order_date=today - timedelta(days=5), status="confirmed")  # fmt: skip
    make_order(customer=customer, owner=org.rep, lines=[(pump, 1, "100.00")],
               order_date=today - timedelta(days=40), status="shipped")  # fmt: skip
    make_order(customer=customer, owner=org.rep, lines=[(pump, 1, "9999")],
               order_date=today - timedelta(days=2))  # a draft  # fmt: skip
    rows = list(order_facts(today=today))
    assert rows == [
        {
            "customer_id": customer.pk,
            "last_order_on": today - timedelta(days=5),
            "orders_12m": 2,
            "revenue_12m": D("105.00"),  # 5.00 (4.995 rounded per line) + 100.00
        }
    ]
    segments_recompute(today=today)
    stored = Customer.objects.get(pk=customer.pk)
    assert (stored.orders_12m, stored.revenue_12m) == (2, D("105.00"))
    assert stored.last_order_on == today - timedelta(days=5)


def test_demo_is_idempotent(org):
    from orders import demo
    from orders.models import Contract, Order, Product

    for i in range(3):
        CustomerFactory(owner=org.rep, name=f"演示客户 {i}")
        CustomerFactory(owner=org.teammate, name=f"演示客户 T{i}")
    created = demo.seed(reps=[org.rep, org.teammate], admin=org.admin)
    assert created == Order.objects.count() == 6
    assert Product.objects.count() == 8
    assert Contract.objects.exists()
    assert demo.seed(reps=[org.rep, org.teammate], admin=org.admin) == 0
    assert Order.objects.count() == 6
