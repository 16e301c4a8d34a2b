"""A rep's sales day in a real browser, in English and in Chinese: a lead assigned to them is
called and converted (customer + contact + opportunity); opportunities are dragged on the kanban
board to won and to lost (the lost reason is required); an order is entered with two lines
through the htmx rows and confirmed. The lead conversion also runs at a phone's size, through the
collapsed menu."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from customers.models import Contact, Customer
from leads import services as lead_services
from leads.models import Lead
from opportunities.models import LostReason, Opportunity, Stage
from orders.models import Order
from tests.browser import htmx_settled, login
from tests.e2e.helpers import LANGUAGES, PHONE, mouse_drag, tr
from tests.factories import CustomerFactory
from tests.opportunities.factories import make_opportunity, tob
from tests.orders.factories import ProductFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
D = Decimal


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    """Notification emails are queued after commit on the broker: not in these tests."""
    from notifications import services

    monkeypatch.setattr(services, "email_queue", lambda notification_id: None)


# --- 1. a new lead: call, convert, see the customer -------------------------------------------
def _new_lead(org, language: str) -> Lead:
    """A lead the manager enters and gives to the rep (the rep is told of it)."""
    return lead_services.lead_create(
        by=org.manager,
        owner=org.rep,
        name=f"周杰 {language}",
        company=f"宁波东海贸易有限公司 {language}",
        phone="13711112222" if language == "en" else "13711113333",
        source=Lead.Source.WEBSITE,
        industry="retail",
    )


def _call_and_convert(page, lead: Lead, language: str) -> None:
    """On the lead's page: log a call (htmx), then convert it with an opportunity."""
    page.wait_for_url(f"**{lead.get_absolute_url()}")
    assert lead.name in page.locator("h1").inner_text()
    assert page.locator("#lead-status").inner_text() == tr(language, "New")

    page.select_option("#id_kind", "call")
    page.select_option("#id_outcome", "success")
    page.fill("#id_summary", "首次电话沟通，客户要报价 first call")
    page.locator("#activity-panel button[type=submit]").click()
    page.locator("#activity-panel [role=status]").get_by_text(
        tr(language, "Follow-up logged.")
    ).wait_for()
    assert page.locator("#lead-activities").get_by_text("首次电话沟通").count() == 1
    lead.refresh_from_db()
    assert lead.first_contacted_at is not None
    assert lead.status == Lead.Status.CONTACTED

    page.get_by_role("link", name=tr(language, "Convert")).click()
    page.wait_for_url(f"**{reverse('leads:lead-convert', args=[lead.pk])}")
    assert page.locator("#id_name").input_value() == lead.company  # prefilled from the lead
    page.check("#id_create_opportunity")
    page.fill("#id_opportunity_name", "年度供货 annual supply")
    page.fill("#id_opportunity_amount", "120000.50")
    page.get_by_role("button", name=tr(language, "Convert")).click()
    page.wait_for_url(re.compile(r"/customers/\d+/$"))


def _assert_converted(page, lead: Lead, rep, language: str) -> None:
    lead.refresh_from_db()
    customer = lead.converted_customer
    assert lead.status == Lead.Status.CONVERTED
    assert (customer.name, customer.owner) == (lead.company, rep)
    assert Contact.objects.filter(customer=customer, name=lead.name).exists()
    deal = Opportunity.objects.get(source_lead=lead)
    assert (deal.customer, deal.owner, deal.amount) == (customer, rep, D("120000.50"))
    # What the rep sees: the new customer's page, with its contact and opportunity.
    assert page.url.endswith(customer.get_absolute_url())
    converted = tr(language, "Lead converted: customer %(customer)s.", customer=customer.name)
    assert page.get_by_text(converted).is_visible()
    assert customer.name in page.locator("h1").inner_text()
    main = page.locator("main")
    assert main.get_by_text(lead.name).first.is_visible()
    assert main.get_by_role("link", name="年度供货 annual supply").first.is_visible()
    assert main.get_by_text("首次电话沟通").first.is_visible()  # the call moved to the timeline


@pytest.mark.parametrize("language", LANGUAGES)
def test_rep_calls_and_converts_a_new_lead(org, browser_factory, language):
    lead = _new_lead(org, language)
    page = browser_factory(language)
    login(page, org.rep)
    page.goto(reverse("leads:lead-list"))
    assert page.locator("h1").inner_text() == tr(language, "Leads")
    page.locator("main").get_by_role("link", name=lead.name).click()
    _call_and_convert(page, lead, language)
    _assert_converted(page, lead, org.rep, language)


def test_lead_conversion_on_a_phone(org, browser_factory):
    language = "zh-hans"
    lead = _new_lead(org, language)
    page = browser_factory(language, viewport=PHONE)
    login(page, org.rep)
    # The menu is collapsed behind the toggler: it opens and leads to the leads.
    nav_link = page.locator("#main-nav").get_by_role("link", name=tr(language, "Leads"))
    assert not nav_link.is_visible()
    toggler = page.locator(".navbar-toggler")
    assert toggler.is_visible()
    toggler.click()
    nav_link.click()
    page.wait_for_url(f"**{reverse('leads:lead-list')}")
    page.locator("main").get_by_role("link", name=lead.name).click()
    _call_and_convert(page, lead, language)
    _assert_converted(page, lead, org.rep, language)
    # Nothing on the customer's page is wider than the phone.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width


# --- 2. the kanban board: drag to won, drag to lost -------------------------------------------
def _card(page, deal: Opportunity):
    return page.locator(f'.board-card[data-id="{deal.pk}"]')


def _column(page, stage: Stage):
    return page.locator(f'.board-cards[data-stage-id="{stage.pk}"]')


@pytest.mark.parametrize("language", LANGUAGES)
def test_rep_drags_opportunities_to_won_and_to_lost(org, browser_factory, language):
    pipeline = tob()
    first = pipeline.stages.filter(kind=Stage.Kind.OPEN).order_by("order").first()
    won = pipeline.stages.get(kind=Stage.Kind.WON)
    lost = pipeline.stages.get(kind=Stage.Kind.LOST)
    customer = CustomerFactory(owner=org.rep, name="杭州西湖电子有限公司")
    winner = make_opportunity(owner=org.rep, customer=customer, name="年度框架协议", amount="88000")
    loser = make_opportunity(owner=org.rep, customer=customer, name="备件补货", amount="5000")
    reason = LostReason.objects.filter(is_active=True).order_by("order").first()

    page = browser_factory(language)
    login(page, org.rep)
    page.goto(reverse("opportunities:board-default"))
    assert page.locator("h1").inner_text() == tr(language, "Board")
    assert _column(page, won).get_by_role("link", name=winner.name).count() == 0
    # The column headers are in the user's language.
    with translation.override(language):
        won_label = won.label
    assert page.locator(f"#col-{won.pk}").inner_text() == won_label
    assert _card(page, winner).locator("..").get_attribute("data-stage-id") == str(first.pk)

    # Won: dropped on the column, saved, the card stays there and the order is offered.
    with page.expect_response(lambda r: r.url.endswith(f"/{winner.pk}/move/")) as answer:
        mouse_drag(page, _card(page, winner), _column(page, won))
    assert answer.value.headers["x-board-result"] == "moved"
    message = page.locator("#board-message .alert-success")
    message.wait_for()
    assert message.inner_text().startswith(
        tr(language, "%(name)s moved to %(stage)s.", name=winner.name, stage=won_label)
    )
    assert message.get_by_role("link", name=tr(language, "Create the order")).is_visible()
    assert _column(page, won).locator(f'.board-card[data-id="{winner.pk}"]').is_visible()
    winner.refresh_from_db()
    assert (winner.stage, winner.status) == (won, Stage.Kind.WON)
    assert winner.closed_at is not None
    assert page.locator(f"#col-head-{won.pk} .board-count").inner_text() == "1"

    # Lost: the reason is asked first; the card goes back until it is given.
    with page.expect_response(lambda r: r.url.endswith(f"/{loser.pk}/move/")) as answer:
        mouse_drag(page, _card(page, loser), _column(page, lost))
    assert answer.value.headers["x-board-result"] == "ask"
    modal = page.locator("#lost-modal")
    modal.wait_for(state="visible")
    assert modal.locator("h2").inner_text() == tr(
        language, "Why was “%(name)s” lost?", name=loser.name
    )
    _column(page, first).locator(f'.board-card[data-id="{loser.pk}"]').wait_for()
    # Sent without a reason: the browser refuses the required field, nothing is posted.
    submit = modal.get_by_role("button", name=tr(language, "Mark as lost"))
    posted = []
    page.on("request", lambda request: posted.append(request.url))
    submit.click()
    assert modal.locator("#lost-reason:invalid").count() == 1
    assert modal.locator("#lost-reason").evaluate("el => el.validationMessage") != ""
    assert not [url for url in posted if url.endswith("/move/")]
    assert modal.is_visible()
    loser.refresh_from_db()
    assert (loser.stage, loser.status, loser.lost_reason) == (first, Stage.Kind.OPEN, None)

    modal.locator("#lost-reason").select_option(str(reason.pk))
    modal.locator("#lost-note").fill("价格太高 too expensive")
    with page.expect_response(lambda r: r.url.endswith(f"/{loser.pk}/move/")) as answer:
        submit.click()
    assert answer.value.headers["x-board-result"] == "moved"
    modal.wait_for(state="hidden")
    _column(page, lost).locator(f'.board-card[data-id="{loser.pk}"]').wait_for()
    loser.refresh_from_db()
    assert (loser.stage, loser.status, loser.lost_reason) == (lost, Stage.Kind.LOST, reason)
    assert loser.lost_note == "价格太高 too expensive"
    # After a reload the board shows what the database says.
    page.reload()
    assert _column(page, won).locator(f'.board-card[data-id="{winner.pk}"]').is_visible()
    assert _column(page, lost).locator(f'.board-card[data-id="{loser.pk}"]').is_visible()
    assert _column(page, first).locator(".board-card").count() == 0


# --- 3. an order with two lines ---------------------------------------------------------------
def _line(page, i: int):
    return page.locator("#order-lines tr.order-line").nth(i)


def _recompute(page, field) -> None:
    """Enter in a line's field recomputes the lines on the server (static/js/orders.js)."""
    with page.expect_response(lambda r: r.url.endswith(reverse("orders:order-lines"))):
        field.press("Enter")


@pytest.mark.parametrize("language", LANGUAGES)
def test_rep_enters_an_order_with_two_lines_and_confirms_it(org, browser_factory, language):
    customer = CustomerFactory(owner=org.rep, name="苏州工业园区精工机械有限公司")
    pump = ProductFactory(sku="PUMP-9", name="离心泵 Pump", list_price=D("33.34"))
    valve = ProductFactory(sku="VALVE-2", name="球阀 Valve", list_price=D("19.99"))

    page = browser_factory(language)
    login(page, org.rep)
    page.goto(reverse("orders:order-list"))
    page.locator("main").get_by_role("link", name=tr(language, "New order")).first.click()
    page.wait_for_url(f"**{reverse('orders:order-create')}")
    assert page.locator("h1").inner_text() == tr(language, "New order")
    page.fill("#id_customer", customer.code)

    # Line 1: the product's list price fills in; 3 at 33.33 each = 99.99.
    line = _line(page, 0)
    with page.expect_response(lambda r: r.url.endswith(reverse("orders:order-lines"))):
        line.locator("select").select_option(str(pump.pk))
    _line(page, 0).locator(".line-amount").get_by_text("¥33.34").wait_for()
    quantity = _line(page, 0).locator("input[name='lines-0-quantity']")
    quantity.fill("3")
    _recompute(page, quantity)
    _line(page, 0).locator(".line-amount").get_by_text("¥100.02").wait_for()
    price = _line(page, 0).locator("input[name='lines-0-unit_price']")
    price.fill("33.33")
    _recompute(page, price)
    _line(page, 0).locator(".line-amount").get_by_text("¥99.99").wait_for()

    # Line 2, added through htmx: 2.5 at the list price 19.99 = 49.975, rounded to 49.98.
    with page.expect_response(lambda r: r.url.endswith(reverse("orders:order-lines"))):
        page.get_by_role("button", name=tr(language, "Add line")).click()
    _line(page, 1).wait_for()
    htmx_settled(page)  # htmx wires the new row's controls when it settles, not when it appears
    assert page.locator("#order-lines tr.order-line").count() == 2
    with page.expect_response(lambda r: r.url.endswith(reverse("orders:order-lines"))):
        _line(page, 1).locator("select").select_option(str(valve.pk))
    quantity = _line(page, 1).locator("input[name='lines-1-quantity']")
    quantity.fill("2.5")
    _recompute(page, quantity)
    _line(page, 1).locator(".line-amount").get_by_text("¥49.98").wait_for()

    # The totals, to the cent: list 100.02 + 49.98 = 150.00; discount 0.03; total 149.97.
    assert page.locator("#lines-list-total").inner_text() == "¥150.00"
    assert page.locator("#lines-total").inner_text() == "¥149.97"
    assert _line(page, 0).locator("input[name='lines-0-unit_price']").input_value() == "33.33"
    page.locator("#order-form .card-footer").get_by_role(
        "button", name=tr(language, "Save")
    ).click()
    page.wait_for_url(re.compile(r"/orders/\d+/$"))

    order = Order.objects.get(customer=customer)
    assert order.status == Order.Status.DRAFT
    assert (order.total, order.owner) == (D("149.97"), org.rep)
    assert sorted((line.product.sku, line.quantity, line.amount) for line in order.lines.all()) == [
        ("PUMP-9", D("3"), D("99.99")),
        ("VALVE-2", D("2.5"), D("49.98")),
    ]
    assert page.locator("#order-total").inner_text() == "¥149.97"
    created = tr(language, "Order %(number)s created.", number=order.number)
    assert page.get_by_text(created).is_visible()

    # Confirm it.
    page.locator("main form").get_by_role("button", name=tr(language, "Confirm")).click()
    page.wait_for_load_state()
    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED
    with translation.override(language):
        status = str(Order.Status.CONFIRMED.label)
    page.get_by_text(
        tr(language, "Order %(number)s is now %(status)s.", number=order.number, status=status)
    ).wait_for()
    assert status in page.locator("h1").inner_text()
    assert Customer.objects.get(pk=customer.pk).owner == org.rep
