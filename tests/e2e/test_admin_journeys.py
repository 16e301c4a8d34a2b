"""An admin's journey in a real browser, in English and in Chinese: on the assignment rules page
they change a member's weight and pause another member, and the dry-run shows where the next
leads would go before and after."""

from __future__ import annotations

from collections import Counter

import pytest
from django.urls import reverse

from crm.models import User
from leads.models import AssignmentRule, Lead, RuleMember
from tests.browser import login
from tests.e2e.helpers import LANGUAGES, tr
from tests.leads.factories import rule_with

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    """Saving a rule queues a sweep of the waiting leads after commit: not in these tests."""
    from leads import tasks

    monkeypatch.setattr(tasks.assign_sweep_task, "delay", lambda *a, **k: None)


def _named(user, family: str, given: str) -> User:
    """Distinct, fixed names (the factory's are random), as the pages show them."""
    User.objects.filter(pk=user.pk).update(last_name=family, first_name=given)
    user.refresh_from_db()
    return user


def _dry_run(page, language: str, count: int) -> Counter:
    """From the rules page: run the dry-run for `count` leads; who gets how many."""
    page.goto(reverse("leads:rule-list"))
    page.fill("#id_count", str(count))
    page.get_by_role("button", name=tr(language, "Where would they go?")).click()
    page.wait_for_url(f"**{reverse('leads:rule-dry-run')}?*")
    assert page.locator("h1").inner_text() == tr(language, "Where would the next leads go?")
    header = page.locator("#dry-run thead th").nth(3).inner_text()
    assert header == tr(language, "Would go to")
    rows = page.locator("#dry-run tbody tr")
    assert rows.count() == count
    return Counter(rows.nth(i).locator("td").nth(3).inner_text() for i in range(count))


@pytest.mark.parametrize("language", LANGUAGES)
def test_admin_edits_an_assignment_rule_and_dry_runs_it(org, browser_factory, language):
    rep = _named(org.rep, "王", "芳")
    teammate = _named(org.teammate, "李", "强")
    east_rep = _named(org.east_rep, "张", "伟")
    rule = rule_with(
        [rep, teammate, east_rep], name="华东网站线索", method=AssignmentRule.Method.WEIGHTED
    )
    page = browser_factory(language)
    login(page, org.admin)

    # Before: equal weights, the next six leads are shared two each.
    assert _dry_run(page, language, 6) == {"王芳": 2, "李强": 2, "张伟": 2}

    # The rule's page: 王芳 weighs 4, 张伟 is paused.
    page.goto(reverse("leads:lead-list"))
    page.get_by_role("link", name=tr(language, "Assignment rules")).click()
    page.wait_for_url(f"**{reverse('leads:rule-list')}")
    assert page.locator("h1").inner_text() == tr(language, "Assignment rules")
    card = page.locator("section.card", has=page.locator(f"#rule-{rule.pk}"))
    card.get_by_role("link", name=tr(language, "Edit")).click()
    page.wait_for_url(f"**{reverse('leads:rule-edit', args=[rule.pk])}")
    assert page.locator("h1").inner_text() == tr(language, "Edit rule")
    rows = {
        page.locator(f"#id_members-{i}-user").input_value(): i
        for i in range(page.locator("select[id$='-user']").count())
    }
    page.fill(f"#id_members-{rows[str(rep.pk)]}-weight", "4")
    page.uncheck(f"#id_members-{rows[str(east_rep.pk)]}-is_active")
    page.locator("main form .card-footer").get_by_role("button", name=tr(language, "Save")).click()
    page.wait_for_url(f"**{reverse('leads:rule-list')}")
    page.get_by_text(tr(language, "Rule %(name)s saved.", name=rule.name)).wait_for()

    members = {m.user_id: m for m in RuleMember.objects.filter(rule=rule)}
    assert (members[rep.pk].weight, members[rep.pk].is_active) == (4, True)
    assert (members[teammate.pk].weight, members[teammate.pk].is_active) == (1, True)
    assert (members[east_rep.pk].weight, members[east_rep.pk].is_active) == (1, False)
    # The rules page shows it.
    card = page.locator("section.card", has=page.locator(f"#rule-{rule.pk}"))
    row = card.locator("tbody tr", has_text="王芳")
    assert row.locator("td").nth(1).inner_text() == "4"
    assert tr(language, "taking leads") in row.inner_text()
    assert tr(language, "paused") in card.locator("tbody tr", has_text="张伟").inner_text()

    # After: 王芳 takes four of the next five, 李强 one, 张伟 none.
    assert _dry_run(page, language, 5) == {"王芳": 4, "李强": 1}
    # A dry-run writes nothing: no lead was made or given.
    assert not Lead.objects.exists()
