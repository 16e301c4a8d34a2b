"""Real-browser tests, shared by every app (fixtures imported by tests/conftest.py): Debian's
Chromium driven by Playwright against pytest-django's live server (a real HTTP server in a thread,
on the test database). No browser is downloaded: the system's /usr/bin/chromium is used
(`.ci/run` installs the `chromium` package); without it these tests are skipped. A failing test
leaves a screenshot of each of its pages in test-results/e2e/.

A browser test asks for `browser_factory` (a fresh page per call, in a language and viewport),
signs in with `login(page, user)`, and is marked
`pytest.mark.django_db(transaction=True, serialized_rollback=True)`."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CRM_CHROMIUM", "/usr/bin/chromium")
RESULTS = Path(__file__).resolve().parents[2] / "test-results" / "e2e"
PASSWORD = "pass-for-tests"  # tests.factories.UserFactory's password

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make between
# browser steps are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def chromium(django_db_setup):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # Once Playwright's loop runs in this thread, Django's connection handler (a context-local)
    # hands out new connection objects; give them the database contents serialized at setup so
    # that `serialized_rollback` restores the data migrations' rows (positions...) after each test.
    saved = {
        alias: getattr(connections[alias], "_test_serialized_contents", None)
        for alias in connections
    }
    with sync_playwright() as playwright:
        for alias, contents in saved.items():
            if contents is not None:
                connections[alias]._test_serialized_contents = contents
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()
    # The connections opened while Playwright's loop ran are not the tests' own: close them, or
    # PostgreSQL refuses to drop the test database at the end.
    for connection in connections.all(initialized_only=True):
        connection.close()


@pytest.fixture
def browser_factory(live_server, chromium, request):
    """browser_factory(language="en", viewport=None) -> a fresh page (own cookies) on the live
    server, in that language. Screenshots every page of a failed test."""
    contexts = []

    def make(language: str = "en", viewport: dict | None = None):
        context = chromium.new_context(
            base_url=live_server.url,
            locale="zh-CN" if language.startswith("zh") else "en-US",
            viewport=viewport or {"width": 1280, "height": 900},
        )
        context.add_cookies(
            [{"name": "django_language", "value": language, "url": live_server.url}]
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    failed = getattr(request.node, "report_call", None)
    if failed is not None and failed.failed:
        RESULTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)
        for i, context in enumerate(contexts):
            for j, page in enumerate(context.pages):
                page.screenshot(path=str(RESULTS / f"{name}-{i}-{j}.png"), full_page=True)
    for context in contexts:
        context.close()


def login(page, user, password: str = PASSWORD) -> None:
    """Sign in through the real login form."""
    page.goto("/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", password)
    page.click("form:has(#id_password) [type=submit]")
    page.wait_for_url(re.compile(r"/$"))


def htmx_settled(page) -> None:
    """Wait until htmx has finished its requests, swaps and settling: new content is wired
    (its hx- attributes processed) only when it settles, not when it appears."""
    # A locator, not wait_for_function: the page's Content-Security-Policy forbids the eval
    # that a JavaScript predicate needs.
    page.locator(".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added").first.wait_for(
        state="detached"
    )
