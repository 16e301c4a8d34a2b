"""Cross-app journeys through the real views: lead -> customer -> opportunity -> order ->
receivables/payments -> contract -> customer page; the rep hand-over; the customer page's
query count whatever the number of records."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from customers.models import Activity, Customer
from leads import assignment
from leads.models import Lead
from opportunities.models import Opportunity, Stage
from orders.models import Contract, Order, Receivable
from tests.factories import CustomerFactory
from tests.leads.factories import LeadFactory, rule_with
from tests.opportunities.factories import make_opportunity, tob
from tests.orders.factories import ProductFactory, make_order

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch, settings):
    """No broker in these tests: assignment is run directly (eager), emails are not queued."""
    from leads import tasks

    monkeypatch.setattr(tasks.assign_lead, "delay", lambda *a, **k: None)
    settings.LEADS_ASSIGN_COALESCE = False
    from notifications import services

    monkeypatch.setattr(services, "email_queue", lambda notification_id: None)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def formset(prefix: str, rows: list[dict], **header) -> dict:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
        **header,
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"{prefix}-{i}-{key}"] = value
    return data


def test_sales_journey_from_lead_to_customer_page(
    org, rep_client, manager_client, django_capture_on_commit_callbacks
):
    pump = ProductFactory(sku="PUMP-9", name="离心泵 Pump", list_price=D("60000.00"))
    rule_with([org.rep], sla_hours=4)

    # 1. A lead entered through the form, without an owner: the rule assigns it.
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(
            reverse("leads:lead-create"),
            {
                "name": "周杰",
                "company": "宁波东海贸易有限公司",
                "phone": "13711112222",
                "source": "website",
                "industry": "retail",
            },
        )
    assert response.status_code == 302
    lead = Lead.objects.get()
    assert lead.owner is None
    assignment.assign_waiting()
    lead.refresh_from_db()
    assert lead.owner == org.rep

    # 2. The rep calls: first contact recorded.
    now = timezone.localtime()
    response = rep_client.post(
        reverse("leads:activity-create", args=[lead.pk]),
        {
            "kind": "call",
            "outcome": "success",
            "occurred_at": now.strftime("%Y-%m-%dT%H:%M"),
            "summary": "首次电话沟通 first call",
        },
    )
    assert response.status_code in (200, 302)
    lead.refresh_from_db()
    assert lead.first_contacted_at is not None
    assert lead.status == Lead.Status.CONTACTED

    # 3. Convert with an opportunity.
    page = rep_client.get(reverse("leads:lead-convert", args=[lead.pk])).content.decode()
    assert "Also create an opportunity" in page
    response = rep_client.post(
        reverse("leads:lead-convert", args=[lead.pk]),
        {
            "merge_into": "",
            "name": "宁波东海贸易有限公司",
            "kind": "company",
            "industry": "retail",
            "create_opportunity": "on",
            "opportunity_name": "年度供货",
            "opportunity_amount": "120000.00",
        },
    )
    assert response.status_code == 302
    lead.refresh_from_db()
    customer = lead.converted_customer
    assert lead.status == Lead.Status.CONVERTED
    assert customer.owner == org.rep
    opportunity = Opportunity.objects.get()
    assert (opportunity.customer, opportunity.owner, opportunity.amount) == (
        customer,
        org.rep,
        D("120000.00"),
    )
    assert opportunity.source_lead == lead

    # 4. Through the stages to won.
    open_stages = list(tob().stages.filter(kind=Stage.Kind.OPEN).order_by("order"))
    won = tob().stages.get(kind=Stage.Kind.WON)
    move = reverse("opportunities:opportunity-move", args=[opportunity.pk])
    for stage in [*open_stages[1:], won]:
        assert rep_client.post(move, {"stage": stage.pk}).status_code == 302
        opportunity.refresh_from_db()
        assert opportunity.stage == stage
    assert opportunity.status == Stage.Kind.WON
    assert opportunity.closed_at is not None

    # 5. The order from the won opportunity, through its life.
    url = reverse("orders:order-create") + f"?opportunity={opportunity.pk}"
    detail = rep_client.get(opportunity.get_absolute_url()).content.decode()
    assert f'href="{url}"' in detail  # the won deal offers "new order from this opportunity"
    page = rep_client.get(url)
    assert page.status_code == 200
    assert "年度供货" in page.content.decode()
    data = formset(
        "lines",
        [{"product": str(pump.pk), "quantity": "2", "unit_price": "60000.00"}],
        customer=customer.code,
        owner=str(org.rep.pk),
        order_date=str(timezone.localdate()),
    )
    response = rep_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    order = Order.objects.get()
    assert (order.opportunity, order.customer, order.total) == (
        opportunity,
        customer,
        D("120000.00"),
    )
    for status in ("confirmed", "shipped", "delivered", "completed"):
        response = rep_client.post(reverse("orders:order-status", args=[order.pk]), {"to": status})
        assert response.status_code == 302
        order.refresh_from_db()
        assert order.status == status

    # 6. Receivables 30/70, payments; an overpayment is refused with a message.
    response = rep_client.post(
        reverse("orders:order-schedule", args=[order.pk]),
        formset(
            "installments",
            [
                {"label": "签约", "percent": "30", "due_date": "2026-12-15"},
                {"label": "交付", "percent": "70", "due_date": "2027-01-31"},
            ],
        ),
    )
    assert response.status_code == 302
    first, second = order.receivables.order_by("due_date")
    assert (first.amount, second.amount) == (D("36000.00"), D("84000.00"))
    pay = reverse("orders:payment-create", args=[first.pk])
    ok = {
        "amount": "36000.00",
        "paid_on": "2026-11-27",
        "method": "bank_transfer",
        "reference": "BOC-1",
    }
    assert rep_client.post(pay, ok).status_code == 302
    pay2 = reverse("orders:payment-create", args=[second.pk])
    response = rep_client.post(pay2, {**ok, "amount": "84000.01", "reference": "BOC-2"})
    assert response.status_code == 200
    assert "more than the ¥84,000.00 still due" in response.content.decode()
    assert (
        rep_client.post(pay2, {**ok, "amount": "40000.00", "reference": "BOC-3"}).status_code == 302
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.paid_amount, first.status) == (D("36000.00"), Receivable.Status.PAID)
    assert (second.paid_amount, second.status) == (D("40000.00"), Receivable.Status.PARTLY_PAID)

    # 7. A contract above the threshold, approved by the manager.
    response = rep_client.post(
        reverse("orders:contract-create") + f"?order={order.pk}",
        {
            "customer": customer.code,
            "order_number": order.number,
            "owner": org.rep.pk,
            "title": "离心泵年度供货合同",
            "amount": "120000.00",
            "start_on": "2026-11-01",
            "end_on": "2027-10-31",
            "terms": "",
        },
    )
    assert response.status_code == 302
    contract = Contract.objects.get()
    assert contract.needs_approval
    rep_client.post(reverse("orders:contract-submit", args=[contract.pk]))
    contract.refresh_from_db()
    assert contract.approver == org.manager
    response = manager_client.post(
        reverse("orders:contract-decide", args=[contract.pk]), {"decision": "approve"}
    )
    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.status == Contract.Status.APPROVED

    # 8. The customer's page shows it all.
    response = rep_client.get(customer.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert "年度供货" in html
    assert opportunity.get_absolute_url() in html
    assert order.number in html
    assert contract.get_absolute_url() in html or contract.number in html
    assert 'id="lifetime-value">¥120,000.00' in html
    assert "¥44,000.00" in html  # still due
    assert "首次电话沟通 first call" in html  # the lead's call, in the customer's timeline
    assert Activity.objects.filter(lead=lead, customer=customer).exists()
    # Every page of the journey renders in both languages, and every link on it answers.
    pages = [customer, lead, opportunity, order, contract, first, second]
    for language in ("en", "zh-hans"):
        rep_client.cookies["django_language"] = language
        for obj in pages:
            page = rep_client.get(obj.get_absolute_url())
            assert page.status_code == 200, (language, obj)
            for href in sorted(set(re.findall(r'href="(/[^"#]*)', page.content.decode()))):
                if href.startswith(("/static/", "/accounts/logout", "/i18n/")):
                    continue
                target = rep_client.get(href.replace("&amp;", "&"))
                assert target.status_code in (200, 302), (obj, href)
    rep_client.cookies["django_language"] = "en"
    # Every notification sent on the way opens for its recipient.
    from notifications.models import Notification

    notifications = list(Notification.objects.select_related("user"))
    assert sorted((n.kind, n.user.username, n.url) for n in notifications) == [
        ("contract_approval", "manager", contract.get_absolute_url()),
        ("contract_decision", "rep", contract.get_absolute_url()),
        ("lead_assigned", "rep", lead.get_absolute_url()),
        ("opportunity_closed", "manager", opportunity.get_absolute_url()),
    ]
    for notification in notifications:
        assert notification.url, notification.kind
        target = client_for(notification.user).get(notification.url)
        assert target.status_code == 200, (notification.kind, notification.url)
    # In Chinese too.
    rep_client.cookies["django_language"] = "zh-hans"
    zh = rep_client.get(customer.get_absolute_url())
    assert zh.status_code == 200
    assert "商机" in zh.content.decode()


def _fill(customer, owner, n, pump):
    from customers import services as customer_services
    from service.models import Ticket  # noqa: F401
    from tests.service.factories import TicketFactory

    for i in range(n):
        make_opportunity(owner=owner, customer=customer, name=f"Deal {i}")
        make_order(customer=customer, owner=owner, lines=[(pump, 1, "100.00")], status="completed")
        TicketFactory(customer=customer)
        customer_services.activity_log(
            customer=customer, by=owner, kind="call", outcome="success", summary=f"call {i}"
        )


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_customer_page_has_a_fixed_number_of_queries(
    org, rep_client, django_assert_max_num_queries, language
):
    pump = ProductFactory(sku="P-1", list_price=D("100.00"))
    few = CustomerFactory(owner=org.rep, name="少")
    many = CustomerFactory(owner=org.rep, name="多")
    _fill(few, org.rep, 2, pump)
    _fill(many, org.rep, 30, pump)
    rep_client.cookies["django_language"] = language
    rep_client.get(few.get_absolute_url())  # warm caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        assert rep_client.get(few.get_absolute_url()).status_code == 200
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = rep_client.get(many.get_absolute_url())
    assert response.status_code == 200
    # Past the section's 20 rows, a link leads to all 30 of the customer's opportunities.
    html = response.content.decode()
    link = reverse("opportunities:opportunity-list") + f"?q={many.code}"
    assert link in html
    listed = rep_client.get(link).content.decode()
    assert all(f">Deal {i}<" in listed for i in range(30))
    assert (
        link.replace(many.code, few.code)
        not in rep_client.get(few.get_absolute_url()).content.decode()
    )


def test_pool_customer_page_renders(org, rep_client):
    pump = ProductFactory(sku="P-2", list_price=D("100.00"))
    customer = CustomerFactory(owner=org.rep)
    _fill(customer, org.rep, 1, pump)
    Customer.objects.filter(pk=customer.pk).update(owner=None)
    for language in ("en", "zh-hans"):
        rep_client.cookies["django_language"] = language
        page = rep_client.get(customer.get_absolute_url())
        assert page.status_code == 200
        for href in sorted(set(re.findall(r'href="(/[^"#]*)', page.content.decode()))):
            if href.startswith(("/static/", "/accounts/logout", "/i18n/")):
                continue
            assert rep_client.get(href.replace("&amp;", "&")).status_code in (200, 302), href


def test_rep_handover_moves_customers_leads_opportunities_not_orders(org, manager_client):
    pump = ProductFactory(sku="P-3", list_price=D("100.00"))
    customer = CustomerFactory(owner=org.rep)
    open_lead = LeadFactory(owner=org.rep)
    closed_lead = LeadFactory(owner=org.rep, status=Lead.Status.DISQUALIFIED)
    deal = make_opportunity(owner=org.rep, customer=customer)
    won = make_opportunity(owner=org.rep, customer=customer, name="Won one")
    from opportunities import services as opportunity_services

    opportunity_services.opportunity_move_stage(
        opportunity=won, to_stage=tob().stages.get(kind=Stage.Kind.WON), by=org.rep
    )
    order = make_order(
        customer=customer, owner=org.rep, lines=[(pump, 1, None)], status="confirmed"
    )
    receivable = Receivable.objects.create(
        customer=customer, owner=org.rep, order=order, amount=D("100.00"), due_date=date(2027, 1, 1)
    )
    url = reverse("customers:rep-handover")
    preview = manager_client.get(url, {"from_user": org.rep.pk, "to_user": org.teammate.pk})
    assert preview.status_code == 200
    response = manager_client.post(
        url, {"from_user": org.rep.pk, "to_user": org.teammate.pk, "note": "离职"}
    )
    assert response.status_code == 302
    for obj in (customer, open_lead, closed_lead, deal, won, order, receivable):
        obj.refresh_from_db()
    assert customer.owner == org.teammate
    assert open_lead.owner == org.teammate
    assert closed_lead.owner == org.rep
    assert deal.owner == org.teammate
    assert won.owner == org.rep  # closed: stays credited
    assert order.owner == org.rep  # orders and receivables stay with the credited rep
    assert receivable.owner == org.rep


def test_manager_converting_a_reps_lead_leaves_customer_and_deal_with_the_rep(org, manager_client):
    lead = LeadFactory(owner=org.rep, name="林雪", company="成都锦城教育", phone="13312345678")
    response = manager_client.post(
        reverse("leads:lead-convert", args=[lead.pk]),
        {
            "name": "成都锦城教育",
            "kind": "company",
            "create_opportunity": "on",
            "opportunity_name": "智慧校园一期",
            "opportunity_amount": "250000.00",
        },
    )
    assert response.status_code == 302
    lead.refresh_from_db()
    opportunity = Opportunity.objects.get()
    assert lead.converted_customer.owner == org.rep
    assert opportunity.owner == org.rep
    assert opportunity.amount == D("250000.00")
