"""Bad input (issue 10): a customer whose name is markup and script shows as plain text on the
customer list, the customer's page and the board's cards, and no script of it ever runs."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.browser import login
from tests.factories import CustomerFactory
from tests.opportunities.factories import make_opportunity

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

HOSTILE = "<img src=x onerror=window.__xss=1><script>window.__xss=2</script>"


def _assert_inert(page) -> None:
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator("main img[src='x']").count() == 0
    assert page.locator("main script").count() == 0


def test_a_customer_named_with_script_shows_as_text(org, browser_factory):
    customer = CustomerFactory(owner=org.rep, name=HOSTILE)
    make_opportunity(owner=org.rep, customer=customer, name=HOSTILE)
    page = browser_factory("en")
    errors = []
    page.on("pageerror", lambda error: errors.append(error))
    login(page, org.rep)

    page.goto(reverse("customers:customer-list"))
    link = page.locator("main").get_by_role("link", name=HOSTILE, exact=True)
    assert link.is_visible()  # the name, as text
    _assert_inert(page)

    link.click()
    page.wait_for_url(f"**{customer.get_absolute_url()}")
    assert page.locator("h1").get_by_text(HOSTILE).is_visible()
    assert HOSTILE in page.title()
    _assert_inert(page)

    page.goto(reverse("opportunities:board-default"))
    card = page.locator(".board-card").first
    assert card.get_by_role("link", name=HOSTILE, exact=True).is_visible()
    assert HOSTILE in card.inner_text()
    _assert_inert(page)
    assert errors == []
