"""What the benchmark scripts share: Django set up with the production settings, the other bench
scripts as modules, timing with SQL capture, the machine description and query plans.

Importing this module sets Django up (DJANGO_SETTINGS_MODULE=crm.settings, DATABASE_URL from
the environment), so a bench script imports it before anything from Django or the apps.
"""

from __future__ import annotations

import contextlib
import importlib.util
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS_DIR = BASE_DIR / "bench" / "results"
# The project first: `customers`, `leads` and `opportunities` are Django apps as well as bench
# scripts next to this file (those are loaded by path, see bench_module).
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402

# Statements that are not reads or writes of data: not counted as queries.
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT", "SET ")


def bench_module(name: str) -> ModuleType:
    """bench/<name>.py as the module `bench_<name>` (loaded once): bench/customers.py cannot be
    imported as `customers`, which is the Django app."""
    module_name = f"bench_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, BASE_DIR / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def production_client():
    """The production settings (DEBUG off) for django.test.Client: its host allowed, and plain
    static storage (the manifest storage would need a collectstatic first; its lookup is a dict
    get). Use as a context manager around the requests."""
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    return override_settings(
        ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"], STORAGES=storages
    )


@contextlib.contextmanager
def bulk_load(cur, tables: tuple[str, ...], *, seed: float) -> Iterator[None]:
    """A bulk load into `tables`: their plain (non-unique) indexes are dropped for it and
    rebuilt after it (much faster than maintaining them row by row, the GIN ones above all;
    unique ones, primary keys included, stay), foreign-key triggers are off
    (session_replication_role = replica: the loaders' rows are consistent by construction), and
    random() is seeded, so that a scale loads the same data every time."""
    cur.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
        "AND tablename = ANY(%s) AND indexdef NOT LIKE 'CREATE UNIQUE%%'",
        [list(tables)],
    )
    indexes = cur.fetchall()
    for name, _ in indexes:
        cur.execute(f'DROP INDEX IF EXISTS "{name}"')
    cur.execute("SET session_replication_role = replica")
    cur.execute("SELECT setseed(%s)", [seed])
    try:
        yield
    finally:
        cur.execute("SET session_replication_role = origin")
        t0 = time.perf_counter()
        for _, definition in indexes:
            cur.execute(definition)
        print(f"indexes: {len(indexes)} rebuilt in {time.perf_counter() - t0:.0f}s", flush=True)


def p95(sorted_values: list[float]) -> float:
    """The 95th percentile (nearest rank) of an ascending list."""
    return sorted_values[math.ceil(0.95 * len(sorted_values)) - 1]


def timed(fn: Callable[[], object], *, runs: int, warmups: int, slowest: int = 0) -> dict:
    """Calls `fn` `warmups` times, then `runs` times with the SQL captured: median, p95 and
    minimum wall time, median time spent in SQL, the number of queries (transaction control
    not counted) and whether it was the same every run; with `slowest`, that many of the
    slowest statements of the last run (for EXPLAIN)."""
    for _ in range(warmups):
        fn()
    timings, queries, sql_ms = [], [], []
    captured: list[dict] = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            fn()
            timings.append((time.perf_counter() - t0) * 1000)
        captured = ctx.captured_queries
        queries.append(
            sum(not q["sql"].lstrip().upper().startswith(TRANSACTION_CONTROL) for q in captured)
        )
        sql_ms.append(sum(float(q["time"]) for q in captured) * 1000)
    timings.sort()
    result = {
        "median_ms": round(statistics.median(timings), 1),
        "p95_ms": round(p95(timings), 1),
        "min_ms": round(timings[0], 1),
        "sql_median_ms": round(statistics.median(sql_ms), 1),
        "queries": max(queries),
        "queries_fixed": min(queries) == max(queries),
    }
    if slowest:
        top = sorted(captured, key=lambda q: float(q["time"]), reverse=True)[:slowest]
        result["slowest_sql"] = [
            {"ms": round(float(q["time"]) * 1000, 1), "sql": q["sql"]} for q in top
        ]
    return result


def measure(client: Client, url: str, *, runs: int, warmups: int) -> dict:
    """GET `url` (HTTPS, as production redirects plain HTTP) through `client`: `timed`'s
    figures and the two slowest statements, or {"error": ...} when a warm-up does not answer
    200 (a failing run raises)."""
    for _ in range(warmups):
        response = client.get(url, secure=True)
        if response.status_code != 200:
            return {"error": f"HTTP {response.status_code}", "url": url}

    def get() -> None:
        response = client.get(url, secure=True)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code} during the runs")

    return {"url": url, **timed(get, runs=runs, warmups=0, slowest=2)}


def explain(sql: str) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of one captured statement."""
    with connection.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return "\n".join(row[0] for row in cur.fetchall())


def write_plans(rows: list[dict], path: Path, *, title: Callable[[dict], str]) -> None:
    """The query plans of the slowest statements of `rows` (from `measure`), each under
    `title(row)`, into `path`."""
    parts = []
    for row in rows:
        for query in row.get("slowest_sql", []):
            parts.append(
                f"### {title(row)}: median {row['median_ms']} ms, this query {query['ms']} ms\n"
                f"{query['sql']}\n\n{explain(query['sql'])}\n"
            )
    path.write_text("\n".join(parts))
    print("plans:", path.relative_to(BASE_DIR))


def machine() -> dict:
    """The machine and the software the figures were measured with."""
    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        pg = cur.fetchone()[0]
        cur.execute("SHOW shared_buffers")
        shared_buffers = cur.fetchone()[0]
        cur.execute("SHOW work_mem")
        work_mem = cur.fetchone()[0]
    cpu = ""
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout  # noqa: S607
        cpu = next(
            (ln.split(":", 1)[1].strip() for ln in lscpu.splitlines() if "Model name" in ln), ""
        )
    except OSError:
        pass
    mem_kb = next(
        int(ln.split()[1])
        for ln in Path("/proc/meminfo").read_text().splitlines()
        if ln.startswith("MemTotal")
    )
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu,
        "ram_gib": round(mem_kb / 1024 / 1024, 1),
        "postgresql": pg,
        "shared_buffers": shared_buffers,
        "work_mem": work_mem,
        "python": platform.python_version(),
        "django": django.get_version(),
    }
