"""Load test of the real stack: gunicorn, PostgreSQL and Redis, driven by Locust on loopback.

    eval "$(bench/services.sh start)"          # DATABASE_URL, CELERY_BROKER_URL
    .venv/bin/python bench/generate.py --scale small
    .venv/bin/python bench/loadtest.py [--users 50] [--spawn-rate 10] [--duration 60s]
        [--workers 2*cores] [--worker-class gthread] [--threads 4] [--port 8462]

1. collects the static files into a temporary STATIC_ROOT (WhiteNoise serves them, as in
   production);
2. starts gunicorn (`crm.wsgi`) on 127.0.0.1 with the production settings: DEBUG off, a fresh
   SECRET_KEY, ALLOWED_HOSTS 127.0.0.1, the Django cache in Redis (CACHE_URL: database 1 of the
   broker's Redis unless set), sessions where the settings keep them (the database); only the
   HTTPS redirect, secure cookies and HSTS are off, for plain HTTP on loopback;
3. waits for /healthz, then runs Locust headless (bench/locustfile.py: reps and team managers,
   each logged in once through the login form): a warm-up until every user has logged in,
   reported apart, then the measurement for `--duration`;
4. stops gunicorn (SIGTERM to its process group, whatever happened);
5. reads Locust's CSV statistics and gunicorn's access log, writes
   bench/results/<date>-<scale>-load.json (also the CPU both sides used during the
   measurement, and gunicorn's CPU per request: what bounds the throughput on a small machine),
   prints a markdown table, and exits non-zero when a request failed in either phase.

Worker class: gthread (4 threads per worker) by default. On this workload it costs the same
CPU per request as sync workers, and a worker keeps serving while one of its requests waits on
PostgreSQL or runs long (a two-character search, a big dashboard) instead of blocking; `sync`
stays selectable for comparison. Connections close after each response, as behind a proxy.

The scale is the one bench/generate.py recorded in the database. `run()` is the same without
the file and the table, for bench/run.py. The logs of the last run (gunicorn's, with Django's
log lines, its access log with server times, Locust's output and CSV files) stay in
var/loadtest/.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import json
import os
import random
import re
import resource
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import common  # sets Django up
import psutil  # a dependency of Locust
from django.db import connection
from django.db.models import Exists, OuterRef

from crm.models import Team, User
from customers.models import Customer

BASE_DIR = common.BASE_DIR
LOCUSTFILE = BASE_DIR / "bench" / "locustfile.py"
WORK_DIR = BASE_DIR / "var" / "loadtest"
# The access log line: status, then the time gunicorn spent on the request in microseconds.
ACCESS_FORMAT = '%(s)s %(D)s "%(r)s"'
SEED = 9  # which accounts the simulated users take: the same ones every run
# Locust's --run-time: the measurement plus at most this for the warm-up (the logins).
WARM_UP_LIMIT = 300


def production_env(*, static_root: Path) -> dict[str, str]:
    """The environment of the web server: production settings, plain HTTP on loopback."""
    broker = os.environ["CELERY_BROKER_URL"]
    return {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_HSTS_SECONDS": "0",
        "STATIC_ROOT": str(static_root),
        # Production keeps the cache in Redis (docs/leads.md): database 1 next to the broker's 0.
        "CACHE_URL": os.environ.get("CACHE_URL") or urlsplit(broker)._replace(path="/1").geturl(),
    }


def accounts(users: int) -> tuple[list[str], list[str]]:
    """Up to `users` reps who own customers (a fixed random sample) and the managers of
    their teams."""
    owners = Exists(Customer.objects.filter(owner=OuterRef("pk")))
    reps = sorted(
        User.objects.filter(owners, username__startswith="bench-rep", is_active=True).values_list(
            "username", flat=True
        )
    )
    if not reps:
        raise RuntimeError("no bench rep owns a customer: run bench/generate.py first")
    reps = random.Random(SEED).sample(reps, min(users, len(reps)))
    managers = sorted(
        Team.objects.filter(
            members__username__in=reps,
            manager__username__startswith="bench-tm",
            manager__is_active=True,
        )
        .values_list("manager__username", flat=True)
        .distinct()
    )
    if not managers:
        raise RuntimeError("the sampled reps' teams have no bench-tm manager")
    return reps, managers


def collectstatic(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=BASE_DIR,
        env=env,
        check=True,
    )


def start_gunicorn(
    env: dict[str, str], *, port: int, workers: int, worker_class: str, threads: int, log: Path
) -> subprocess.Popen:
    """gunicorn in its own process group (stopped as a whole by `stop_gunicorn`)."""
    command = [
        sys.executable, "-m", "gunicorn", "crm.wsgi",
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers),
        "--worker-class", worker_class,
        "--threads", str(threads),
        # A connection per request, as behind nginx (its upstream connections close after
        # each request by default): a client's keep-alive connection stays with one worker,
        # which spread the load unevenly under saturation (gthread: p95 2.5 s -> 1.7 s).
        "--keep-alive", "0",
        "--access-logfile", str(log.with_name("access.log")),
        "--access-logformat", ACCESS_FORMAT,
        "--error-logfile", "-",
        "--graceful-timeout", "10",
        # gunicorn 27 opens a control socket at a fixed path in $HOME: not wanted (and shared).
        "--no-control-socket",
    ]  # fmt: skip
    with log.open("w") as out:
        return subprocess.Popen(  # noqa: S603 (our own fixed command line)
            command, cwd=BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip


def wait_healthy(server: subprocess.Popen, port: int, *, timeout: float = 60) -> None:
    url = f"http://127.0.0.1:{port}/healthz"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}: see {WORK_DIR}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer 200 within {timeout:.0f} s")


def stop_gunicorn(server: subprocess.Popen) -> None:
    """SIGTERM to the process group (graceful: workers finish their request), SIGKILL after
    30 s; then make sure that no worker outlived the master."""
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        pass
    except ProcessLookupError:  # gone already
        server.wait()
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGKILL)
    server.wait()


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children so far."""
    processes = [psutil.Process(pid)]
    processes += processes[0].children(recursive=True)
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def run_locust(
    server: subprocess.Popen,
    *,
    users: int,
    spawn_rate: float,
    duration: str,
    port: int,
    reps: list[str],
    managers: list[str],
) -> tuple[int, dict, int]:
    """Locust headless (it quits after the warm-up and `duration`, see bench/locustfile.py);
    its output goes to var/loadtest/locust.log. Returns its exit code (1 when a request
    failed), the CPU both sides used during the measurement (from the moment the warm-up's
    statistics appear: seconds, and the server's milliseconds per request it answered), and
    the access log's first line of the measurement."""
    command = [
        sys.executable, "-m", "locust",
        "-f", str(LOCUSTFILE),
        "--headless",
        "--users", str(users),
        "--spawn-rate", str(spawn_rate),
        "--run-time", f"{seconds(duration) + WARM_UP_LIMIT}s",
        "--host", f"http://127.0.0.1:{port}",
        "--csv", str(WORK_DIR / "locust"),
        "--only-summary",
    ]  # fmt: skip
    env = {
        **os.environ,
        "LOAD_REPS": ",".join(reps),
        "LOAD_MANAGERS": ",".join(managers),
        "LOAD_MEASURE_SECONDS": str(seconds(duration)),
    }
    deadline = time.monotonic() + seconds(duration) + WARM_UP_LIMIT + 60
    before = resource.getrusage(resource.RUSAGE_CHILDREN)  # collectstatic's, for one
    start = None  # (wall, server CPU, locust CPU, access log lines) when the measurement began
    with (WORK_DIR / "locust.log").open("w") as out:
        locust = subprocess.Popen(  # noqa: S603 (our own fixed command line)
            command, cwd=BASE_DIR, env=env, stdout=out, stderr=out
        )
        try:
            while locust.poll() is None:
                if start is None and (WORK_DIR / "locust_warmup_stats.csv").exists():
                    start = (
                        time.monotonic(),
                        cpu_seconds(server.pid),
                        cpu_seconds(locust.pid),
                        access_log_lines(),
                    )
                if time.monotonic() > deadline:
                    raise TimeoutError(f"Locust still running after {duration} + warm-up")
                time.sleep(0.2)
        finally:
            if locust.poll() is None:
                locust.terminate()
                locust.wait()
    if start is None:
        return locust.returncode, {}, 0
    # Locust has exited: its CPU is now among this process's reaped children.
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    locust_s = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime - start[2]
    server_s = cpu_seconds(server.pid) - start[1]
    responses = access_log_lines() - start[3]
    return (
        locust.returncode,
        {
            "wall_s": round(time.monotonic() - start[0], 1),
            "gunicorn_s": round(server_s, 1),
            "gunicorn_ms_per_request": round(1000 * server_s / responses, 1) if responses else None,
            "locust_s": round(locust_s, 1),
        },
        start[3],
    )


def access_log_lines() -> int:
    with (WORK_DIR / "access.log").open("rb") as f:
        return sum(1 for _ in f)


def seconds(duration: str) -> int:
    """Locust's duration ("90s", "2m", "1h30m") in seconds."""
    units = {"h": 3600, "m": 60, "s": 1}
    parts = re.findall(r"(\d+)\s*([hms])", duration)
    if not parts or re.sub(r"[\dhms\s]", "", duration):
        raise ValueError(f"not a duration: {duration!r} (e.g. 60s, 2m)")
    return sum(int(n) * units[unit] for n, unit in parts)


def _ms(value: str) -> float | None:
    return None if value in ("", "N/A") else round(float(value), 1)


def locust_stats(phase: str) -> dict:
    """One phase's figures from Locust's CSV files ("locust" is the measurement,
    "locust_warmup" the warm-up): the aggregated row, the rows per request name (busiest
    first) and the failures."""
    with (WORK_DIR / f"{phase}_stats.csv").open() as f:
        rows = [
            {
                "method": row["Type"],
                "name": row["Name"],
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "rps": round(float(row["Requests/s"]), 1),
                "p50_ms": _ms(row["50%"]),
                "p95_ms": _ms(row["95%"]),
                "p99_ms": _ms(row["99%"]),
                "max_ms": _ms(row["Max Response Time"]),
                "avg_bytes": round(float(row["Average Content Size"])),
            }
            for row in csv.DictReader(f)
        ]
    with (WORK_DIR / f"{phase}_failures.csv").open() as f:
        failures = [
            {
                "method": row["Method"],
                "name": row["Name"],
                "error": row["Error"],
                "occurrences": int(row["Occurrences"]),
            }
            for row in csv.DictReader(f)
        ]
    requests = [row for row in rows if row["name"] != "Aggregated"]
    return {
        "total": next(row for row in rows if row["name"] == "Aggregated"),
        "requests": sorted(requests, key=lambda row: -row["requests"]),
        "failures": failures,
    }


def locust_exceptions() -> list[str]:
    """Exceptions raised in the journeys (a bug in the locustfile or an unexpected page)."""
    with (WORK_DIR / "locust_exceptions.csv").open() as f:
        return [f"{row['Count']}x {row['Message']}" for row in csv.DictReader(f)]


def access_log_summary(first_line: int) -> dict:
    """What gunicorn saw during the measurement: responses by status class and the time spent
    in the server (the difference to Locust's times is the wait for a worker)."""
    statuses: dict[str, int] = {}
    times = []
    for line in (WORK_DIR / "access.log").read_text().splitlines()[first_line:]:
        status, micros, _ = line.split(" ", 2)
        statuses[f"{status[0]}xx"] = statuses.get(f"{status[0]}xx", 0) + 1
        times.append(int(micros) / 1000)
    times.sort()
    return {
        "responses": len(times),
        "by_status": dict(sorted(statuses.items())),
        "server_p50_ms": round(statistics.median(times), 1) if times else None,
        "server_p95_ms": round(common.p95(times), 1) if times else None,
    }


def log_errors() -> list[str]:
    """The first error lines of gunicorn's log, which holds Django's (the whole run)."""
    lines = (WORK_DIR / "gunicorn.log").read_text(errors="replace").splitlines()
    return [ln for ln in lines if " ERROR " in ln or "[CRITICAL]" in ln or "Traceback" in ln][:20]


def run(
    users: int = 50,
    spawn_rate: float = 10,
    duration: str = "60s",
    workers: int | None = None,
    port: int = 8462,
    *,
    worker_class: str = "gthread",
    threads: int = 4,
) -> dict:
    """One load test (see the module's docstring); the figures as a dict: those of the
    measurement at the top level, those of the warm-up (the logins) under "warm_up". See
    `failed` for whether it passed."""
    if connection.vendor != "postgresql" or not os.environ.get("CELERY_BROKER_URL"):
        raise RuntimeError("needs DATABASE_URL (PostgreSQL) and CELERY_BROKER_URL (Redis)")
    workers = workers or 2 * (os.cpu_count() or 1)
    threads = threads if worker_class == "gthread" else 1
    reps, managers = accounts(users)
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    for old in [*WORK_DIR.glob("locust*.csv"), WORK_DIR / "access.log"]:
        old.unlink(missing_ok=True)  # gunicorn appends to its access log
    with tempfile.TemporaryDirectory(prefix="crm-static-") as static_root:
        env = production_env(static_root=Path(static_root))
        collectstatic(env)
        server = start_gunicorn(
            env,
            port=port,
            workers=workers,
            worker_class=worker_class,
            threads=threads,
            log=WORK_DIR / "gunicorn.log",
        )
        try:
            wait_healthy(server, port)
            exit_code, cpu, log_start = run_locust(
                server,
                users=users,
                spawn_rate=spawn_rate,
                duration=duration,
                port=port,
                reps=reps,
                managers=managers,
            )
        finally:
            stop_gunicorn(server)
    if not (WORK_DIR / "locust_warmup_stats.csv").exists():
        raise RuntimeError(
            f"the warm-up (logins) did not end (Locust exit {exit_code}): see {WORK_DIR}"
        )
    return {
        "date": dt.date.today().isoformat(),  # noqa: DTZ011 (the file name is the local date)
        "scale": scale(),
        "users": users,
        "spawn_rate": spawn_rate,
        "duration": duration,
        "server": {
            "gunicorn_workers": workers,
            "worker_class": worker_class,
            "threads": threads,
            "cache": env["CACHE_URL"].split("://")[0],
        },
        "accounts": {"reps": len(reps), "managers": len(managers)},
        # During the measurement: CPU seconds of each side over the wall time (how much of the
        # machine each used) and the server's CPU per request (what bounds the throughput).
        "cpu": cpu,
        "locust_exit_code": exit_code,
        **locust_stats("locust"),
        "exceptions": locust_exceptions(),
        "warm_up": locust_stats("locust_warmup"),
        "gunicorn": access_log_summary(log_start),
        "log_errors": log_errors(),
        "machine": common.machine(),
    }


def failed(result: dict) -> bool:
    """Whether any request failed (in either phase), a journey raised, or Locust exited
    with an error."""
    return bool(
        result["total"]["failures"]
        or result["warm_up"]["total"]["failures"]
        or result["exceptions"]
        or result["locust_exit_code"]
    )


def scale() -> str:
    """The scale bench/generate.py loaded ("unknown" for data loaded otherwise)."""
    dataset = common.bench_module("generate").dataset()
    return dataset["scale"] if dataset else "unknown"


def table(result: dict) -> str:
    """The markdown table: every request name of the measurement, then the total."""
    lines = [
        "| request | count | failures | req/s | p50 ms | p95 ms | p99 ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    rows = [row for row in result["requests"] if row["requests"]]  # not the warm-up's only
    for row in [*rows, {**result["total"], "method": "", "name": "**total**"}]:
        name = f"{row['method']} {row['name']}".strip()
        lines.append(
            f"| {name} | {row['requests']:,} | {row['failures']} | {row['rps']} "
            f"| {row['p50_ms']} | {row['p95_ms']} | {row['p99_ms']} |"
        )
    return "\n".join(lines)


def save(result: dict) -> Path:
    common.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = common.RESULTS_DIR / f"{result['date']}-{result['scale']}-load.json"
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--duration", default="60s", help="Locust's --run-time (60s, 2m)")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: 2 per core)")
    parser.add_argument("--worker-class", choices=["sync", "gthread"], default="gthread")
    parser.add_argument("--threads", type=int, default=4, help="per gthread worker")
    parser.add_argument("--port", type=int, default=8462)
    args = parser.parse_args()
    seconds(args.duration)  # a bad duration fails before anything starts
    result = run(
        args.users,
        args.spawn_rate,
        args.duration,
        args.workers,
        args.port,
        worker_class=args.worker_class,
        threads=args.threads,
    )
    path = save(result)
    total, server, cpu = result["total"], result["server"], result["cpu"]
    print(
        f"\nLoad test, scale {result['scale']}: {result['users']} users for {result['duration']},"
        f" gunicorn {server['gunicorn_workers']} {server['worker_class']} workers"
        f" x {server['threads']} threads\n"
    )
    print(table(result))
    print(
        f"\n{total['rps']} requests/s, p95 {total['p95_ms']} ms, {total['failures']} failed;"
        f" CPU s over {cpu['wall_s']} s: gunicorn {cpu['gunicorn_s']}"
        f" ({cpu['gunicorn_ms_per_request']} ms per request), locust {cpu['locust_s']}"
    )
    warm_up = result["warm_up"]["total"]
    print(
        f"warm-up (logins, first pages): {warm_up['requests']} requests, p95 {warm_up['p95_ms']}"
        f" ms, {warm_up['failures']} failed"
    )
    for failure in result["failures"] + result["warm_up"]["failures"]:
        print(f"FAILED {failure['occurrences']}x {failure['method']} {failure['name']}: "
              f"{failure['error']}")  # fmt: skip
    for exception in result["exceptions"]:
        print("EXCEPTION", exception)
    for line in result["log_errors"]:
        print("server log:", line)
    print("results:", path.relative_to(BASE_DIR), "| logs:", WORK_DIR.relative_to(BASE_DIR))
    sys.exit(1 if failed(result) else 0)


if __name__ == "__main__":
    main()
