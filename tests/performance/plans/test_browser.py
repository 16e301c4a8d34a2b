"""In a real browser: a planner fixes a team's target on the grid and the roll-up follows."""

from __future__ import annotations

import pytest

from performance.models import SalesPlan
from tests.browser import login
from tests.performance.plans.factories import plan

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_planner_edits_the_grid_and_the_mismatch_goes_away(org, browser_factory):
    plan(org.east, revenue="100000", customers=10, visits=100)
    plan(org.shanghai, revenue="60000", customers=6, visits=60)
    plan(org.hangzhou, revenue="30000", customers=4, visits=40)
    page = browser_factory()
    login(page, org.planner)
    page.goto(f"/performance/plans/?team={org.east.pk}&month=2026-10")
    assert page.locator("tfoot").get_by_text("-10,000.00").is_visible()
    page.fill(f"#id_t{org.hangzhou.pk}-revenue_target", "40000")
    with page.expect_navigation():
        page.get_by_role("button", name="Save plans").click()
    assert page.get_by_text("0 added, 1 changed, 0 removed").is_visible()
    assert SalesPlan.objects.get(team=org.hangzhou).revenue_target == 40000
    # East now adds up: no difference row under the grid.
    assert page.locator("tfoot tr").count() == 1
