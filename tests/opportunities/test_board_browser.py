"""The board in a real browser: Debian's Chromium driven by Playwright against pytest-django's
live server. A card dragged to another column changes the opportunity's stage (StageChange
written); dropped on "Lost" it asks for the reason in a modal and changes nothing until then."""

from __future__ import annotations

import pytest

from opportunities.models import LostReason, Opportunity
from tests.browser import login
from tests.opportunities.factories import make_opportunity, stage

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def page(browser_factory):
    return browser_factory(viewport={"width": 1600, "height": 1000})


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
