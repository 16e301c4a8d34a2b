"""Automatic lead assignment with real Celery workers on PostgreSQL + Redis.

    DATABASE_URL=postgres://... CELERY_BROKER_URL=redis://127.0.0.1:6379/0 \
        .venv/bin/python bench/leads.py [--leads 3000] [--posts 300] [--rate 50]

1. migrates; makes 10 bench reps and one round-robin rule over them (no capacity limit);
2. throughput, for 1 then 2 worker processes (`celery worker -Q assignment --pool=solo`, each
   its own process and DB connection): inserts --leads new leads, queues the `assign_lead`
   tasks as the creation paths do on commit -- one per lead, then coalesced (leads/burst.py: one
   per burst) -- and times from the workers starting to consume until every lead has an owner:
   leads per second from queued to assigned;
3. latency, with 2 workers running: posts --posts leads to POST /api/leads/ (the real view
   through django.test.Client, committed, the task queued on commit) at --rate per second, and
   a poller sees each lead's owner appear: post-to-assigned median and p95;
4. writes bench/results/<date>-leads.json and prints a table. Bench rows are marked (email
   @bench-lead.invalid) and deleted at the start of each run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time

import common  # sets Django up: before the Django imports
import django
from common import BASE_DIR, RESULTS_DIR
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import override_settings

from crm.celery import app as celery_app
from crm.models import Position, Team, User
from leads import burst
from leads.models import AssignmentLog, AssignmentRule, Lead, LeadSource, RuleMember
from leads.tasks import assign_lead

MARK = "bench-lead.invalid"
TOKEN = "lt_bench-token-not-secret"  # noqa: S105 (a bench-only token, made by setup())
REPS = 10


def setup() -> None:
    call_command("migrate", verbosity=0)
    company = Team.objects.filter(kind=Team.Kind.COMPANY).first() or Team.objects.create(
        name="Bench Co", kind=Team.Kind.COMPANY
    )
    team, _ = Team.objects.get_or_create(
        name="Bench leads team", defaults={"kind": Team.Kind.TEAM, "parent": company}
    )
    rep_position = Position.objects.get(kind=Position.Kind.SALES_REP)
    reps = []
    for i in range(REPS):
        user, _ = User.objects.get_or_create(
            username=f"bench.leads.{i}",
            defaults={"team": team, "position": rep_position, "email": f"rep{i}@{MARK}"},
        )
        reps.append(user)
    AssignmentRule.objects.exclude(name="Bench round-robin").update(is_active=False)
    rule, _ = AssignmentRule.objects.get_or_create(
        name="Bench round-robin", defaults={"priority": 0, "sla_hours": 0}
    )
    for user in reps:
        RuleMember.objects.get_or_create(rule=rule, user=user, defaults={"capacity": 0})
    LeadSource.objects.get_or_create(
        token_hash=LeadSource.hash_token(TOKEN),
        defaults={"name": "Bench form", "token_prefix": TOKEN[:10], "rate_limit": 100000},
    )


def _queue_length(name: str) -> int:
    with celery_app.connection_for_write() as conn:
        return conn.default_channel.client.llen(name)


def clean() -> None:
    ids = list(Lead.objects.filter(email__endswith=f"@{MARK}").values_list("pk", flat=True))
    for start in range(0, len(ids), 5000):
        batch = ids[start : start + 5000]
        AssignmentLog.objects.filter(lead_id__in=batch).delete()
        Lead.history.filter(id__in=batch).delete()
        Lead.objects.filter(pk__in=batch).delete()
    try:
        from notifications.models import Notification

        Notification.objects.filter(user__username__startswith="bench.leads.").delete()
    except ImportError:
        pass
    celery_app.control.purge()


def start_workers(
    count: int, queue: str = "assignment", coalesce: bool | None = None
) -> list[subprocess.Popen]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "crm.settings"}
    if coalesce is not None:
        env["LEADS_ASSIGN_COALESCE"] = "1" if coalesce else "0"
    procs = []
    for i in range(count):
        command = [
            sys.executable, "-m", "celery", "-A", "crm", "worker", "--pool=solo", "-Q", queue,
            "-n", f"benchleads{i}@%h", "--without-heartbeat", "--without-gossip",
            "--without-mingle", "-l", "warning",
        ]  # fmt: skip
        procs.append(
            subprocess.Popen(  # noqa: S603 (our own fixed command line)
                command,
                cwd=BASE_DIR,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        )
    names = [f"benchleads{i}@{socket.gethostname()}" for i in range(count)]
    deadline = time.monotonic() + 120
    while True:  # ready when every worker answers a ping
        answered = celery_app.control.ping(destination=names, timeout=1.0) or []
        if len(answered) == count:
            break
        if time.monotonic() > deadline:
            raise RuntimeError("the workers did not start")
    for proc in procs:  # keep draining their output so the pipe never fills
        threading.Thread(target=lambda p=proc: [None for _ in p.stdout], daemon=True).start()
    return procs


def stop_workers(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def throughput(workers: int, n: int, *, coalesce: bool) -> dict:
    clean()
    Lead.objects.bulk_create(
        [
            Lead(name=f"Bench {i}", phone=f"1390{i:07d}", email=f"l{i}@{MARK}", source="website")
            for i in range(n)
        ],
        batch_size=2000,
    )
    ids = list(Lead.objects.filter(email__endswith=f"@{MARK}").values_list("pk", flat=True))
    # The workers start idle (on a queue nobody uses); the tasks are queued; then the workers
    # are told to consume `assignment` together: the clock measures queued -> assigned, not
    # the workers' start-up or this process publishing the tasks.
    procs = start_workers(workers, queue="bench-idle", coalesce=coalesce)
    try:
        started = time.monotonic()
        with override_settings(LEADS_ASSIGN_COALESCE=coalesce):
            burst.release()
            for pk in ids:  # what each creation path does on commit (leads.services)
                if burst.claim():
                    assign_lead.delay(pk)
        queued = time.monotonic() - started
        names = [f"benchleads{i}@{socket.gethostname()}" for i in range(workers)]
        started = time.monotonic()
        celery_app.control.add_consumer("assignment", destination=names, reply=False)
        while Lead.objects.filter(pk__in=ids, owner__isnull=True).exists():
            time.sleep(0.02)
            if time.monotonic() - started > 600:
                raise RuntimeError("not all leads were assigned in 10 minutes")
        elapsed = time.monotonic() - started
        # Every task done too (most find their lead already placed by a batch).
        while _queue_length("assignment") and time.monotonic() - started < 600:
            time.sleep(0.02)
        drained = time.monotonic() - started
    finally:
        stop_workers(procs)
    counts = sorted(
        Lead.objects.filter(pk__in=ids)
        .values("owner")
        .annotate(n=django.db.models.Count("pk"))
        .values_list("n", flat=True)
    )
    logs = AssignmentLog.objects.filter(lead_id__in=ids).count()
    return {
        "workers": workers,
        "tasks": "one per burst (coalesced)" if coalesce else "one per lead",
        "leads": n,
        "seconds": round(elapsed, 3),
        "leads_per_second": round(n / elapsed, 1),
        "tasks_drained_seconds": round(drained, 3),
        "queueing_seconds": round(queued, 3),
        "spread_min_max": [counts[0], counts[-1]],
        "assignment_logs": logs,
    }


def latency(posts: int, rate: float) -> dict:
    clean()
    procs = start_workers(2)
    seen: dict[int, float] = {}
    posted: dict[int, float] = {}
    done = threading.Event()

    def poll() -> None:
        from django.db import connections

        try:
            while not done.is_set() or len(seen) < len(posted):
                waiting = [pk for pk in list(posted) if pk not in seen]
                if waiting:
                    for pk in Lead.objects.filter(pk__in=waiting, owner__isnull=False).values_list(
                        "pk", flat=True
                    ):
                        seen[pk] = time.monotonic()
                time.sleep(0.005)
                if done.is_set() and time.monotonic() - last_post[0] > 120:
                    break
        finally:
            connections.close_all()

    last_post = [time.monotonic()]
    poller = threading.Thread(target=poll)
    poller.start()
    client = Client()
    try:
        with override_settings(ALLOWED_HOSTS=["*"]):
            for i in range(posts):
                at = time.monotonic()
                response = client.post(
                    "/api/leads/",
                    json.dumps({"name": f"Post {i}", "phone": f"1370{i:07d}",
                                "email": f"p{i}@{MARK}"}),
                    content_type="application/json",
                    HTTP_AUTHORIZATION=f"Bearer {TOKEN}",
                    secure=True,  # production settings redirect plain HTTP
                )  # fmt: skip
                if response.status_code != 201:
                    raise RuntimeError(f"API answered {response.status_code}: {response.content}")
                posted[response.json()["id"]] = at
                last_post[0] = time.monotonic()
                pause = 1 / rate - (time.monotonic() - at)
                if pause > 0:
                    time.sleep(pause)
        done.set()
        poller.join(timeout=180)
    finally:
        done.set()
        stop_workers(procs)
    waits = sorted((seen[pk] - posted[pk]) * 1000 for pk in posted if pk in seen)
    return {
        "posts": posts,
        "rate_per_second": rate,
        "assigned": len(waits),
        "median_ms": round(statistics.median(waits), 1),
        "p95_ms": round(waits[max(0, int(len(waits) * 0.95) - 1)], 1),
        "max_ms": round(waits[-1], 1),
    }


def machine() -> dict:
    """common.machine() and how the leads are queued and assigned."""
    return {
        **common.machine(),
        "broker": settings.CELERY_BROKER_URL.split("@")[-1],
        "assign_along": os.environ.get("LEADS_ASSIGN_ALONG", "50 (default)"),
        "cache": settings.CACHES["default"]["BACKEND"],
        "latency_tasks": "coalesced" if burst.coalescing() else "one per lead",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=3000)
    parser.add_argument("--posts", type=int, default=300)
    parser.add_argument("--rate", type=float, default=50.0)
    args = parser.parse_args()
    if connection.vendor != "postgresql" or not settings.CELERY_BROKER_URL.startswith("redis"):
        sys.exit("Set DATABASE_URL to PostgreSQL and CELERY_BROKER_URL to Redis.")
    setup()
    results = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "throughput": [],
    }
    for coalesce in (False, True):
        for workers in (1, 2):
            results["throughput"].append(throughput(workers, args.leads, coalesce=coalesce))
            print(json.dumps(results["throughput"][-1]), flush=True)
    results["latency"] = latency(args.posts, args.rate)
    clean()
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = RESULTS_DIR / f"{dt.datetime.now(dt.UTC):%Y-%m-%d}-leads.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(json.dumps(results, indent=2, ensure_ascii=False))
    print(f"\nSaved {out.relative_to(BASE_DIR)}")


if __name__ == "__main__":
    main()
