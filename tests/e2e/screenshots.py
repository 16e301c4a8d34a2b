"""Screenshots of the main pages, in English and in Chinese, for docs/screenshots/ (and the
README). Not a test of the suite: it runs only when asked, on the demo data of `seed_demo`:

    CRM_SCREENSHOTS=1 .venv/bin/python -m pytest tests/e2e/screenshots.py -q -p no:cacheprovider

Each page is shot at 1280 x 800 (the viewport, not the full page: small files): the home page
as a rep sees it, the others as the Shanghai team's manager (the team's customers, deals...).
The file names are `<page>-<language>.png`; docs/screenshots/index.md lists them. Pages that do
not answer 200 (an app not landed yet) are left out of the index rather than shot as an error
page."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import NoReverseMatch, reverse

from crm.models import User
from tests.browser import login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        os.environ.get("CRM_SCREENSHOTS") != "1", reason="set CRM_SCREENSHOTS=1 to take them"
    ),
]

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
VIEWPORT = {"width": 1280, "height": 800}
PASSWORD = "screenshots-2026"
MANAGER = "chen.jing"  # seed_demo's Shanghai team manager
REP = "wang.fang"  # one of the team's reps
RUN = "tests/e2e/screenshots.py -q -p no:cacheprovider"
LANGUAGES = {"en": "English", "zh-hans": "简体中文"}


def _seed() -> None:
    """The demo company; without the performance app's part if it cannot seed (yet)."""
    from crm.management.commands import seed_demo

    try:
        call_command("seed_demo", force=True, password=PASSWORD, verbosity=0)
    except Exception:  # the command is atomic: nothing of the failed run stays
        modules = [m for m in seed_demo.DEMO_MODULES if not m.startswith("performance")]
        original = seed_demo.DEMO_MODULES
        seed_demo.DEMO_MODULES = modules
        try:
            call_command("seed_demo", force=True, password=PASSWORD, verbosity=0)
        finally:
            seed_demo.DEMO_MODULES = original


def _pages(manager: User, rep: User) -> list[tuple[str, str, User, str]]:
    """(file stem, title, viewer, URL) of the pages to shoot: the home page as a rep starts their
    day, the rest as their team's manager (the team's records)."""
    from customers.models import Customer
    from orders.models import Order
    from performance.periods import Period

    customer = (
        Customer.objects.visible_to(manager)
        .filter(owner__isnull=False, opportunities__isnull=False)
        .order_by("code")
        .first()
    )
    order = Order.objects.visible_to(manager).order_by("-total", "pk").first()
    pages = [
        ("home", "Home (a rep)", rep, reverse("home")),
        ("customer-list", "Customer list", manager, reverse("customers:customer-list")),
    ]
    if customer is not None:
        pages.append(("customer-detail", "Customer page", manager, customer.get_absolute_url()))
    pages += [
        ("lead-list", "Lead list", manager, reverse("leads:lead-list")),
        ("opportunity-board", "Opportunity board", manager, reverse("opportunities:board-default")),
    ]
    if order is not None:
        pages.append(("order-detail", "Order page", manager, order.get_absolute_url()))
    pages.append(("ticket-list", "Service tickets", manager, reverse("service:ticket-list")))
    # Last month: the demo's scorecards are computed for it.
    last_month = Period.containing().previous().key
    for stem, title, name in [
        ("performance-home", "Performance", "performance:home"),
        ("performance-team", "Team performance", "performance:team-dashboard"),
    ]:
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        if stem == "performance-team":
            url += f"?period={last_month}"
        pages.append((stem, title, manager, url))
    return pages


def test_screenshots_of_the_main_pages(browser_factory):
    _seed()
    manager = User.objects.get(username=MANAGER)
    rep = User.objects.get(username=REP)
    pages = _pages(manager, rep)
    OUT.mkdir(parents=True, exist_ok=True)
    shot: dict[str, str] = {}
    for language in LANGUAGES:
        browsers = {}
        for viewer in (manager, rep):
            browsers[viewer.pk] = browser_factory(language, viewport=VIEWPORT)
            login(browsers[viewer.pk], viewer, PASSWORD)
        for stem, title, viewer, url in pages:
            page = browsers[viewer.pk]
            response = page.goto(url)
            if response is None or response.status != 200:
                continue
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(OUT / f"{stem}-{language}.png"), full_page=False)
            shot[stem] = title
    assert {"home", "customer-list", "lead-list", "opportunity-board"} <= set(shot)
    lines = [
        "# Screenshots",
        "",
        "The main pages at 1280 x 800, on the demo data (`manage.py seed_demo`): the home page",
        f"as the rep `{REP}` starts the day, the others as the Shanghai team's manager",
        f"`{MANAGER}` sees them. Regenerate them with:",
        "",
        f"    CRM_SCREENSHOTS=1 .venv/bin/python -m pytest {RUN}",
        "",
        "| Page | English | 简体中文 |",
        "| --- | --- | --- |",
    ]
    for stem, title, _viewer, _url in pages:
        if stem in shot:
            cells = " | ".join(
                f"![{title} ({name})]({stem}-{language}.png)"
                for language, name in LANGUAGES.items()
            )
            lines.append(f"| {title} | {cells} |")
    (OUT / "index.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
