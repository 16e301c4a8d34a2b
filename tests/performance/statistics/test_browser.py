"""The builder in a real browser (Chromium + Playwright, htmx live): a planner picks a module,
adds a condition, previews, saves and shares with reps; a rep then sees the statistic on their
own records only, as a table and a chart."""

from __future__ import annotations

import re

import pytest

from performance.models import CustomStatistic
from tests.browser import htmx_settled, login
from tests.performance.statistics.conftest import make_order

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_build_preview_save_and_view_as_a_rep(org, browser_factory):
    make_order(org.rep, "120.00")
    make_order(org.rep, "80.00", status="draft")
    make_order(org.teammate, "500.00")
    page = browser_factory()
    login(page, org.planner)
    page.goto("/performance/statistics/new/")
    page.fill("#id_name", "Confirmed revenue")
    page.select_option("#id_module", "orders")  # htmx redraws the builder for orders
    page.locator('#id_measure_field option[value="total"]').wait_for(state="attached")
    htmx_settled(page)
    page.click("button[value=add]")
    page.locator("#id_c-0-field").wait_for()
    htmx_settled(page)
    page.select_option("#id_c-0-field", "status")
    page.locator('#id_c-0-value option[value="confirmed"]').wait_for(state="attached")
    htmx_settled(page)
    assert page.input_value("#id_c-0-op") == "eq"
    page.select_option("#id_c-0-value", "confirmed")
    page.select_option("#id_measure", "sum")
    page.select_option("#id_measure_field", "total")
    page.click("button[value=preview]")
    preview = page.locator("#statistic-preview")
    preview.wait_for()
    assert "620.00" in preview.inner_text()  # 120 + 500, the draft left out
    preview.locator("canvas[data-drawn]").wait_for(state="attached")
    assert not CustomStatistic.objects.exists()

    page.check(f'input[name=shared_positions][value="{org.rep.position_id}"]')
    page.click("button[value=save]")
    page.wait_for_url(re.compile(r"/performance/statistics/\d+/$"))
    page.locator("[data-statistic-table]").wait_for()
    statistic = CustomStatistic.objects.get()
    assert statistic.conditions == [{"field": "status", "op": "eq", "value": "confirmed"}]

    rep_page = browser_factory()
    login(rep_page, org.rep)
    rep_page.goto(statistic.get_absolute_url())
    table = rep_page.locator("[data-statistic-table]")
    assert "120.00" in table.inner_text()
    assert "500.00" not in table.inner_text()
    rep_page.locator("canvas[data-drawn]").wait_for(state="attached")
