"""The journeys of the load test: reps and team managers browsing the CRM (bench/loadtest.py
runs this file with Locust against gunicorn; see its docstring).

Each simulated user logs in once through the real login form, loads the page's static files
once (a browser caches them: their names carry a hash), then loops over the pages of its role
with a short think time. Requests are named by URL pattern ("/customers/[id]/") so that the
statistics group them. A request fails when it answers anything but the expected status, when
it redirects (to the login page: a lost session), or when the page lacks its marker (the title,
or the fragment an htmx POST returns).

Two phases. The warm-up lasts until every user has logged in and opened its first pages: the
logins (a PBKDF2 hash of 1,000,000 iterations each, ~0.4 s of CPU) and the workers' first
requests would otherwise dominate a short run's percentiles. Its statistics go to
<csv prefix>_warmup_stats.csv and _warmup_failures.csv (same format as Locust's), then the
statistics are reset and the measurement runs for LOAD_MEASURE_SECONDS; Locust then quits (its
--run-time is only a safety net).

The accounts come from the environment (bench/loadtest.py picks them from the database):
LOAD_REPS and LOAD_MANAGERS, comma-separated usernames, all with the password `bench-password`.
Users of one class take the accounts in turn, so several users may share an account (each with
its own session).
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import itertools
import os
import random
import re
from urllib.parse import quote

import gevent
from locust import FastHttpUser, between, task
from locust.env import Environment
from locust.stats import PERCENTILES_TO_REPORT, StatsCSV

PASSWORD = "bench-password"  # noqa: S105 (the bench accounts' password, see bench/generate.py)
# Short: the point is to push load, not to model a person reading (that would need thousands
# of users for the same request rate, more than one Locust process on two cores can drive).
THINK_TIME = between(0.1, 0.5)
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
OCCURRED_AT_RE = re.compile(r'name="occurred_at" value="([^"]+)"')
ROW_RE = re.compile(r"<tr>(.*?)</tr>", re.S)
CUSTOMER_LINK_RE = re.compile(r'<a href="/customers/(\d+)/">([^<]+)</a>')
STATIC_RE = re.compile(r'(?:href|src)="(/static/[^"]+)"')


def _accounts(variable: str) -> itertools.cycle:
    names = [name for name in os.environ.get(variable, "").split(",") if name]
    if not names:
        raise RuntimeError(f"{variable} is empty: run the load test through bench/loadtest.py")
    return itertools.cycle(names)


_ready = itertools.count(1)  # users through on_start


def _user_ready(environment: Environment) -> None:
    """Counts a user through its warm-up; the last one ends the warm-up phase."""
    if next(_ready) == environment.parsed_options.num_users:
        _measure(environment)


def _measure(environment: Environment) -> None:
    """Saves the warm-up's statistics, resets them, and quits after the measurement."""
    writer = StatsCSV(environment, PERCENTILES_TO_REPORT)
    prefix = environment.parsed_options.csv_prefix
    with open(f"{prefix}_warmup_stats.csv", "w", newline="") as f:
        writer.requests_csv(csv.writer(f))
    with open(f"{prefix}_warmup_failures.csv", "w", newline="") as f:
        writer.failures_csv(csv.writer(f))
    environment.stats.reset_all()
    gevent.spawn_later(float(os.environ["LOAD_MEASURE_SECONDS"]), environment.runner.quit)


class CrmUser(FastHttpUser):
    """A logged-in person: the login, the page checks and the pages both roles open."""

    abstract = True
    wait_time = THINK_TIME
    accounts: itertools.cycle

    def on_start(self) -> None:
        try:
            self.warm_up()
        finally:
            _user_ready(self.environment)

    def warm_up(self) -> None:
        self.username = next(self.accounts)
        self.login()

    def login(self) -> None:
        """GET the form (CSRF cookie and token), POST the credentials: 302 to the home page."""
        with self.client.get("/accounts/login/", catch_response=True) as response:
            token = CSRF_RE.search(response.text or "")
            if response.status_code != 200 or token is None:
                response.failure(f"login form: HTTP {response.status_code}, CSRF token missing")
                return
        data = {
            "csrfmiddlewaretoken": token.group(1),
            "username": self.username,
            "password": PASSWORD,
        }
        with self.client.post(
            "/accounts/login/", data=data, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 302 or response.headers.get("Location") != "/":
                response.failure(f"login of {self.username}: HTTP {response.status_code}")
                return
        page = self.page("/", "/", "Welcome")
        for asset in sorted(set(STATIC_RE.findall(page))):
            self.page(asset, "/static/[asset]", "")

    def page(self, url: str, name: str, marker: str) -> str:
        """GET `url` without following redirects: 200 with `marker` in the body, or a failure.
        Returns the body ("" on failure)."""
        with self.client.get(url, name=name, allow_redirects=False, catch_response=True) as r:
            return self.check(r, marker)

    @staticmethod
    def check(response, marker: str) -> str:
        if response.status_code != 200:
            where = response.headers.get("Location", "")
            response.failure(f"HTTP {response.status_code} {where}".strip())
            return ""
        if not marker:
            return ""  # a static file: not decoded (guessing a charset costs the client CPU)
        body = response.text or ""
        if marker not in body:
            response.failure(f"marker {marker!r} missing")
            return ""
        return body

    @task(2)
    def home(self) -> None:
        self.page("/", "/", "Welcome")

    @task(2)
    def order_list(self) -> None:
        self.page("/orders/", "/orders/", "<title>Orders")


class Rep(CrmUser):
    """A sales rep: their customers (list, search, detail, a follow-up now and then), their
    follow-ups, leads, the opportunity board, orders and their own dashboard."""

    weight = 4
    accounts = _accounts("LOAD_REPS")

    def warm_up(self) -> None:
        self.own: list[tuple[str, str]] = []  # (id, name) of the rep's customers seen in lists
        super().warm_up()
        self.customer_list()

    @task(4)
    def customer_list(self) -> None:
        body = self.page("/customers/", "/customers/", "<title>Customers")
        # The rep's own rows only: pool customers (a badge in the owner column) are read-only.
        own = [
            link
            for row in ROW_RE.findall(body)
            if "Public pool" not in row
            for link in CUSTOMER_LINK_RE.findall(row)
        ]
        if own:
            self.own = own

    @task(2)
    def customer_search(self) -> None:
        """A substring of one of the rep's customers' names: 3-4 characters, as people type
        (one or two Chinese characters cannot use the trigram index: docs/performance.md)."""
        if not self.own:
            return
        name = html.unescape(random.choice(self.own)[1])
        start = random.randrange(max(1, len(name) - 3))
        term = name[start : start + 4].strip() or name
        self.page(f"/customers/?q={quote(term)}", "/customers/?q=[term]", "<title>Customers")

    @task(4)
    def customer_detail(self) -> None:
        if self.own:
            pk = random.choice(self.own)[0]
            self.page(f"/customers/{pk}/", "/customers/[id]/", 'id="h-log"')

    @task(1)
    def log_follow_up(self) -> None:
        """Opens one of the rep's customers and logs a follow-up through the page's form, as
        htmx posts it (the form's fields, its CSRF token, HX-Request): the answer is the
        refreshed activity panel."""
        if not self.own:
            return
        pk = random.choice(self.own)[0]
        page = self.page(f"/customers/{pk}/", "/customers/[id]/", 'id="h-log"')
        token, occurred_at = CSRF_RE.search(page), OCCURRED_AT_RE.search(page)
        if token is None or occurred_at is None:
            return  # the page already counted as failed
        data = {
            "csrfmiddlewaretoken": token.group(1),
            "kind": random.choice(["call", "visit", "wechat", "email"]),
            "outcome": random.choice(["success", "no_answer", "other"]),
            "occurred_at": occurred_at.group(1),  # the form's initial value: now, local time
            "summary": "Load test: called about the next order.",
            "next_follow_up_on": "",
        }
        with self.client.post(
            f"/customers/{pk}/activities/new/",
            name="/customers/[id]/activities/new/ (htmx)",
            data=data,
            headers={"HX-Request": "true"},
            allow_redirects=False,
            catch_response=True,
        ) as response:
            self.check(response, "Follow-up logged.")

    @task(2)
    def follow_ups(self) -> None:
        self.page("/customers/follow-ups/", "/customers/follow-ups/", "<title>My follow-ups")

    @task(2)
    def lead_list(self) -> None:
        self.page("/leads/", "/leads/", "<title>Leads")

    @task(1)
    def board(self) -> None:
        """The board link redirects to the default pipeline's board."""
        with self.client.get(
            "/opportunities/board/", name="/opportunities/board/ (redirect)", catch_response=True
        ) as response:
            self.check(response, 'class="board')

    @task(1)
    def my_dashboard(self) -> None:
        self.page("/performance/me/", "/performance/me/", "<title>My performance")


class Manager(CrmUser):
    """A team manager: the team dashboard, the team's customers, scorecards, opportunities and
    orders filtered by status and date."""

    weight = 1
    accounts = _accounts("LOAD_MANAGERS")

    @task(2)
    def team_dashboard(self) -> None:
        self.page("/performance/team/", "/performance/team/", "<title>Team performance")

    @task(3)
    def customer_list(self) -> None:
        self.page("/customers/", "/customers/", "<title>Customers")

    @task(1)
    def scorecards(self) -> None:
        self.page("/performance/scorecards/", "/performance/scorecards/", "<title>Scorecards")

    @task(2)
    def opportunity_list(self) -> None:
        self.page("/opportunities/", "/opportunities/", "<title>Opportunities")

    @task(2)
    def order_list_filtered(self) -> None:
        since = (dt.date.today() - dt.timedelta(days=90)).isoformat()  # noqa: DTZ011
        status = random.choice(["confirmed", "shipped", "completed"])
        self.page(
            f"/orders/?status={status}&date_from={since}",
            "/orders/?status=[status]&date_from=[date]",
            "<title>Orders",
        )
