"""A rep's day in a real browser, in English and in Chinese: sign in, create a customer, log a
visit on it (htmx), and see it on the timeline."""

from __future__ import annotations

import pytest

from customers.models import Activity, Customer
from tests.browser import login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TEXT = {
    "en": {"new": "New customer", "logged": "Follow-up logged."},
    "zh-hans": {"new": "新建客户", "logged": "跟进记录已保存。"},
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_rep_creates_a_customer_and_logs_a_visit(org, browser_factory, language):
    page = browser_factory(language)
    login(page, org.rep)
    page.goto("/customers/new/")
    assert TEXT[language]["new"] in page.locator("h1").inner_text()
    page.fill("#id_name", f"浦东精密仪器有限公司 {language}")
    page.fill("#id_phone", "021-5555 0101")
    page.click("main form button[type=submit].btn-primary")
    page.wait_for_url("**/customers/*/")
    customer = Customer.objects.get(name=f"浦东精密仪器有限公司 {language}")
    assert customer.owner == org.rep

    page.select_option("#id_kind", "visit")
    page.select_option("#id_outcome", "success")
    page.fill("#id_summary", "演示了新产品，客户有兴趣")
    page.locator("#activity-panel button[type=submit]").click()
    page.get_by_text(TEXT[language]["logged"]).wait_for()
    assert page.get_by_text("演示了新产品，客户有兴趣").count() >= 1
    activity = Activity.objects.get(customer=customer)
    assert (activity.kind, activity.outcome, activity.owner) == ("visit", "success", org.rep)


def test_the_journey_works_on_a_phone(org, browser_factory):
    page = browser_factory("zh-hans", viewport={"width": 390, "height": 844})
    login(page, org.rep)
    # The navigation collapses behind the toggler on a phone.
    nav_link = page.locator("#main-nav").get_by_role("link", name="客户")
    assert not nav_link.is_visible()
    page.locator(".navbar-toggler").click()
    nav_link.click()
    page.wait_for_url("**/customers/")
    page.goto("/customers/new/")
    page.fill("#id_name", "手机端客户")
    page.click("main form button[type=submit].btn-primary")
    page.wait_for_url("**/customers/*/")
    assert Customer.objects.filter(name="手机端客户", owner=org.rep).exists()
