"""The board in a real browser: Debian's Chromium driven by Playwright against pytest-django's
live server. A card dragged to another column changes the opportunity's stage (StageChange
written); dropped on "Lost" it asks for the reason in a modal and changes nothing until then."""

from __future__ import annotations

import asyncio
import os
from contextlib import contextmanager
from pathlib import Path

import pytest

from opportunities.models import LostReason, Opportunity
from tests.opportunities.factories import make_opportunity, stage

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "pass-for-tests"  # tests.factories.UserFactory's password

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed"),
]

# Playwright's sync API runs an event loop in this thread; the ORM calls between browser steps
# are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@contextmanager
def _detached_loop():
    """Let this test run its own sync Playwright even while another one is open in this thread
    (tests/e2e keeps a session-wide browser): its event loop is set aside meanwhile."""
    running = asyncio.events._get_running_loop()
    asyncio.events._set_running_loop(None)
    try:
        yield
    finally:
        asyncio.events._set_running_loop(running)


def _new_page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1600, "height": 1000}
    )
    context.set_default_timeout(10_000)
    return context, context.new_page()


@pytest.fixture
def page(request, live_server):
    from django.db import connections
    from playwright.sync_api import sync_playwright

    try:
        # The suite's shared browser, when a conftest above this folder provides one.
        shared = request.getfixturevalue("chromium")
    except pytest.FixtureLookupError:
        shared = None
    if shared is not None:
        context, page = _new_page(shared, live_server)
        yield page
        context.close()
        return
    # Once Playwright's loop runs, Django hands out new connection objects: give them the
    # contents serialized at setup, so serialized_rollback restores the seeded rows afterwards.
    saved = {a: getattr(connections[a], "_test_serialized_contents", None) for a in connections}
    with _detached_loop(), sync_playwright() as playwright:
        for alias, contents in saved.items():
            if contents is not None:
                connections[alias]._test_serialized_contents = contents
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        context, page = _new_page(browser, live_server)
        yield page
        context.close()
        browser.close()
        # The connections opened while Playwright's loop ran are not the test's own: close them,
        # or PostgreSQL refuses to drop the test database at the end.
        for connection in connections.all(initialized_only=True):
            connection.close()


def login(page, user) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("form:has(#id_password) [type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def drag(page, card_selector: str, column_selector: str) -> None:
    """Drag with the mouse, in steps (SortableJS runs in fallback mode: mouse events)."""
    card = page.locator(card_selector).bounding_box()
    column = page.locator(column_selector).bounding_box()
    page.mouse.move(card["x"] + card["width"] / 2, card["y"] + 20)
    page.mouse.down()
    x, y = column["x"] + column["width"] / 2, column["y"] + 30
    page.mouse.move(card["x"] + card["width"] / 2 + 10, card["y"] + 30, steps=5)
    page.mouse.move(x, y, steps=20)
    page.mouse.move(x, y + 5, steps=5)
    page.mouse.up()


def test_drag_a_card_to_another_stage(org, page):
    opp = make_opportunity(owner=org.rep, name="浦东仪器 项目", amount="120000.00")
    make_opportunity(owner=org.rep, name="Other deal", stage_name="Proposal")
    visit = stage("Visit")
    login(page, org.rep)
    page.goto(f"/opportunities/board/{visit.pipeline_id}/")
    card = f'.board-card[data-id="{opp.pk}"]'
    page.locator(card).wait_for()
    with page.expect_response(lambda r: f"/opportunities/{opp.pk}/move/" in r.url) as reply:
        drag(page, card, f'.board-cards[data-stage-id="{visit.pk}"]')
    assert reply.value.status == 200
    page.locator(f'.board-cards[data-stage-id="{visit.pk}"] {card}').wait_for()
    page.locator("#board-message .alert-success").wait_for()

    opp.refresh_from_db()
    assert opp.stage == visit
    change = opp.stage_changes.order_by("-changed_at", "-id").first()
    assert (change.from_stage, change.to_stage, change.changed_by) == (
        stage("Initial contact"),
        visit,
        org.rep,
    )
    # The column header now counts it.
    assert page.locator(f"#col-head-{visit.pk} .board-count").inner_text() == "1"

    # Dropped on "Lost": a modal asks why, the card goes back, nothing changes until answered.
    lost = stage("Lost")
    with page.expect_response(lambda r: f"/opportunities/{opp.pk}/move/" in r.url):
        drag(page, card, f'.board-cards[data-stage-id="{lost.pk}"]')
    page.locator("#lost-modal").wait_for(state="visible")
    page.locator(f'.board-cards[data-stage-id="{visit.pk}"] {card}').wait_for()
    opp.refresh_from_db()
    assert opp.stage == visit
    reason = LostReason.objects.get(name="No budget")
    page.select_option("#lost-reason", str(reason.pk))
    with page.expect_response(lambda r: f"/opportunities/{opp.pk}/move/" in r.url):
        page.locator("#lost-modal button[type=submit]").click()
    page.locator(f'.board-cards[data-stage-id="{lost.pk}"] {card}').wait_for()
    page.locator("#lost-modal").wait_for(state="hidden")
    opp = Opportunity.objects.get(pk=opp.pk)
    assert (opp.stage, opp.lost_reason, opp.status) == (lost, reason, "lost")
    assert opp.stage_changes.count() == 3
