"""The dashboards in a real browser: the charts are drawn by Chart.js from the json_script data
(no inline script, no JavaScript error), in English and in Chinese."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.browser import login
from tests.performance.factories import ScorecardFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _drawn_charts(page) -> int:
    return page.evaluate(
        "Array.from(document.querySelectorAll('canvas[data-chart]'))"
        ".filter(c => window.Chart && Chart.getChart(c)).length"
    )


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_team_and_company_pages_draw_their_charts(org, browser_factory, rep_scheme, sell, language):
    sell(org.rep, "20000.00", dt.date(2026, 10, 3))
    sell(org.teammate, "3000.00", dt.date(2026, 9, 3))
    ScorecardFactory(user=org.rep, scheme=rep_scheme, total=Decimal("92.00"), grade="B")
    page = browser_factory(language, viewport={"width": 1400, "height": 1000})
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login(page, org.vp)
    page.goto(f"/performance/team/?team={org.shanghai.pk}&period=2026-10")
    page.locator("#ranking-table").wait_for()
    page.wait_for_function("document.querySelectorAll('canvas[data-chart]').length === 3")
    page.wait_for_function("window.Chart !== undefined")
    assert _drawn_charts(page) == 3
    page.goto("/performance/company/?period=2026-10")
    page.locator("#teams-table").wait_for()
    page.wait_for_function("window.Chart !== undefined")
    assert _drawn_charts(page) == 2
    page.goto("/performance/me/?period=2026-10")
    page.locator("#kpi-table").wait_for()
    page.wait_for_function("window.Chart !== undefined")
    assert _drawn_charts(page) == 2
    assert errors == []
