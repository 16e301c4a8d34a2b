"""The benchmark suite of `make bench`, on a database filled by bench/generate.py.

    DATABASE_URL=postgres://... CELERY_BROKER_URL=redis://... .venv/bin/python bench/run.py \
        [--runs 20] [--warmups 3] [--only NAME,...] [--skip NAME,...] [--import-rows N] \
        [--write-docs]

Times the real views through django.test.Client with the production settings (DEBUG off),
logged in as one chain of people: the rep who owns the most customers, the manager of their
team, the manager of their region, and the admin. Every page must answer 200 and show real
rows (links to records) before it is timed. Each row of the results: median and p95 of the
whole request, the median time spent in SQL, the number of queries (and whether it was the
same every run), the ratio to a reference measured in the same run where there is one, and
the issue's target where there is one (list pages p95 < 150 ms, customer substring search
p95 < 300 ms, KPIs within 3x of the SQL floor).

Groups (--only / --skip): customers, detail, opportunities, orders, lists, dashboards, kpi,
leads (real Celery workers: needs CELERY_BROKER_URL on Redis), import (--import-rows
customers from CSV through `manage.py import_csv`, deleted again afterwards). At --scale small
the defaults keep the whole run to a few minutes: 10 runs after 2 warm-ups, 10,000 rows to
import (else 20 runs after 3, 100,000 rows).

Writes bench/results/<date>-<scale>.json (and the query plans of every missed target next to
it, ...-plans.txt), prints a markdown table; --write-docs puts that table into
docs/performance.md between the `bench:start` / `bench:end` markers.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import random
import re
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import common  # sets Django up: before the Django imports
from common import BASE_DIR, RESULTS_DIR, machine, measure, timed
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from crm.models import Team, User
from customers.models import Customer
from opportunities.models import Pipeline
from performance.figures import figures_for
from performance.metrics import CONTRACT_KEYS, get_metric
from performance.periods import Period

base = common.bench_module("customers")
kpi = common.bench_module("kpi")
generate = common.bench_module("generate")

LIST_P95_MS = 150
SEARCH_P95_MS = 300
KPI_MAX_RATIO = 3
DOCS = BASE_DIR / "docs" / "performance.md"
DOCS_START, DOCS_END = "<!-- bench:start -->", "<!-- bench:end -->"
IMPORT_PREFIX = "BENCH-IMPORT-"

# What one real row of a page looks like: a link to a record (or, on the dashboards, a KPI).
CUSTOMER_LINK = r'href="/customers/\d+/"'
OPPORTUNITY_LINK = r'href="/opportunities/\d+/"'
ORDER_LINK = r'href="/orders/\d+/"'


@dataclass(frozen=True)
class Page:
    name: str
    url: str
    rows: str  # a regular expression matching once per row shown (counted: must be > 0)
    target_ms: int | None = None  # the p95 target, for list pages


@dataclass
class Suite:
    """What every group needs: the personas and their logged-in clients, the run counts."""

    runs: int
    warmups: int
    import_rows: int
    org: dict
    people: dict[str, User]
    clients: dict[str, Client] = field(default_factory=dict)

    def client(self, persona: str) -> Client:
        if persona not in self.clients:
            self.clients[persona] = Client()
            self.clients[persona].force_login(self.people[persona])
        return self.clients[persona]

    def page(self, page: Page, persona: str) -> dict:
        """One page as one persona: checked (200, real rows), then measured."""
        client = self.client(persona)
        row = {"name": page.name, "persona": persona, "url": page.url}
        response = client.get(page.url, secure=True)
        if response.status_code != 200:
            return {**row, "error": f"HTTP {response.status_code}"}
        seen = len(re.findall(page.rows, response.content.decode()))
        if not seen:
            return {**row, "error": "the page shows no rows"}
        row["rows_seen"] = seen
        row.update(measure(client, page.url, runs=self.runs, warmups=self.warmups))
        if page.target_ms and "error" not in row:
            row["target"] = f"p95 < {page.target_ms} ms"
            row["target_met"] = row["p95_ms"] < page.target_ms
        return row


def _url(name: str, params: dict | None = None, args: list | None = None) -> str:
    path = reverse(name, args=args)
    return f"{path}?{urlencode(params)}" if params else path


# --- the groups ------------------------------------------------------------------------------


def bench_customers(suite: Suite) -> list[dict]:
    """The customer list (bench/customers.py's cases) for the four personas; the Django admin
    changelist on the same data as the reference: plain, and searched by the same name."""
    terms = base.search_terms(suite.people["rep"])
    labels = {  # bench/customers.py's cases measured here
        "default": "default",
        "search_name": f"search by name ({terms['name']})",
        "filter_owner_level": "owner + level B",
        "sort_last_contacted": "sorted by last contact",
    }
    admin = {
        "plain": Page("Django admin changelist", _url("admin:customers_customer_changelist"),
                      r'href="/admin/customers/customer/\d+/change/'),
        "search": Page(f"Django admin changelist, search {terms['name']}",
                       _url("admin:customers_customer_changelist", {"q": terms["name"]}),
                       r'href="/admin/customers/customer/\d+/change/'),
    }  # fmt: skip
    references = {key: suite.page(page, "admin") for key, page in admin.items()}
    rows = []
    for persona in ("rep", "team_manager", "regional_manager", "admin"):
        for case, params in base.cases(suite.people["rep"], terms):
            if case not in labels:
                continue
            search = case.startswith("search")
            page = Page(
                f"customer list, {labels[case]}",
                _url("customers:customer-list", params),
                CUSTOMER_LINK,
                SEARCH_P95_MS if search else LIST_P95_MS,
            )
            row = suite.page(page, persona)
            _ratio(row, references["search" if search else "plain"])
            rows.append(row)
    return [*rows, *references.values()]


def bench_detail(suite: Suite) -> list[dict]:
    """The customer page of the rep's customer with the most activities (its timeline)."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT c.id, count(*) FROM customers_customer c JOIN customers_activity a "
            "ON a.customer_id = c.id WHERE c.owner_id = %s GROUP BY c.id "
            "ORDER BY count(*) DESC, c.id LIMIT 1",
            [suite.people["rep"].pk],
        )
        pk, activities = cur.fetchone()
    page = Page(
        f"customer detail ({activities} activities)",
        _url("customers:customer-detail", args=[pk]),
        r"bi-chat-dots",  # one per activity shown in the timeline
    )
    return [suite.page(page, persona) for persona in ("rep", "team_manager")]


def bench_opportunities(suite: Suite) -> list[dict]:
    tob = Pipeline.objects.get(name="ToB project sale")
    pages = [
        Page("opportunity board (ToB pipeline)", _url("opportunities:board", args=[tob.pk]),
             OPPORTUNITY_LINK, LIST_P95_MS),
        Page("opportunity list", _url("opportunities:opportunity-list"), OPPORTUNITY_LINK,
             LIST_P95_MS),
    ]  # fmt: skip
    return [suite.page(page, persona) for page in pages for persona in ("rep", "team_manager")]


def bench_orders(suite: Suite) -> list[dict]:
    today = timezone.localdate()
    recent = {
        "status": "completed",
        "date_from": (today - dt.timedelta(days=90)).isoformat(),
        "date_to": today.isoformat(),
    }
    pages = [
        Page("order list", _url("orders:order-list"), ORDER_LINK, LIST_P95_MS),
        Page("order list, completed in the last 90 days", _url("orders:order-list", recent),
             ORDER_LINK, LIST_P95_MS),
    ]  # fmt: skip
    personas = ("rep", "team_manager", "admin")
    return [suite.page(page, persona) for page in pages for persona in personas]


def bench_lists(suite: Suite) -> list[dict]:
    """The other lists a rep and a manager live in. The follow-ups are the user's own
    customers only (a manager owns none): rep only."""
    pages = [
        (Page("lead list", _url("leads:lead-list"), r'href="/leads/\d+/"', LIST_P95_MS),
         ("rep", "team_manager")),
        (Page("ticket list (service)", _url("service:ticket-list"),
              r'href="/service/tickets/\d+/"', LIST_P95_MS), ("rep", "team_manager")),
        (Page("receivable list", _url("orders:receivable-list"),
              r'href="/orders/receivables/\d+/"', LIST_P95_MS), ("rep", "team_manager")),
        (Page("overdue receivables", _url("orders:receivable-overdue"),
              r'href="/orders/receivables/\d+/"', LIST_P95_MS), ("rep", "team_manager")),
        (Page("follow-ups due", _url("customers:follow-up-list"), CUSTOMER_LINK, LIST_P95_MS),
         ("rep",)),
    ]  # fmt: skip
    return [suite.page(page, persona) for page, personas in pages for persona in personas]


def bench_dashboards(suite: Suite) -> list[dict]:
    """This month: the team page as the team's manager, "my performance" as the rep."""
    kpi_cell = r'data-kpi="[a-z_]+"'
    return [
        suite.page(
            Page("team dashboard (this month)", _url("performance:team-dashboard"), kpi_cell),
            "team_manager",
        ),
        suite.page(
            Page("my dashboard (this month)", _url("performance:my-dashboard"), kpi_cell), "rep"
        ),
    ]


def bench_kpi(suite: Suite) -> list[dict]:
    """Every KPI for every rep for last month: `figures_for` against the SQL floor of
    bench/kpi.py, values checked equal. The floor runs with JIT off, as the app's queries do
    (performance.metrics.queries): with JIT on it is 2-3x slower from 100 reps up."""
    period = Period.containing().previous()
    ids = list(suite.org["reps"])
    metrics = [get_metric(key) for key in CONTRACT_KEYS]
    name = f"KPIs of {len(ids)} reps for {period.key}"
    diffs = kpi.compare(figures_for(ids, period, metrics), kpi.floor_figures(ids, period))
    # Each run takes seconds to tens of seconds at the large scale: 5 runs after 1 are enough
    # to see the spread (the pages get --runs).
    runs = {"runs": min(suite.runs, 5), "warmups": min(suite.warmups, 1)}
    floor = {
        "name": f"{name}: one SQL statement (floor, JIT off)",
        "persona": "-",
        **timed(lambda: kpi.floor_figures(ids, period, jit=False), **runs),
    }
    app = {
        "name": f"{name}: performance.figures.figures_for",
        "persona": "-",
        **timed(lambda: figures_for(ids, period, metrics), **runs, slowest=2),
    }
    _ratio(app, floor)
    app["target"] = f"<= {KPI_MAX_RATIO}x the floor"
    app["target_met"] = app["ratio"] <= KPI_MAX_RATIO
    app["result"] = "same values" if not diffs else f"{len(diffs)} values differ"
    if diffs:
        app["error"] = "the app and the floor differ: " + "; ".join(diffs[:5])
    return [app, floor]


def bench_leads(suite: Suite) -> list[dict]:
    """bench/leads.py: assignment throughput with 1 and 2 real workers (one task per burst,
    as with the shared cache of production), then post-to-assigned latency with 2 workers."""
    if not settings.CELERY_BROKER_URL.startswith("redis"):
        return [{"name": "lead assignment", "persona": "-", "error": "needs Redis"}]
    leads = common.bench_module("leads")
    leads.setup()
    rows = []
    for workers in (1, 2):
        result = leads.throughput(workers, 3000, coalesce=True)
        rows.append(
            {
                "name": f"lead assignment throughput, {workers} worker{'s' * (workers > 1)}",
                "persona": "-",
                "result": f"{result['leads_per_second']:,.0f} leads/s",
                "detail": result,
            }
        )
    result = leads.latency(300, 50.0)
    leads.clean()
    rows.append(
        {
            "name": "lead posted (API) to assigned, 2 workers, 50 posts/s",
            "persona": "-",
            "median_ms": result["median_ms"],
            "p95_ms": result["p95_ms"],
            "result": f"{result['assigned']} of {result['posts']} assigned",
            "detail": result,
        }
    )
    return rows


def bench_import(suite: Suite) -> list[dict]:
    """`manage.py import_csv customers FILE --as bench-admin`, in process, end to end (read,
    check every row, write): rows per second; the rows are checked and deleted again."""
    n = suite.import_rows
    owners = list(User.objects.filter(pk__in=suite.org["reps"]).values_list("username", flat=True))
    delete_imported()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "customers.csv"
        write_import_csv(path, n, owners)
        out = io.StringIO()
        t0 = time.perf_counter()
        call_command("import_csv", "customers", str(path), as_user="bench-admin", stdout=out)
        seconds = time.perf_counter() - t0
    found = Customer.objects.filter(code__startswith=IMPORT_PREFIX).count()
    delete_imported()
    row = {
        "name": f"import {n:,} customers from CSV",
        "persona": "admin",
        "median_ms": round(seconds * 1000),
        "result": f"{n / seconds:,.0f} rows/s",
        "detail": {"rows": n, "seconds": round(seconds, 1), "output": out.getvalue().strip()},
    }
    if found != n:
        row["error"] = f"{found:,} of {n:,} rows found after the import"
    return [row]


GROUP_FUNCTIONS: dict[str, Callable[[Suite], list[dict]]] = {
    "customers": bench_customers,
    "detail": bench_detail,
    "opportunities": bench_opportunities,
    "orders": bench_orders,
    "lists": bench_lists,
    "dashboards": bench_dashboards,
    "kpi": bench_kpi,
    "leads": bench_leads,
    "import": bench_import,
}
GROUPS = tuple(GROUP_FUNCTIONS)


def _ratio(row: dict, reference: dict) -> None:
    if "median_ms" in row and reference.get("median_ms"):
        row["reference"] = reference["name"]
        row["ratio"] = round(row["median_ms"] / reference["median_ms"], 2)


# --- the import file -------------------------------------------------------------------------


def write_import_csv(path: Path, n: int, owners: list[str]) -> None:
    """`n` customers in the contract columns of the `customers` import (docs/imports.md):
    Chinese and English company names of bench/customers.py's parts, owners among the bench
    reps (5 % blank: the public pool), codes IMPORT_PREFIX + number."""
    rng = random.Random(9)
    columns = ["code", "name", "kind", "industry", "scale", "source", "level", "status",
               "owner", "phone", "email", "address"]  # fmt: skip
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for i in range(n):
            if rng.random() < 0.7:
                name = (
                    rng.choice(base.CITIES)
                    + "".join(rng.sample(base.BRAND_CHARS, 2))
                    + rng.choice(base.TRADES_ZH)
                    + rng.choice(base.FORMS_ZH)
                )
            else:
                name = " ".join(
                    [*rng.sample(base.WORDS_EN, 2), rng.choice(base.TRADES_EN),
                     rng.choice(base.FORMS_EN)]
                )  # fmt: skip
            writer.writerow(
                [
                    f"{IMPORT_PREFIX}{i:07d}",
                    name,
                    "company" if rng.random() < 0.85 else "person",
                    rng.choice(["manufacturing", "retail", "it", "logistics", "services", ""]),
                    rng.choice(["small", "medium", "large", ""]),
                    rng.choice(["website", "referral", "exhibition", "cold_call"]),
                    rng.choice("ABCCCD"),
                    rng.choice(["potential", "active", "dormant"]),
                    "" if rng.random() < 0.05 else rng.choice(owners),
                    f"1{rng.randint(30, 89)}{rng.randint(0, 99_999_999):08d}",
                    f"info{i}@import.example.cn" if rng.random() < 0.5 else "",
                    f"{rng.choice(base.CITIES)}市{rng.randint(1, 999)}号",
                ]
            )


def delete_imported() -> None:
    """The customers a (previous) import run created, with their ownership log and history:
    plain DELETEs (the ORM's delete would write 100,000 history rows of its own)."""
    with connection.cursor() as cur:
        for statement in (
            "DELETE FROM customers_historicalownershipchange WHERE customer_id IN "
            "(SELECT id FROM customers_customer WHERE code LIKE %s)",
            "DELETE FROM customers_ownershipchange WHERE customer_id IN "
            "(SELECT id FROM customers_customer WHERE code LIKE %s)",
            "DELETE FROM customers_historicalcustomer WHERE code LIKE %s",
            "DELETE FROM customers_customer WHERE code LIKE %s",
        ):
            cur.execute(statement, [IMPORT_PREFIX + "%"])
        # As autovacuum would, at once: until then the dead rows cost every later index-only
        # scan a heap visit (a rep's capped count: 52 -> 220 ms in the load test that followed).
        for table in ("customers_customer", "customers_ownershipchange"):
            cur.execute(f"VACUUM ANALYZE {table}")


# --- output ----------------------------------------------------------------------------------


def _ms(row: dict, key: str) -> str:
    return f"{row[key]:,.0f}" if row.get(key) is not None else ""


def table(rows: list[dict]) -> str:
    """The results as a markdown table."""
    lines = [
        "| benchmark | persona | median ms | p95 ms | SQL ms | queries | vs reference | target "
        "| result |",
        "|---|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for row in rows:
        queries = ""
        if "queries" in row:
            queries = f"{row['queries']}{'' if row['queries_fixed'] else ' (varies)'}"
        ratio = f"{row['ratio']}x" if "ratio" in row else ""
        target = ""
        if "target" in row:
            target = f"{row['target']}: {'ok' if row['target_met'] else 'MISSED'}"
        result = row.get("result", "")
        if "rows_seen" in row:
            result = f"{row['rows_seen']} shown"
        if "error" in row:
            result = f"ERROR: {row['error']}"
        persona = row["persona"].replace("_", " ")
        cells = [row["name"], persona, _ms(row, "median_ms"), _ms(row, "p95_ms"),
                 _ms(row, "sql_median_ms"), queries, ratio, target, result]  # fmt: skip
        lines.append("| " + " | ".join(str(c).replace("|", "/") for c in cells) + " |")
    return "\n".join(lines)


def write_docs(report: dict, markdown: str) -> None:
    """The table between the markers of docs/performance.md (added at the top, under the
    heading "Latest `make bench`", when missing); the rest of the file is left alone."""
    m = report["machine"]
    block = "\n".join(
        [
            DOCS_START,
            f"Measured on {report['date']} at `--scale {report['scale']}` "
            f"({_counts(report['dataset'])}) by `bench/run.py` "
            f"({report['runs']} runs after {report['warmups']} warm-ups; results: "
            f"`{report['results']}`).",
            "",
            f"Machine: {m['cpus']} CPUs {m['cpu_model']}, {m['ram_gib']} GiB RAM; PostgreSQL "
            f"{m['postgresql']} (shared_buffers {m['shared_buffers']}, work_mem "
            f"{m['work_mem']}); Python {m['python']}, Django {m['django']}.",
            "",
            markdown,
            DOCS_END,
        ]
    )
    text = DOCS.read_text()
    if DOCS_START in text and DOCS_END in text:
        head, rest = text.split(DOCS_START, 1)
        text = head + block + rest.split(DOCS_END, 1)[1]
    else:
        title, _, rest = text.partition("\n")
        text = f"{title}\n\n## Latest `make bench`\n\n{block}\n{rest}"
    DOCS.write_text(text)
    print("docs:", DOCS.relative_to(BASE_DIR))


def _counts(dataset: dict) -> str:
    counts = dataset.get("counts", {})
    parts = [
        ("customers_customer", "customers"),
        ("customers_activity", "activities"),
        ("orders_order", "orders"),
        ("opportunities_opportunity", "opportunities"),
    ]
    return ", ".join(f"{counts[t]:,} {label}" for t, label in parts if t in counts)


# --- main ------------------------------------------------------------------------------------


def _groups(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in GROUPS]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown group(s) {', '.join(unknown)}")
    return names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=f"groups: {', '.join(GROUPS)}",
    )
    parser.add_argument("--runs", type=int, help="timed runs per case (default 10 at small "
                        "scale, else 20)")  # fmt: skip
    parser.add_argument("--warmups", type=int, help="untimed runs first (default 2, else 3)")
    parser.add_argument(
        "--only", type=_groups, default=list(GROUPS), metavar="NAME,...", help="groups to run"
    )
    parser.add_argument(
        "--skip", type=_groups, default=[], metavar="NAME,...", help="groups to leave out"
    )
    parser.add_argument("--import-rows", type=int, help="customers imported from CSV "
                        "(default 10,000 at small scale, else 100,000)")  # fmt: skip
    parser.add_argument("--write-docs", action="store_true", help="update docs/performance.md")
    args = parser.parse_args(argv)
    if connection.vendor != "postgresql":
        sys.exit("bench/run.py needs PostgreSQL: set DATABASE_URL=postgres://...")
    dataset = generate.dataset()
    if dataset is None:
        sys.exit(
            "bench/run.py: this database was not filled by bench/generate.py (no bench_meta "
            "row): run `.venv/bin/python bench/generate.py --scale small` first."
        )
    selected = [g for g in GROUPS if g in args.only and g not in args.skip]
    small = dataset["scale"] == "small"
    runs = args.runs or (10 if small else 20)
    warmups = args.warmups if args.warmups is not None else (2 if small else 3)
    org = base.org_ids(Team.objects.get(name=base.COMPANY, parent=None))
    import_rows = args.import_rows or (10_000 if small else 100_000)
    suite = Suite(runs, warmups, import_rows, org, base.personas(org))
    print(
        f"scale {dataset['scale']} (generated {dataset['generated_at']}), {runs} runs after "
        f"{warmups} warm-ups; personas:",
        ", ".join(f"{k} {v.username}" for k, v in suite.people.items()),
        flush=True,
    )

    rows: list[dict] = []
    with common.production_client():
        for group in selected:
            t0 = time.perf_counter()
            for row in GROUP_FUNCTIONS[group](suite):
                rows.append({"group": group, **row})
            print(f"{group}: {time.perf_counter() - t0:.0f}s", flush=True)

    today = timezone.localdate().isoformat()
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stem = RESULTS_DIR / f"{today}-{dataset['scale']}"
    if len(selected) < len(GROUPS):  # a partial run does not replace the full results
        stem = stem.with_name(f"{stem.name}-{'-'.join(selected)}")
    missed = [r for r in rows if r.get("target_met") is False]
    if missed:
        common.write_plans(missed, stem.with_name(stem.name + "-plans.txt"),
                           title=lambda r: f"{r['name']} as {r['persona']}")  # fmt: skip
    report = {
        "date": today,
        "scale": dataset["scale"],
        "command": " ".join(["bench/run.py", *(argv if argv is not None else sys.argv[1:])]),
        "runs": runs,
        "warmups": warmups,
        "machine": machine(),
        "dataset": dataset,
        "personas": {k: v.username for k, v in suite.people.items()},
        "results": str(stem.with_suffix(".json").relative_to(BASE_DIR)),
        "rows": rows,
    }
    stem.with_suffix(".json").write_text(json.dumps(report, ensure_ascii=False, indent=2))
    markdown = table(rows)
    print()
    print(markdown)
    print("\nresults:", report["results"])
    if args.write_docs:
        write_docs(report, markdown)
    errors = [r for r in rows if "error" in r]
    for row in errors:
        print(f"ERROR {row['name']} as {row['persona']}: {row['error']}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
