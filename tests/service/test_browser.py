"""A complaint through the ToB flow in a real browser: opened from the customer's page, taken,
worked step by step, confirmed by the customer with their satisfaction."""

from __future__ import annotations

import pytest

from service.models import Ticket
from tests.browser import login
from tests.factories import ContactFactory, CustomerFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_ticket_through_the_tob_flow_in_the_browser(org, browser_factory, only_service_section):
    customer = CustomerFactory(name="上海明辉机械有限公司", owner=org.rep)
    ContactFactory(customer=customer, name="王建国", is_primary=True)
    customer_url = customer.get_absolute_url()

    def steps(page) -> None:
        login(page, org.service)
        page.goto(customer_url)
        page.locator("#h-tickets").wait_for()
        page.get_by_role("link", name="New ticket").click()
        page.wait_for_url("**/service/tickets/new/?customer=*")
        page.select_option("#id_type", "complaint")
        page.select_option("#id_priority", "high")
        page.fill("#id_summary", "设备运行十分钟后停机")
        page.click("main form button[type=submit].btn-primary")
        page.wait_for_url("**/service/tickets/*/")
        page.get_by_role("button", name="Take it").click()
        page.locator("#ticket-assignee", has_text=str(org.service)).wait_for()
        for step in ("已派单 Assigned", "上门服务 On site"):
            page.get_by_role("button", name=f"Move to “{step}”").click()
            page.locator("#ticket-status", has_text=step).wait_for()
        resolved = page.locator("form[data-move='已解决 Resolved']")
        resolved.locator("textarea[name=resolution]").fill("更换了电机")
        resolved.get_by_role("button").click()
        page.locator("#ticket-status", has_text="Resolved").wait_for()
        confirmed = page.locator("form[data-move='客户确认 Confirmed by customer']")
        confirmed.locator("select[name=satisfaction]").select_option("5")
        confirmed.get_by_role("button").click()
        page.locator("#ticket-status", has_text="Confirmed by customer").wait_for()
        assert page.locator("#ticket-events li").count() == 6

    steps(browser_factory("en"))

    ticket = Ticket.objects.get()
    assert ticket.customer_owner == org.rep
    assert ticket.type == "complaint"
    assert ticket.closed_at is not None
    assert (ticket.resolution, ticket.satisfaction) == ("更换了电机", 5)
    assert ticket.assignee == org.service
