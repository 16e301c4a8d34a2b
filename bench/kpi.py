"""Every KPI of ../shared/KPIS.md for every rep for one month, on PostgreSQL: the app's
`performance.figures.figures_for` against ONE hand-written SQL statement computing the same
figures (the floor).

    DATABASE_URL=postgres://... .venv/bin/python bench/kpi.py \
        [--customers 20000 --activities 100000 --orders 50000] [--reuse] [--period 2026-10]

1. migrates and builds the org of bench/customers.py (1,000 reps under 100 teams), fills
   customers, contacts and activities with its generator when the database has none;
2. fills orders (~3 lines each, list prices on the lines, 10 % draft or cancelled) over the
   last three years (seasonal; a few big customers), receivables for 60 % of the counted
   orders with one or two payments, expenses (some rejected), complaint tickets and a monthly
   sales plan per rep, all with
   INSERT ... SELECT FROM generate_series (--reuse keeps what is loaded);
3. times both for --period (default: last month) over --runs runs after --warmups: median,
   p95, query count, and the ratio app / floor; checks both give the same values for every rep
   and every KPI (exits non-zero otherwise);
4. writes bench/results/<date>-kpi-<orders>.json and prints a table.

The issue's scale (2,000,000 orders, 6,000,000 lines, 1,000,000 payments, 5,000,000
activities) is `--customers 1000000 --activities 5000000 --orders 2000000`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from decimal import Decimal

import common  # sets Django up: before the Django imports
from common import BASE_DIR, RESULTS_DIR, machine, timed
from django.core.management import call_command
from django.db import connection, transaction

from orders.models import COUNTED_STATUSES
from performance.figures import figures_for
from performance.metrics import CONTRACT_KEYS, Figure, get_metric
from performance.periods import Period
from service.models import FlowStep, ServiceFlow

# bench/customers.py: the org and the customer generator.
base = common.bench_module("customers")

TABLES = (
    "orders_payment",
    "orders_receivable",
    "orders_orderline",
    "orders_order",
    "orders_expense",
    "service_ticket",
    "performance_salesplan",
)

# --- data ---------------------------------------------------------------------------------


def fill_kpi_data(org: dict, orders: int, *, truncate: bool = True) -> None:
    """Orders and lines, receivables and payments, expenses, complaints and plans for the
    bench reps, in a handful of INSERT ... SELECT statements (plain indexes dropped during the
    load and rebuilt after it, FK triggers skipped: the data is consistent by construction)."""
    flow = ServiceFlow.objects.filter(kind="tob", is_default=True).first()
    if flow is None:
        flow = ServiceFlow.objects.create(name="Bench ToB", kind="tob", is_default=True)
        FlowStep.objects.create(flow=flow, position=1, name="New")
    step = flow.steps.order_by("position").first()
    params = {
        "orders": orders,
        "reps": org["reps"],
        "n_reps": len(org["reps"]),
        "flow": flow.pk,
        "step": step.pk,
        "season": MONTH_WEIGHTS,
    }
    with connection.cursor() as cur:
        cur.execute("SELECT min(id), max(id) - min(id) + 1 FROM customers_customer")
        params["lo"], params["span"] = cur.fetchone()
        if truncate:
            cur.execute("TRUNCATE " + ", ".join(TABLES) + " RESTART IDENTITY CASCADE")
        with common.bulk_load(cur, TABLES, seed=0.23):
            for label, sql in STEPS:
                t0 = time.perf_counter()
                cur.execute(sql, params)
                print(f"{label}: {cur.rowcount:,} rows in {time.perf_counter() - t0:.0f}s")
        cur.execute("VACUUM ANALYZE")


# Orders by month, January to December: the Spring Festival dip, the year-end peak.
MONTH_WEIGHTS = [0.75, 0.45, 0.8, 0.85, 0.85, 0.9, 0.8, 0.8, 0.9, 0.85, 0.95, 1.0]

STEPS = [
    (
        "products",
        """
        INSERT INTO orders_product (sku, name, unit, list_price, active, description,
            created_at, updated_at)
        SELECT 'BENCH-' || g, '产品 Bench product ' || g, '台', (100 * g)::numeric(14, 2), true,
            '', now(), now()
        FROM generate_series(1, 20) AS g
        ON CONFLICT (sku) DO NOTHING
        """,
    ),
    (
        "orders",
        # Mostly the customer's owner (10 % another rep), over the last three years: seasonal
        # (MONTH_WEIGHTS) and growing (a third more orders now than three years ago), kept by
        # rejection from twice as many candidates. A few big customers place a large share
        # (customer ids drawn as u^3: the first 1 % of customers place ~20 % of the orders);
        # no order predates its customer.
        """
        INSERT INTO orders_order (number, order_date, status, total, list_total, note,
            created_at, updated_at, customer_id, owner_id)
        SELECT 'BO' || s.g, greatest(s.day, c.created_at::date),
            (ARRAY['confirmed','shipped','delivered','completed','completed','completed',
                   'completed','completed','draft','cancelled'])[1 + floor(random() * 10)::int],
            0, 0, '', greatest(s.day, c.created_at::date), greatest(s.day, c.created_at::date),
            c.id,
            CASE WHEN c.owner_id IS NULL OR random() < 0.1
                 THEN (%(reps)s::bigint[])[1 + floor(random() * %(n_reps)s)::int]
                 ELSE c.owner_id END
        FROM (
            SELECT g, day, cid FROM (
                SELECT g, current_date - floor(random() * 1095)::int AS day,
                       %(lo)s + floor(%(span)s * random() ^ 3)::bigint AS cid
                FROM generate_series(1, 2 * %(orders)s) AS g
                OFFSET 0
            ) AS d
            WHERE random() < (%(season)s::float8[])[extract(month FROM day)::int]
                             * (1 - 0.25 * (current_date - day) / 1095.0)
            LIMIT %(orders)s
        ) AS s
        JOIN customers_customer AS c ON c.id = s.cid
        """,
    ),
    (
        "order lines",
        """
        INSERT INTO orders_orderline (position, quantity, unit_price, list_price, amount,
            list_amount, order_id, product_id)
        SELECT k, q, up, p.list_price, round(q * up, 2), round(q * p.list_price, 2), o.id, p.id
        FROM orders_order AS o
        CROSS JOIN LATERAL generate_series(1, 1 + floor(random() * 5 + o.id * 0)::int) AS k
        CROSS JOIN LATERAL (SELECT 1 + floor(random() * 20 + k * 0)::int AS pid,
                                   1 + floor(random() * 10 + k * 0)::int AS q,
                                   (0.8 + random() * 0.2 + k * 0)::numeric AS f) AS r
        JOIN orders_product AS p ON p.sku = 'BENCH-' || r.pid
        CROSS JOIN LATERAL (SELECT round(p.list_price * r.f, 2) AS up) AS u
        """,
    ),
    (
        "order totals",
        """
        UPDATE orders_order AS o SET total = t.total, list_total = t.list_total
        FROM (SELECT order_id, sum(amount) AS total, sum(list_amount) AS list_total
              FROM orders_orderline GROUP BY order_id) AS t
        WHERE t.order_id = o.id
        """,
    ),
    (
        "receivables",
        """
        INSERT INTO orders_receivable (code, label, amount, due_date, paid_amount, status,
            created_at, customer_id, order_id, owner_id)
        SELECT 'BR' || o.id, '', o.total, o.order_date + 30, 0, 'open', o.created_at,
            o.customer_id, o.id, o.owner_id
        FROM orders_order AS o
        WHERE o.status IN ('confirmed','shipped','delivered','completed') AND o.total > 0
          AND random() < 0.6
        """,
    ),
    (
        "payments",
        # Most customers pay: a first payment around the due date (97 % of the receivables due
        # more than two months ago, 60 % of the later ones), in full six times in ten, else
        # 30-90 %; never dated in the future. What stays open is the recent tail and ~3 % of
        # bad debt, as in a company that collects (not half of three years' receivables).
        """
        INSERT INTO orders_payment (amount, paid_on, method, reference, created_at,
            receivable_id)
        SELECT part, day, 'bank_transfer', '', now(), id FROM (
            SELECT r.id, r.amount,
                   CASE WHEN random() < 0.6 THEN r.amount
                        ELSE round(r.amount * (0.3 + 0.6 * random())::numeric, 2) END AS part,
                   least(current_date, r.due_date - 20 + floor(random() * 40)::int) AS day
            FROM orders_receivable AS r
            WHERE random() < CASE WHEN r.due_date < current_date - 60 THEN 0.97 ELSE 0.6 END
        ) AS first
        """,
    ),
    (
        "second payments",
        # The rest, 10-50 days later: nearly always for the old ones, when already due.
        """
        INSERT INTO orders_payment (amount, paid_on, method, reference, created_at,
            receivable_id)
        SELECT r.amount - p.amount, s.day, 'bank_transfer', '', now(), r.id
        FROM orders_receivable AS r JOIN orders_payment AS p ON p.receivable_id = r.id
        CROSS JOIN LATERAL (SELECT p.paid_on + 10 + floor(random() * 40 + r.id * 0)::int AS day)
            AS s
        WHERE p.amount < r.amount AND s.day <= current_date
          AND random() < CASE WHEN s.day < current_date - 30 THEN 0.97 ELSE 0.5 END
        """,
    ),
    (
        "receivable paid amounts",
        """
        UPDATE orders_receivable AS r SET paid_amount = s.paid,
            status = CASE WHEN s.paid >= r.amount THEN 'paid' ELSE 'partly_paid' END
        FROM (SELECT receivable_id, sum(amount) AS paid FROM orders_payment
              GROUP BY receivable_id) AS s
        WHERE s.receivable_id = r.id
        """,
    ),
    (
        "expenses",
        """
        INSERT INTO orders_expense (spent_on, category, amount, note, status,
            decision_comment, created_at, owner_id)
        SELECT current_date - floor(random() * 1095)::int,
            (ARRAY['travel','meals','gifts','transport'])[1 + floor(random() * 4)::int],
            round((50 + random() * 3000)::numeric, 2), '',
            (ARRAY['approved','approved','approved','submitted','rejected'])
                [1 + floor(random() * 5)::int],
            '', now(), (%(reps)s::bigint[])[1 + floor(random() * %(n_reps)s)::int]
        FROM generate_series(1, %(orders)s / 2)
        """,
    ),
    (
        "complaints",
        """
        INSERT INTO service_ticket (number, type, channel, summary, description, priority,
            opened_at, due_at, resolution, customer_id, customer_owner_id, flow_id, step_id)
        SELECT 'BT' || o.id, 'complaint', 'phone', '投诉 complaint', '', 'normal',
            o.order_date + interval '3 days' + random() * interval '20 hours',
            o.order_date + interval '5 days', '', o.customer_id, c.owner_id,
            %(flow)s, %(step)s
        FROM orders_order AS o JOIN customers_customer AS c ON c.id = o.customer_id
        WHERE random() < 0.03
        """,
    ),
    (
        "sales plans",
        """
        INSERT INTO performance_salesplan (month, revenue_target, new_customer_target,
            visit_target, updated_at, user_id)
        SELECT m::date, round((20000 + random() * 200000)::numeric, -3),
            floor(random() * 6)::int, 10 + floor(random() * 20)::int, now(), u
        FROM unnest(%(reps)s::bigint[]) AS u
        CROSS JOIN generate_series(date_trunc('month', current_date) - interval '36 months',
                                   date_trunc('month', current_date), interval '1 month') AS m
        WHERE random() < 0.95
        """,
    ),
]

# --- the floor: one statement ---------------------------------------------------------------

FLOOR_SQL = """
WITH
o AS (
    SELECT owner_id AS uid, sum(total) AS rev, sum(list_total) AS lst, count(*) AS n
    FROM orders_order
    WHERE owner_id = ANY(%(ids)s) AND status = ANY(%(counted)s)
      AND order_date >= %(s)s AND order_date < %(e)s
    GROUP BY owner_id),
op AS (
    SELECT owner_id AS uid, sum(total) AS rev
    FROM orders_order
    WHERE owner_id = ANY(%(ids)s) AND status = ANY(%(counted)s)
      AND order_date >= %(ps)s AND order_date < %(s)s
    GROUP BY owner_id),
pl AS (
    SELECT user_id AS uid, sum(revenue_target) AS rt, sum(new_customer_target) AS nt
    FROM performance_salesplan
    WHERE user_id = ANY(%(ids)s) AND month >= %(s)s AND month < %(e)s
    GROUP BY user_id),
ex AS (
    SELECT owner_id AS uid, sum(amount) AS amt
    FROM orders_expense
    WHERE owner_id = ANY(%(ids)s) AND status <> 'rejected'
      AND spent_on >= %(s)s AND spent_on < %(e)s
    GROUP BY owner_id),
rc AS (
    SELECT owner_id AS uid, sum(amount - pb) AS den, sum(least(pi, amount)) AS num
    FROM (
        SELECT r.owner_id, r.amount,
            coalesce(sum(p.amount) FILTER (WHERE p.paid_on < %(s)s), 0) AS pb,
            coalesce(sum(p.amount) FILTER (WHERE p.paid_on >= %(s)s AND p.paid_on < %(e)s), 0)
                AS pi
        FROM orders_receivable AS r LEFT JOIN orders_payment AS p ON p.receivable_id = r.id
        WHERE r.owner_id = ANY(%(ids)s) AND r.due_date <= %(last)s
        GROUP BY r.id) AS x
    WHERE pb < amount
    GROUP BY owner_id),
vi AS (
    SELECT owner_id AS uid, count(*) FILTER (WHERE outcome = 'success') AS ok, count(*) AS n
    FROM customers_activity
    WHERE owner_id = ANY(%(ids)s) AND kind = 'visit'
      AND occurred_at >= %(sa)s AND occurred_at < %(ea)s
    GROUP BY owner_id),
co AS (
    SELECT customer_owner_id AS uid, count(*) AS n
    FROM service_ticket
    WHERE customer_owner_id = ANY(%(ids)s) AND type = 'complaint'
      AND opened_at >= %(sa)s AND opened_at < %(ea)s
    GROUP BY customer_owner_id),
nc AS (
    SELECT owner_id AS uid, count(DISTINCT customer_id) AS n
    FROM orders_order AS a
    WHERE owner_id = ANY(%(ids)s) AND status = ANY(%(counted)s)
      AND order_date >= %(s)s AND order_date < %(e)s
      AND NOT EXISTS (
        SELECT 1 FROM orders_order AS b
        WHERE b.customer_id = a.customer_id AND b.status = ANY(%(counted)s)
          AND (b.order_date < a.order_date OR (b.order_date = a.order_date AND b.id < a.id)))
    GROUP BY owner_id),
rt AS (
    SELECT owner_id AS uid, count(*) AS n,
        count(*) FILTER (WHERE EXISTS (
            SELECT 1 FROM orders_order AS b
            WHERE b.owner_id = a.owner_id AND b.customer_id = a.customer_id
              AND b.status = ANY(%(counted)s) AND b.order_date >= %(s)s
              AND b.order_date < %(e)s)) AS kept
    FROM (SELECT DISTINCT owner_id, customer_id FROM orders_order
          WHERE owner_id = ANY(%(ids)s) AND status = ANY(%(counted)s)
            AND order_date >= %(ps)s AND order_date < %(s)s) AS a
    GROUP BY owner_id),
owned AS (
    SELECT c.*,
        CASE WHEN lb.customer_id IS NOT NULL THEN lb.to_user_id
             WHEN fa.customer_id IS NOT NULL THEN fa.from_user_id
             ELSE c.owner_id END AS uid
    FROM customers_customer AS c
    LEFT JOIN LATERAL (
        SELECT customer_id, to_user_id FROM customers_ownershipchange
        WHERE customer_id = c.id AND changed_at < %(ea)s
        ORDER BY changed_at DESC, id DESC LIMIT 1) AS lb ON true
    LEFT JOIN LATERAL (
        SELECT customer_id, from_user_id FROM customers_ownershipchange
        WHERE customer_id = c.id AND changed_at >= %(ea)s
        ORDER BY changed_at, id LIMIT 1) AS fa ON true
    WHERE c.created_at < %(ea)s
      AND (c.owner_id = ANY(%(ids)s) OR c.id IN (
        SELECT customer_id FROM customers_ownershipchange
        WHERE to_user_id = ANY(%(ids)s) OR from_user_id = ANY(%(ids)s)))),
ic AS (
    SELECT uid,
        coalesce(sum(
            (length(trim(industry)) > 0)::int + (length(trim(scale)) > 0)::int
            + (length(trim(address)) > 0)::int + (length(trim(phone)) > 0)::int
            + (length(trim(website)) > 0)::int + (length(trim(business_status)) > 0)::int
            + (length(trim(competitors)) > 0)::int + (length(trim(source)) > 0)::int
            + (EXISTS (SELECT 1 FROM customers_contact AS k WHERE k.customer_id = owned.id))::int
        ) FILTER (WHERE kind = 'company'), 0) AS filled_b2b,
        coalesce(sum(
            (length(trim(phone)) > 0)::int + (length(trim(email)) > 0)::int
            + (length(trim(address)) > 0)::int + (birthday IS NOT NULL)::int
            + (length(trim(source)) > 0)::int
        ) FILTER (WHERE kind = 'person'), 0) AS filled_b2c,
        count(*) AS n
    FROM owned WHERE uid = ANY(%(ids)s)
    GROUP BY uid)
SELECT u.uid,
    coalesce(o.rev, 0), pl.rt,
    coalesce(op.rev, 0),
    coalesce(o.lst, 0),
    coalesce(ex.amt, 0),
    coalesce(rc.num, 0), coalesce(rc.den, 0),
    coalesce(vi.ok, 0), coalesce(vi.n, 0),
    coalesce(co.n, 0), coalesce(o.n, 0),
    coalesce(nc.n, 0), pl.nt,
    coalesce(rt.kept, 0), coalesce(rt.n, 0),
    coalesce(ic.filled_b2b, 0), coalesce(ic.filled_b2c, 0), coalesce(ic.n, 0)
FROM unnest(%(ids)s) AS u(uid)
LEFT JOIN o ON o.uid = u.uid LEFT JOIN op ON op.uid = u.uid LEFT JOIN pl ON pl.uid = u.uid
LEFT JOIN ex ON ex.uid = u.uid LEFT JOIN rc ON rc.uid = u.uid LEFT JOIN vi ON vi.uid = u.uid
LEFT JOIN co ON co.uid = u.uid LEFT JOIN nc ON nc.uid = u.uid LEFT JOIN rt ON rt.uid = u.uid
LEFT JOIN ic ON ic.uid = u.uid
"""


def floor_figures(ids: list[int], period: Period, *, jit: bool = True) -> dict[int, dict]:
    """The figures from FLOOR_SQL; `jit=False` runs it as the app does (SET LOCAL jit = off,
    see performance.metrics.queries.shared_results)."""
    params = {
        "ids": ids,
        "counted": list(COUNTED_STATUSES),
        "s": period.start,
        "e": period.end,
        "ps": period.previous().start,
        "last": period.last_day,
        "sa": period.start_at,
        "ea": period.end_at,
    }
    with transaction.atomic(), connection.cursor() as cur:
        if not jit:
            cur.execute("SET LOCAL jit = off")
        cur.execute(FLOOR_SQL, params)
        rows = cur.fetchall()
    out = {}
    for (
        uid,
        rev,
        rt,
        prev,
        lst,
        amt,
        cnum,
        cden,
        ok,
        nv,
        nco,
        no,
        nc,
        nt,
        kept,
        nr,
        fb,
        fc,
        ni,
    ) in rows:
        D = Decimal  # noqa: N806
        out[uid] = {
            "plan_completion": Figure(D(rev), D(rt or 0)),
            "sales_growth": Figure(D(rev) - D(prev), D(prev)),
            "price_retention": Figure(D(rev), D(lst)),
            "expense_ratio": Figure(D(amt), D(rev)),
            "collection": Figure(D(cnum), D(cden)),
            "visit_success": Figure(D(ok), D(nv)),
            "complaint_rate": Figure(D(nco), D(no)),
            "new_customers": Figure(D(nc)),
            "new_customer_rate": Figure(D(nc), D(nt or 0)),
            "retention": Figure(D(kept), D(nr)),
            "info_completeness": Figure(D(fb) / 9 + D(fc) / 5, D(ni)),
        }
    return out


# --- measuring ----------------------------------------------------------------------------


def compare(app: dict, floor: dict) -> list[str]:
    """Differences between the two, as readable lines (empty: the same values)."""
    diffs = []
    for uid, figures in floor.items():
        for key in CONTRACT_KEYS:
            a, b = app[uid][key].value, figures[key].value
            if a != b:
                diffs.append(f"user {uid} {key}: app {a} floor {b}")
    return diffs


def counts() -> dict:
    with connection.cursor() as cur:
        out = {}
        for table in (*TABLES, "customers_customer", "customers_activity"):
            cur.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (our table names)
            out[table] = cur.fetchone()[0]
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--activities", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=50_000)
    parser.add_argument("--period", default="", help="YYYY-MM (default: last month)")
    parser.add_argument("--reuse", action="store_true", help="keep the data already loaded")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--warmups", type=int, default=2)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/kpi.py needs PostgreSQL: set DATABASE_URL=postgres://...")

    call_command("migrate", verbosity=0)
    org = base.build_org()
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM customers_customer")
        customers = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM orders_order")
        orders = cur.fetchone()[0]
    if not customers:
        base.fill(org, args.customers, args.activities)
    if args.reuse and orders:
        print(f"data: reusing {orders:,} orders")
    else:
        t0 = time.perf_counter()
        fill_kpi_data(org, args.orders)
        print(f"data: loaded in {time.perf_counter() - t0:.0f}s")

    period = Period.parse(args.period) if args.period else Period.containing().previous()
    ids = list(org["reps"])
    metrics = [get_metric(k) for k in CONTRACT_KEYS]
    app = figures_for(ids, period, metrics)
    floor = floor_figures(ids, period)
    diffs = compare(app, floor)
    app_t = timed(lambda: figures_for(ids, period, metrics), runs=args.runs, warmups=args.warmups)
    floor_t = timed(lambda: floor_figures(ids, period), runs=args.runs, warmups=args.warmups)
    floor_nojit_t = timed(
        lambda: floor_figures(ids, period, jit=False), runs=args.runs, warmups=args.warmups
    )
    ratio = round(app_t["median_ms"] / floor_t["median_ms"], 2) if floor_t["median_ms"] else None
    ratio_nojit = round(app_t["median_ms"] / floor_nojit_t["median_ms"], 2)
    today = dt.date.today().isoformat()  # noqa: DTZ011 (the file name is the local date)
    report = {
        "date": today,
        "command": " ".join(["bench/kpi.py", *sys.argv[1:]]),
        "period": period.key,
        "reps": len(ids),
        "rows": counts(),
        "runs": args.runs,
        "warmups": args.warmups,
        "machine": machine(),
        "app": app_t,
        "floor": floor_t,
        "floor_jit_off": floor_nojit_t,
        "ratio_app_to_floor": ratio,
        "ratio_app_to_floor_jit_off": ratio_nojit,
        "same_values": not diffs,
        "differences": diffs[:20],
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = RESULTS_DIR / f"{today}-kpi-{report['rows']['orders_order']}.json"
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2))
    print(f"\nperiod {period.key}, {len(ids)} reps, every KPI of KPIS.md")
    print(f"{'':<28} {'median ms':>10} {'p95 ms':>10} {'queries':>8}")
    for label, t in (
        ("figures_for (the app)", app_t),
        ("one SQL statement (floor)", floor_t),
        ("floor, JIT off", floor_nojit_t),
    ):
        print(f"{label:<28} {t['median_ms']:>10} {t['p95_ms']:>10} {t['queries']:>8}")
    print(f"ratio app / floor: {ratio} (floor with JIT off: {ratio_nojit})")
    print("same values:", "yes" if not diffs else f"NO ({len(diffs)} differences)")
    for line in diffs[:20]:
        print("  ", line)
    print("results:", out.relative_to(BASE_DIR))
    if diffs:
        sys.exit(1)


if __name__ == "__main__":
    main()
