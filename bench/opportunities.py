"""Opportunity board, list, funnel, forecast and win rate at 500,000 opportunities, on PostgreSQL.

    DATABASE_URL=postgres://... .venv/bin/python bench/opportunities.py \
        --opportunities 500000 --customers 100000 [--reuse] [--runs 7]

1. migrates; 2. builds the same org as bench/customers.py (company > 10 regions > 100 teams,
1,000 reps); 3. fills customers (bench/customers.py's generator, no activities), then the
opportunities and their stage history with INSERT ... SELECT FROM generate_series (80 % in the
ToB pipeline, 20 % ToC; open ones spread over the stages, ~20 % won, ~15 % lost; skewed
ownership), then ANALYZE; 4. times the real pages through django.test.Client for a rep, their
team manager, their regional manager and an admin (median, p95, SQL time, query count); 5. saves
EXPLAIN (ANALYZE, BUFFERS) of the slowest queries; 6. writes
bench/results/<date>-opportunities-<N>.json and prints a table.

--reuse keeps the data already in the database and only measures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from urllib.parse import urlencode

import common  # sets Django up: before the Django imports
from common import BASE_DIR, RESULTS_DIR, machine, measure
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from crm.models import User
from opportunities.models import Pipeline

# bench/customers.py: the org, the customer generator, the table's lines and the plans.
base = common.bench_module("customers")
TABLES = ("opportunities_opportunity", "opportunities_stagechange")


def fill_opportunities(org: dict, n: int, *, truncate: bool = True) -> None:
    """`truncate` empties the opportunity tables first, and with them (CASCADE) every table
    that refers to them: activities among others."""
    tob = Pipeline.objects.get(name="ToB project sale")
    toc = Pipeline.objects.get(name="ToC retail")
    with connection.cursor() as cur:
        if truncate:
            cur.execute("TRUNCATE " + ", ".join(TABLES) + " RESTART IDENTITY CASCADE")
        with common.bulk_load(cur, TABLES, seed=0.17):
            t0 = time.perf_counter()
            _insert_opportunities(cur, org, n, tob.pk, toc.pk)
            print(f"opportunities: {n:,} in {time.perf_counter() - t0:.0f}s", flush=True)
            t0 = time.perf_counter()
            _insert_history(cur)
            cur.execute("SELECT count(*) FROM opportunities_stagechange")
            print(
                f"stage changes: {cur.fetchone()[0]:,} in {time.perf_counter() - t0:.0f}s",
                flush=True,
            )
        # Only the customers with opportunities change (one pass over the opportunities).
        cur.execute(
            "UPDATE customers_customer c SET has_open_opportunities = t.open,"
            " last_opportunity_at = t.last FROM ("
            " SELECT customer_id, bool_or(status = 'open') AS open, max(created_at) AS last"
            " FROM opportunities_opportunity GROUP BY customer_id) AS t"
            " WHERE t.customer_id = c.id"
        )
        t0 = time.perf_counter()
        cur.execute("VACUUM ANALYZE")
        print(f"vacuum analyze: {time.perf_counter() - t0:.0f}s")


def _insert_opportunities(cur, org: dict, n: int, tob: int, toc: int) -> None:
    # A stage per row: 65 % open (uniform over the pipeline's open stages), 20 % won, 15 % lost.
    # Owner: the customer's owner, or a rep drawn like the customers' owners for pool customers.
    cur.execute("SELECT min(id), max(id) FROM customers_customer")
    lo, hi = cur.fetchone()
    cur.execute(
        """
        CREATE TEMP TABLE bench_stage AS
        SELECT pipeline_id, kind, array_agg(id ORDER BY "order", id) AS ids
        FROM opportunities_stage GROUP BY pipeline_id, kind
        """
    )
    cur.execute(
        """
        INSERT INTO opportunities_opportunity (
            code, name, customer_id, contact_id, amount, expected_close_on, pipeline_id,
            stage_id, status, owner_id, next_step, lost_reason_id, lost_note, description,
            stage_entered_at, closed_at, created_at, updated_at, created_by_id, source_lead_id)
        SELECT
            'OB' || lpad(upper(to_hex(s.g)), 8, '0'),
            (ARRAY['年度采购项目','生产线升级','ERP 实施','Annual service contract','门店设备',
                   'Fleet rollout','网络改造','培训服务'])[1 + floor(random() * 8)::int]
                || ' ' || s.g,
            c.id, NULL,
            round((1000 + random() ^ 3 * 2000000)::numeric, 2),
            (s.created + (random() * 240 - 30) * interval '1 day')::date,
            s.pipeline_id,
            st.ids[1 + floor(random() * array_length(st.ids, 1))::int],
            s.kind,
            coalesce(c.owner_id, (%(reps)s::bigint[])[1 + floor(random() * %(n_reps)s)::int]),
            '', CASE WHEN s.kind = 'lost' THEN (SELECT min(id) FROM opportunities_lostreason)
                     END,
            '', '',
            s.entered, CASE WHEN s.kind <> 'open' THEN s.entered END,
            s.created, s.entered, NULL, NULL
        FROM (
            SELECT g,
                   %(lo)s + floor(random() * (%(hi)s - %(lo)s + 1))::bigint AS cid,
                   CASE WHEN random() < 0.8 THEN %(tob)s ELSE %(toc)s END AS pipeline_id,
                   CASE WHEN u < 0.65 THEN 'open' WHEN u < 0.85 THEN 'won' ELSE 'lost' END AS kind,
                   created,
                   least(now(), created + random() * interval '120 days') AS entered
            FROM (
                SELECT g, random() AS u,
                       timestamptz '2023-01-01'
                           + (now() - timestamptz '2023-01-01') * (g::float8 / %(n)s) AS created
                FROM generate_series(1, %(n)s) AS g
            ) AS r
        ) AS s
        JOIN customers_customer AS c ON c.id = s.cid
        JOIN bench_stage AS st ON st.pipeline_id = s.pipeline_id AND st.kind = s.kind
        """,
        {
            "n": n,
            "lo": lo,
            "hi": hi,
            "tob": tob,
            "toc": toc,
            "reps": org["reps"],
            "n_reps": len(org["reps"]),
        },
    )


def _insert_history(cur) -> None:
    """The creation (into the first open stage), one move per open stage up to the current one,
    then the close; times spread evenly between created_at and stage_entered_at."""
    cur.execute(
        """
        WITH path AS (
            SELECT o.id AS opp, o.created_at, o.stage_entered_at, o.owner_id, s.id AS stage,
                   row_number() OVER (PARTITION BY o.id ORDER BY s."order", s.id) AS step,
                   count(*) OVER (PARTITION BY o.id) AS steps
            FROM opportunities_opportunity o
            JOIN opportunities_stage cur ON cur.id = o.stage_id
            JOIN opportunities_stage s ON s.pipeline_id = o.pipeline_id
             AND (s.id = o.stage_id OR (s.kind = 'open' AND s."order" <
                  CASE WHEN cur.kind = 'open' THEN cur."order" ELSE 1 + mod(o.id, 5) END))
        )
        INSERT INTO opportunities_stagechange (
            opportunity_id, from_stage_id, to_stage_id, changed_by_id, changed_at,
            seconds_in_previous)
        SELECT opp, lag(stage) OVER w, stage, owner_id,
               created_at + (stage_entered_at - created_at)
                   * ((step - 1)::float8 / greatest(steps - 1, 1)),
               CASE WHEN step > 1 THEN extract(epoch FROM (stage_entered_at - created_at))::bigint
                                      / greatest(steps - 1, 1) END
        FROM path
        WINDOW w AS (PARTITION BY opp ORDER BY step)
        """
    )


def personas(org: dict) -> dict[str, User]:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT owner_id FROM opportunities_opportunity GROUP BY owner_id "
            "ORDER BY count(*) DESC LIMIT 1"
        )
        rep = User.objects.select_related("team__parent").get(pk=cur.fetchone()[0])
    return {
        "rep": rep,
        "team_manager": rep.team.manager,
        "regional_manager": rep.team.parent.manager,
        "admin": User.objects.get(pk=org["admin"]),
    }


def cases(rep: User) -> list[tuple[str, str, dict]]:
    tob = Pipeline.objects.get(name="ToB project sale")
    today = timezone.localdate()
    year_ago = today - dt.timedelta(days=365)
    board = reverse("opportunities:board", args=[tob.pk])
    listing = reverse("opportunities:opportunity-list")
    return [
        ("board_default", board, {}),
        ("board_everyone", board, {"owner": "all"}),
        ("list_default", listing, {}),
        ("list_open_amount", listing, {"status": "open", "amount_min": "500000"}),
        ("list_close_month", listing, {"close_month": f"{today:%Y-%m}"}),
        ("list_stage_sorted", listing, {"stage": tob.stages.get(name="Proposal").pk,
                                        "ordering": "-amount"}),
        ("funnel_year", reverse("opportunities:funnel"),
         {"start": year_ago.isoformat(), "end": today.isoformat(), "pipeline": tob.pk}),
        ("forecast_6m_rep", reverse("opportunities:forecast"), {"group": "owner"}),
        ("forecast_12m_team", reverse("opportunities:forecast"), {"group": "team", "months": 12}),
        ("win_rate_year", reverse("opportunities:win-rate"),
         {"start": year_ago.isoformat(), "end": today.isoformat()}),
    ]  # fmt: skip


def run_benchmark(*, runs: int, warmups: int, org: dict) -> dict:
    people = personas(org)
    print("personas:", {k: v.username for k, v in people.items()})
    results = []
    with common.production_client():
        for persona, user in people.items():
            client = Client()
            client.force_login(user)
            for case, path, params in cases(people["rep"]):
                url = f"{path}?{urlencode(params)}" if params else path
                row = {"persona": persona, "case": case, "params": params}
                row.update(measure(client, url, runs=runs, warmups=warmups))
                results.append(row)
                print(base._line(row), flush=True)
    return {"personas": {k: v.username for k, v in people.items()}, "rows": results}


def table_sizes() -> dict:
    out = {}
    with connection.cursor() as cur:
        for table in (*TABLES, "customers_customer"):
            cur.execute(
                "SELECT reltuples::bigint, pg_size_pretty(pg_total_relation_size(oid)) "
                "FROM pg_class WHERE relname = %s",
                [table],
            )
            rows, size = cur.fetchone()
            out[table] = {"rows": rows, "total_size": size}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--opportunities", type=int, default=500_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--warmups", type=int, default=2)
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/opportunities.py needs PostgreSQL: set DATABASE_URL.")
    call_command("migrate", verbosity=0)
    org = base.build_org()
    if not args.reuse:
        t0 = time.perf_counter()
        base.fill(org, args.customers, 0)
        fill_opportunities(org, args.opportunities)
        print(f"data: {time.perf_counter() - t0:.0f}s")
    result = {
        "date": timezone.localdate().isoformat(),
        "opportunities": args.opportunities,
        "machine": machine(),
        "tables": table_sizes(),
    }
    print(f"{'persona':<22} {'case':<22} {'median':>8} {'p95':>8} {'sql':>8} {'q':>4}")
    result.update(run_benchmark(runs=args.runs, warmups=args.warmups, org=org))
    RESULTS_DIR.mkdir(exist_ok=True)
    stem = f"{result['date']}-opportunities-{args.opportunities}"
    (RESULTS_DIR / f"{stem}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    base.save_plans(result, RESULTS_DIR / f"{stem}-plans.txt", slowest=4)
    print("results:", (RESULTS_DIR / f"{stem}.json").relative_to(BASE_DIR))


if __name__ == "__main__":
    main()
