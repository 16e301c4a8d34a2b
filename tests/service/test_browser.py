"""A complaint through the ToB flow in a real browser: opened from the customer's page, taken,
worked step by step, confirmed by the customer with their satisfaction.

The browser runs in a thread of its own (Playwright's sync API allows one instance per thread,
and tests/e2e keeps a session-wide one open in the main thread); database checks stay in the
test's thread.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

import pytest

from service.models import Ticket
from tests.factories import ContactFactory, CustomerFactory

CHROMIUM = os.environ.get("CRM_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "pass-for-tests"  # tests.factories.UserFactory's password

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed"),
]


def _in_browser(base_url: str, steps) -> None:
    """Run `steps(page)` in a fresh Chromium in another thread; re-raise what it raised."""
    errors: list[BaseException] = []

    def run() -> None:
        from playwright.sync_api import sync_playwright

        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM,
                    headless=True,
                    args=["--no-sandbox", "--disable-gpu", "--no-first-run"],
                )
                try:
                    context = browser.new_context(
                        base_url=base_url, viewport={"width": 1280, "height": 900}
                    )
                    context.add_cookies(
                        [{"name": "django_language", "value": "en", "url": base_url}]
                    )
                    context.set_default_timeout(10_000)
                    steps(context.new_page())
                finally:
                    browser.close()
        except BaseException as exc:  # re-raised in the test's thread
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(180)
    if errors:
        raise errors[0]


def test_ticket_through_the_tob_flow_in_the_browser(org, live_server, only_service_section):
    customer = CustomerFactory(name="上海明辉机械有限公司", owner=org.rep)
    ContactFactory(customer=customer, name="王建国", is_primary=True)
    customer_url = customer.get_absolute_url()

    def steps(page) -> None:
        page.goto("/accounts/login/")
        page.fill("#id_username", org.service.username)
        page.fill("#id_password", PASSWORD)
        page.click("form:has(#id_password) [type=submit]")
        page.wait_for_url(re.compile(r"/$"))
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

    _in_browser(live_server.url, steps)

    ticket = Ticket.objects.get()
    assert ticket.customer_owner == org.rep
    assert ticket.type == "complaint"
    assert ticket.closed_at is not None
    assert (ticket.resolution, ticket.satisfaction) == ("更换了电机", 5)
    assert ticket.assignee == org.service
