"""A whole company in PostgreSQL, at a chosen scale, for the benchmarks (`make bench`).

    DATABASE_URL=postgres://... .venv/bin/python bench/generate.py --scale small|medium|large
        [--if-needed]

Drops and recreates the database's `public` schema, migrates, then fills (INSERT ... SELECT FROM
generate_series, plain indexes dropped during each load and rebuilt after it, FK triggers
skipped: the rows are consistent by construction):

- the org: company "Bench Co" > regions > teams, a manager per team and region, the reps, an
  admin (`bench-admin`, `bench-rmNN`, `bench-tmNNN`, `bench-repNNNN`; password
  `bench-password`);
- customers (5 % in the public pool, ownership skewed: a few reps own thousands), their
  creation in the ownership log, 0-4 contacts each, activities over three years
  (bench/customers.py);
- leads over three years, by source, mostly worked: contacted, converted or disqualified;
- opportunities in both default pipelines with their stage history (bench/opportunities.py);
- products, orders over three years with ~3 lines each (seasonal: a peak in December and a dip
  around the Spring Festival; a few big customers place a large share of the orders),
  receivables for most counted orders with one or two payments, expenses, complaint tickets and
  a monthly sales plan per rep (bench/kpi.py);
- the default KPI schemes and last month's scorecards for everybody (the real compute service).

What was loaded, the row counts and the seconds per step are written to the table `bench_meta`
(key 'dataset'), which bench/run.py and bench/loadtest.py read. `--if-needed` does nothing when
the database already holds this scale.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from dataclasses import asdict, dataclass

import common  # sets Django up: before the Django imports
from django.core.management import call_command
from django.db import connection

kpi = common.bench_module("kpi")
base = common.bench_module("customers")
opportunities = common.bench_module("opportunities")


@dataclass(frozen=True)
class Scale:
    regions: int
    teams_per_region: int
    reps: int
    customers: int
    activities: int
    leads: int
    opportunities: int
    orders: int


SCALES = {
    "small": Scale(1, 2, 10, 10_000, 50_000, 5_000, 5_000, 20_000),
    "medium": Scale(3, 4, 100, 100_000, 500_000, 50_000, 50_000, 200_000),
    "large": Scale(10, 10, 1_000, 1_000_000, 5_000_000, 500_000, 500_000, 2_000_000),
}

COUNTED_TABLES = (
    "crm_user",
    "crm_team",
    "customers_customer",
    "customers_contact",
    "customers_activity",
    "customers_ownershipchange",
    "leads_lead",
    "opportunities_opportunity",
    "opportunities_stagechange",
    "orders_order",
    "orders_orderline",
    "orders_receivable",
    "orders_payment",
    "orders_expense",
    "service_ticket",
    "performance_salesplan",
    "performance_scorecard",
)


def dataset() -> dict | None:
    """What bench/generate.py loaded into this database (None: nothing, or not by it)."""
    with connection.cursor() as cur:
        cur.execute("SELECT to_regclass('bench_meta') IS NOT NULL")
        if not cur.fetchone()[0]:
            return None
        cur.execute("SELECT value FROM bench_meta WHERE key = 'dataset'")
        row = cur.fetchone()
    if row is None:
        return None
    return row[0] if isinstance(row[0], dict) else json.loads(row[0])


def reset_schema() -> None:
    with connection.cursor() as cur:
        cur.execute("DROP SCHEMA public CASCADE")
        cur.execute("CREATE SCHEMA public")


def fill_ownership_log(cur) -> None:
    """Every owned customer's first owner in the ownership log (an owner without a log row
    cannot happen in the product)."""
    cur.execute(
        """
        INSERT INTO customers_ownershipchange (customer_id, from_user_id, to_user_id, reason,
            note, changed_by_id, changed_at)
        SELECT id, NULL, owner_id, 'created', '', owner_id, created_at
        FROM customers_customer WHERE owner_id IS NOT NULL
        """
    )


def fill_leads(cur, org: dict, n: int) -> None:
    """Leads over three years: owned by reps drawn like the customers' owners; the older a lead,
    the likelier it was worked (contacted, qualified, converted into one of the customers, or
    disqualified with a reason)."""
    cur.execute("SELECT min(id), max(id) FROM customers_customer")
    lo, hi = cur.fetchone()
    cur.execute(
        """
        INSERT INTO leads_lead (name, company, title, phone, email, source, region, industry,
            notes, status, disqualify_reason, disqualify_note, owner_id, assigned_at,
            sla_due_at, first_contacted_at, converted_customer_id, converted_at, fingerprint,
            created_at, updated_at)
        SELECT
            (%(surnames)s::text[])[1 + floor(random() * %(n_surnames)s)::int]
                || (%(given)s::text[])[1 + floor(random() * %(n_given)s)::int],
            (%(cities)s::text[])[1 + floor(random() * %(n_cities)s)::int]
                || substr(%(brand)s, 1 + floor(random() * %(n_brand)s)::int, 2) || '有限公司',
            '',
            '1' || (30 + floor(random() * 60))::int
                || lpad(floor(random() * 1e8)::int::text, 8, '0'),
            'lead' || g || '@example.cn',
            (ARRAY['website','website','website','referral','exhibition','cold_call',
                   'advertising','partner','social','other'])[1 + floor(random() * 10)::int],
            (%(cities)s::text[])[1 + floor(random() * %(n_cities)s)::int],
            (ARRAY['manufacturing','retail','it','finance','logistics','services'])
                [1 + floor(random() * 6)::int],
            '',
            s.status,
            CASE WHEN s.status = 'disqualified'
                 THEN (ARRAY['no_need','no_budget','competitor','unreachable','invalid'])
                      [1 + floor(random() * 5)::int] ELSE '' END,
            '',
            s.owner_id,
            s.created + interval '30 seconds',
            s.created + interval '24 hours',
            CASE WHEN s.status <> 'new' THEN s.created + random() * interval '20 hours' END,
            CASE WHEN s.status = 'converted'
                 THEN %(lo)s + floor(random() * (%(hi)s - %(lo)s + 1))::bigint END,
            CASE WHEN s.status = 'converted' THEN s.created + interval '10 days' END,
            md5('bench-lead-' || g),
            s.created, s.created
        FROM (
            SELECT g, created,
                CASE WHEN age < interval '3 days' AND u < 0.6 THEN 'new'
                     WHEN u < 0.05 THEN 'new'
                     WHEN u < 0.30 THEN 'contacted'
                     WHEN u < 0.40 THEN 'qualified'
                     WHEN u < 0.55 THEN 'converted'
                     ELSE 'disqualified' END AS status,
                (%(reps)s::bigint[])[1 + (floor(%(n_reps)s * random() ^ 2)::int * 397)
                                         %% %(n_reps)s] AS owner_id
            FROM (
                SELECT g, random() AS u, t AS created, now() - t AS age
                FROM generate_series(1, %(n)s) AS g
                CROSS JOIN LATERAL (
                    SELECT now() - interval '3 years' * (1 - g::float8 / %(n)s)
                           - random() * interval '1 hour' AS t) AS tt
            ) AS r
        ) AS s
        """,
        {
            "n": n,
            "lo": lo,
            "hi": hi,
            "reps": org["reps"],
            "n_reps": len(org["reps"]),
            "surnames": base.SURNAMES,
            "n_surnames": len(base.SURNAMES),
            "given": base.GIVEN,
            "n_given": len(base.GIVEN),
            "cities": base.CITIES,
            "n_cities": len(base.CITIES),
            "brand": base.BRAND_CHARS,
            "n_brand": len(base.BRAND_CHARS) - 1,
        },
    )


def _bulk(tables: tuple[str, ...], seed: float, fn) -> None:
    """`fn(cursor)` as a bulk load into `tables` (common.bulk_load)."""
    with connection.cursor() as cur, common.bulk_load(cur, tables, seed=seed):
        fn(cur)


def compute_scorecards(org: dict) -> int:
    from crm.models import User
    from performance.compute.selectors import run_users
    from performance.compute.services import scorecards_compute
    from performance.periods import Period
    from performance.schemes.services import ensure_default_schemes

    admin = User.objects.get(pk=org["admin"])
    ensure_default_schemes(by=admin)
    users = list(run_users(None).select_related("team", "position"))
    return scorecards_compute(users, Period.containing().previous(), by=admin).computed


def counts() -> dict[str, int]:
    out = {}
    with connection.cursor() as cur:
        for table in COUNTED_TABLES:
            cur.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (a fixed list)
            out[table] = cur.fetchone()[0]
    return out


def generate(name: str) -> dict:
    scale = SCALES[name]
    seconds: dict[str, float] = {}

    def step(label: str, fn, *args) -> object:
        t0 = time.perf_counter()
        result = fn(*args)
        seconds[label] = round(time.perf_counter() - t0, 1)
        print(f"{label}: {seconds[label]:.0f}s", flush=True)
        return result

    step("reset schema", reset_schema)
    step("migrate", call_command, "migrate", "--noinput", "-v0")
    base.REGIONS, base.TEAMS_PER_REGION, base.REPS = (
        scale.regions,
        scale.teams_per_region,
        scale.reps,
    )
    org = step("org", base.build_org)
    step("customers, contacts, activities", base.fill, org, scale.customers, scale.activities)
    step(
        "ownership log",
        _bulk,
        ("customers_ownershipchange",),
        0.31,
        fill_ownership_log,
    )
    step(
        "leads",
        _bulk,
        ("leads_lead",),
        0.37,
        lambda cur: fill_leads(cur, org, scale.leads),
    )
    # On a fresh schema: nothing to empty (their TRUNCATE ... CASCADE would take the
    # activities along).
    step(
        "opportunities",
        lambda: opportunities.fill_opportunities(org, scale.opportunities, truncate=False),
    )
    step(
        "orders, receivables, payments, plans",
        lambda: kpi.fill_kpi_data(org, scale.orders, truncate=False),
    )
    computed = step("scorecards (last month)", compute_scorecards, org)
    with connection.cursor() as cur:
        t0 = time.perf_counter()
        cur.execute("VACUUM ANALYZE")
        seconds["vacuum analyze"] = round(time.perf_counter() - t0, 1)
    meta = {
        "scale": name,
        "parameters": asdict(scale),
        "counts": counts(),
        "scorecards": computed,
        "load_seconds": seconds,
        "total_seconds": round(sum(seconds.values()), 1),
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    with connection.cursor() as cur:
        cur.execute("CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value jsonb)")
        cur.execute(
            "INSERT INTO bench_meta (key, value) VALUES ('dataset', %s) "
            "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            [json.dumps(meta)],
        )
    return meta


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument(
        "--if-needed", action="store_true", help="keep the data when this scale is loaded"
    )
    parser.add_argument(
        "--force", action="store_true", help="replace a database that the generator did not make"
    )
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/generate.py needs PostgreSQL: set DATABASE_URL=postgres://...")
    loaded = dataset()
    if args.if_needed and loaded and loaded.get("scale") == args.scale:
        print(f"generate: scale {args.scale} already loaded ({loaded['generated_at']})")
        return
    tables = connection.introspection.table_names()
    made_elsewhere = loaded is None and "django_migrations" in tables
    if made_elsewhere and not args.force:
        sys.exit(
            f"generate: {connection.settings_dict['NAME']} holds a database that"
            " bench/generate.py did not make; it would be replaced. Use a database of its"
            " own (bench/services.sh), or --force."
        )
    meta = generate(args.scale)
    width = max(len(t) for t in meta["counts"])
    for table, rows in meta["counts"].items():
        print(f"  {table:<{width}} {rows:>12,}")
    print(f"generate: scale {args.scale} in {meta['total_seconds']:.0f}s")


if __name__ == "__main__":
    main()
