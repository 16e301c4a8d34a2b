"""A scorecard goes through the whole review chain (逐级考核) in a real browser: the manager
adjusts an item with a comment and passes it on, planning sends it back once with a comment,
the manager passes it on again, planning, the VP (in Chinese) and HR pass it on, HR publishes,
and the rep signs in, sees the published result with the reviewer's comment, and appeals."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from performance.models import ReviewStep, Scorecard
from tests.browser import login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

A = ReviewStep.Action


def _open(browser_factory, user, card, language="en"):
    page = browser_factory(language)
    login(page, user)
    page.goto(card.get_absolute_url())
    return page


def _pass_on(page, comment=""):
    page.fill("#id_submit-comment", comment)
    page.locator("#submit-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/performance/scorecards/$"))


def test_the_whole_review_chain_in_a_browser(org, make_scorecard, browser_factory):
    card = make_scorecard(org.rep)

    # The manager adjusts an item, with a comment, and passes the scorecard on.
    page = _open(browser_factory, org.manager, card)
    page.fill("#id_points_review_probe", "5")  # without a comment: refused by the server
    page.locator("#adjust-form button[type=submit]").click()
    page.locator("#adjust-form .invalid-feedback").first.wait_for()
    page.fill("#id_points_review_probe", "12")  # beyond the limit: the browser refuses it
    assert page.locator("#id_points_review_probe").evaluate("e => e.validity.rangeOverflow")
    assert Scorecard.objects.get(pk=card.pk).total == Decimal("86.00")
    page.fill("#id_points_review_probe", "5")
    page.fill("#id_comment_review_probe", "Signed the 浦东 key account")
    page.locator("#adjust-form button[type=submit]").click()
    page.get_by_text("Adjustments saved.").wait_for()
    assert page.locator("#scorecard-total").inner_text() == "89.00"
    assert "Signed the 浦东 key account" in page.locator("#items-table").inner_text()
    _pass_on(page, "Good month")

    # Planning sends it back once, with a comment.
    page = _open(browser_factory, org.planner, card)
    page.locator("#send-back-form button[type=submit]").click()  # no comment: refused
    assert page.locator("#id_back-comment").evaluate("e => e.validity.valueMissing")
    assert Scorecard.objects.get(pk=card.pk).status == Scorecard.Status.PLANNING
    page.fill("#id_back-comment", "Attach the contract of the key account")
    page.locator("#send-back-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/performance/scorecards/$"))
    assert Scorecard.objects.get(pk=card.pk).status == Scorecard.Status.MANAGER

    # The manager sees why in the history and passes it on again.
    page = _open(browser_factory, org.manager, card)
    assert "Attach the contract of the key account" in page.locator("#sent-back").inner_text()
    assert "Attach the contract of the key account" in page.locator("#step-history").inner_text()
    _pass_on(page, "Contract attached in the CRM")

    # Planning passes it on; the VP works in Chinese; HR publishes.
    page = _open(browser_factory, org.planner, card)
    _pass_on(page)
    page = _open(browser_factory, org.vp, card, language="zh-hans")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert "备注" in page.locator("#submit-form").inner_text()  # "Comment", translated
    _pass_on(page, "同意")
    assert Scorecard.objects.get(pk=card.pk).status == Scorecard.Status.HR
    page = _open(browser_factory, org.hr, card)
    page.fill("#id_publish-comment", "Strong collection; keep the visit notes complete")
    page.locator("#publish-form button[type=submit]").click()
    page.get_by_text("Scorecard published: the person can see it now.").wait_for()
    assert Scorecard.objects.get(pk=card.pk).status == Scorecard.Status.PUBLISHED

    # The rep finds the published result, with the comment, and appeals it.
    page = browser_factory("en")
    login(page, org.rep)
    page.goto("/performance/scorecards/")
    page.get_by_role("link", name=str(org.rep)).click()
    page.wait_for_url(f"**{card.get_absolute_url()}")
    assert (
        "Strong collection; keep the visit notes complete"
        in page.locator("#reviewer-comment").inner_text()
    )
    assert page.locator("#scorecard-grade").inner_text() == "B"
    page.fill("#id_reason", "The 10-31 payment was booked in November")
    page.locator("#appeal-form button[type=submit]").click()
    page.get_by_text("Your appeal was sent").wait_for()

    card.refresh_from_db()
    assert card.status == Scorecard.Status.MANAGER
    assert card.appeal_reason == "The 10-31 payment was booked in November"
    assert list(card.steps.values_list("action", "from_status", "to_status")) == [
        (A.COMPUTED, "", "manager"),
        (A.ADJUSTED, "manager", "manager"),
        (A.SUBMITTED, "manager", "planning"),
        (A.SENT_BACK, "planning", "manager"),
        (A.SUBMITTED, "manager", "planning"),
        (A.SUBMITTED, "planning", "vp"),
        (A.SUBMITTED, "vp", "hr"),
        (A.PUBLISHED, "hr", "published"),
        (A.APPEALED, "published", "manager"),
    ]
    vp_step = card.steps.get(action=A.SUBMITTED, from_status="vp")
    assert (vp_step.actor, vp_step.role, vp_step.comment) == (org.vp, "vp", "同意")
