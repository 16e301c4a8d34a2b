"""Customer list and search at company scale, on PostgreSQL.

    DATABASE_URL=postgres://... .venv/bin/python bench/customers.py \
        --customers 1000000 --activities 5000000 [--reuse]

1. migrates; 2. builds an org (company > 10 regions > 100 teams, 1,000 reps, a manager per team
and per region); 3. fills customers, contacts and activities with INSERT ... SELECT FROM
generate_series (skewed ownership, ~5 % in the public pool, Chinese and English names), then
ANALYZE; 4. times the real customer list view through django.test.Client for a rep, a team
manager, a regional manager and an admin (N runs after warm-ups: median, p95, SQL queries), and
the Django admin changelist as a reference; 5. saves EXPLAIN (ANALYZE, BUFFERS) of the slowest
queries; 6. writes bench/results/<date>-customers-<N>.json and prints a table.

--reuse keeps the data already in the database (same --customers) and only measures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import common  # sets Django up: before the Django imports
from common import BASE_DIR, RESULTS_DIR, machine, measure
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from crm.models import Position, Team, User
from customers import selectors

COMPANY = "Bench Co"
REGIONS = 10
TEAMS_PER_REGION = 10
REPS = 1000
POOL_SHARE = 0.05
TABLES = ("customers_customer", "customers_contact", "customers_activity")


def _words(text: str) -> list[str]:
    return text.split()


# Name parts. Chinese company names are city + 2-character brand + trade + form, written without
# spaces, so a search for a brand or "brand + trade" is a substring search that pg_trgm serves.
CITIES = _words("上海 北京 深圳 广州 杭州 南京 苏州 成都 重庆 武汉 天津 西安")
CITIES += _words("青岛 宁波 厦门 长沙 郑州 合肥 福州 昆明")
BRAND_CHARS = (
    "恒泰华信达通宏远安盛鑫源隆兴创新博嘉瑞丰永明德金天海中联东方正佳美诚汇科腾飞云祥和"
    "顺昌聚宝利伟业星辰光大鼎富康宇辉凯旭润泽峰泓晟锦"
)
TRADES_ZH = _words("科技 贸易 实业 物流 电子 机械 建设 医药 食品")
TRADES_ZH += _words("服饰 网络 信息 能源 文化 教育 咨询 化工 汽车")
FORMS_ZH = ["有限公司", "股份有限公司", "集团有限公司", "商贸行"]
WORDS_EN = _words(
    "Acme Apex Blue Bright Cedar Delta Eagle Evergreen Falcon Global Golden Harbor Horizon "
    "Lotus Maple Meridian Nova Oak Orient Pacific Pioneer Prime Silver Summit Sun Vertex"
)
TRADES_EN = _words(
    "Technology Trading Logistics Electronics Machinery Foods Textiles Software Medical Energy "
    "Consulting Motors"
)
FORMS_EN = ["Ltd", "Co., Ltd", "Group", "Inc", "LLC"]
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国玉兰志文红梅海燕晓东新宇浩然子涵")
FIRST_EN = _words("James Mary John Linda David Susan Michael Karen Peter Laura Daniel Emma Tom")
LAST_EN = _words("Smith Brown Wilson Taylor Lee Walker Hall Young King Wright Green Baker Hill")


# --- Data ------------------------------------------------------------------------------------


def build_org() -> dict:
    """Company > regions > teams through Team.save() (it maintains `path`); users in bulk."""
    company = Team.objects.filter(name=COMPANY, parent=None).first()
    if company is not None:
        print("org: reusing", COMPANY)
        return org_ids(company)
    positions = {p.kind: p for p in Position.objects.all()}
    rep_pos = positions[Position.Kind.SALES_REP]
    mgr_pos = positions[Position.Kind.REGIONAL_MANAGER]
    password = make_password("bench-password")
    with transaction.atomic():
        company = Team(name=COMPANY, kind=Team.Kind.COMPANY)
        company.save()
        regions, teams = [], []
        for r in range(REGIONS):
            region = Team(name=f"Region {r:02d}", kind=Team.Kind.REGION, parent=company)
            region.save()
            regions.append(region)
            for t in range(TEAMS_PER_REGION):
                team = Team(name=f"Team {r:02d}-{t:02d}", kind=Team.Kind.TEAM, parent=region)
                team.save()
                teams.append(team)
        users = [
            User(
                username="bench-admin",
                password=password,
                is_staff=True,
                is_superuser=True,
                team=company,
                position=positions[Position.Kind.ADMIN],
            )
        ]
        for i, region in enumerate(regions):
            users.append(
                User(
                    username=f"bench-rm{i:02d}",
                    password=password,
                    last_name=SURNAMES[i % len(SURNAMES)],
                    first_name="总",
                    team=region,
                    position=mgr_pos,
                )
            )
        for i, team in enumerate(teams):
            users.append(
                User(
                    username=f"bench-tm{i:03d}",
                    password=password,
                    last_name=SURNAMES[(i * 7) % len(SURNAMES)],
                    first_name="经理",
                    team=team,
                    position=mgr_pos,
                )
            )
        for i in range(REPS):
            users.append(
                User(
                    username=f"bench-rep{i:04d}",
                    password=password,
                    last_name=SURNAMES[i % len(SURNAMES)],
                    first_name=GIVEN[(i * 13) % len(GIVEN)] + GIVEN[(i * 7) % len(GIVEN)],
                    team=teams[i % len(teams)],
                    position=rep_pos,
                )
            )
        User.objects.bulk_create(users, batch_size=1000)
        by_name = {u.username: u for u in User.objects.filter(username__startswith="bench-")}
        for i, region in enumerate(regions):
            region.manager = by_name[f"bench-rm{i:02d}"]
            region.save(update_fields=["manager"])
        for i, team in enumerate(teams):
            team.manager = by_name[f"bench-tm{i:03d}"]
            team.save(update_fields=["manager"])
        company.manager = by_name["bench-admin"]
        company.save(update_fields=["manager"])
    print(f"org: 1 company, {len(regions)} regions, {len(teams)} teams, {len(users)} users")
    return org_ids(company)


def org_ids(company: Team) -> dict:
    reps = list(
        User.objects.filter(username__startswith="bench-rep")
        .order_by("username")
        .values_list("pk", flat=True)
    )
    admin = User.objects.get(username="bench-admin")
    return {"company": company.pk, "reps": reps, "admin": admin.pk}


def fill(org: dict, customers: int, activities: int) -> None:
    """Customers, contacts and activities in three INSERT ... SELECT statements.

    The plain indexes are dropped during the load and rebuilt after it (much faster than
    maintaining 30 indexes, two of them GIN, row by row); FK triggers are skipped via
    session_replication_role, the data being consistent by construction.
    """
    with connection.cursor() as cur:
        cur.execute("TRUNCATE " + ", ".join(TABLES) + " RESTART IDENTITY CASCADE")
        with common.bulk_load(cur, TABLES, seed=0.42):
            t0 = time.perf_counter()
            _fill_customers(cur, org, customers)
            print(f"customers: {customers:,} in {time.perf_counter() - t0:.0f}s")
            t0 = time.perf_counter()
            _fill_contacts(cur)
            cur.execute("SELECT count(*) FROM customers_contact")
            print(f"contacts: {cur.fetchone()[0]:,} in {time.perf_counter() - t0:.0f}s")
            t0 = time.perf_counter()
            _fill_activities(cur, org, activities)
            print(f"activities: {activities:,} in {time.perf_counter() - t0:.0f}s")
        t0 = time.perf_counter()
        cur.execute("VACUUM ANALYZE")
        print(f"vacuum analyze: {time.perf_counter() - t0:.0f}s")


def _fill_customers(cur, org: dict, n: int) -> None:
    # Ownership: 5 % in the pool; the rest to rep number floor(1000 * u^2), scattered over the
    # teams (x 397 mod 1000): the busiest rep owns ~3 %, the median one a few hundred.
    cur.execute(
        """
        INSERT INTO customers_customer (
            code, name, kind, industry, scale, source, level, status, region, address, phone,
            email, website, wechat, qq, business_status, competitors, notes, language,
            is_locked, owned_since, last_contacted_at, next_follow_up_on, pool_entered_at,
            has_open_opportunities, completeness, segment, rfm_score, orders_12m, revenue_12m,
            created_at, updated_at, owner_id, created_by_id)
        SELECT
            'B' || lpad(upper(to_hex(g)), 8, '0'),
            CASE WHEN u_lang < 0.7 THEN
                (%(cities)s::text[])[1 + floor(random() * %(n_cities)s)::int]
                || substr(%(brand)s, 1 + floor(random() * %(n_brand)s)::int, 1)
                || substr(%(brand)s, 1 + floor(random() * %(n_brand)s)::int, 1)
                || (%(trades_zh)s::text[])[1 + floor(random() * %(n_trades_zh)s)::int]
                || (%(forms_zh)s::text[])[1 + floor(random() * %(n_forms_zh)s)::int]
            ELSE
                (%(words_en)s::text[])[1 + floor(random() * %(n_words_en)s)::int] || ' '
                || (%(words_en)s::text[])[1 + floor(random() * %(n_words_en)s)::int] || ' '
                || (%(trades_en)s::text[])[1 + floor(random() * %(n_trades_en)s)::int] || ' '
                || (%(forms_en)s::text[])[1 + floor(random() * %(n_forms_en)s)::int]
            END,
            CASE WHEN random() < 0.85 THEN 'company' ELSE 'person' END,
            (ARRAY['manufacturing','retail','it','finance','construction','education',
                   'healthcare','logistics','energy','government','services','other',''])
                [1 + floor(random() * 13)::int],
            (ARRAY['micro','small','medium','large','enterprise',''])[1 + floor(random() * 6)::int],
            (ARRAY['website','referral','exhibition','cold_call','advertising','partner',
                   'social','lead','other',''])[1 + floor(random() * 10)::int],
            CASE WHEN u_level < 0.05 THEN 'A' WHEN u_level < 0.25 THEN 'B'
                 WHEN u_level < 0.75 THEN 'C' ELSE 'D' END,
            (ARRAY['potential','potential','active','active','active','dormant','lost'])
                [1 + floor(random() * 7)::int],
            '', '',
            '1' || (30 + floor(random() * 60))::int
                || lpad(floor(random() * 1e8)::int::text, 8, '0'),
            '', '', '', '', '', '', '',
            CASE WHEN u_lang < 0.7 THEN 'zh-hans' ELSE 'en' END,
            random() < 0.02,
            CASE WHEN owner_id IS NOT NULL THEN created END,
            CASE WHEN random() < 0.9 THEN now() - random() * interval '3 years' END,
            CASE WHEN random() < 0.3 THEN current_date + floor(random() * 80 - 20)::int END,
            CASE WHEN owner_id IS NULL THEN now() - random() * interval '1 year' END,
            random() < 0.15,
            floor(random() * 101)::int,
            (ARRAY['champion','loyal','big_spender','new','promising','at_risk','hibernating',
                   'lost','prospect','prospect','prospect'])[1 + floor(random() * 11)::int],
            '', 0, 0,
            created, created, owner_id, owner_id
        FROM (
            SELECT g, random() AS u_lang, random() AS u_level,
                   timestamptz '2021-01-01'
                       + (now() - timestamptz '2021-01-01') * (g::float8 / %(n)s)
                       - random() * interval '1 day' AS created,
                   CASE WHEN random() < %(pool)s THEN NULL
                        ELSE (%(reps)s::bigint[])[
                            1 + (floor(%(n_reps)s * random() ^ 2)::int * 397) %% %(n_reps)s]
                   END AS owner_id
            FROM generate_series(1, %(n)s) AS g
        ) AS s
        """,
        {
            "n": n,
            "pool": POOL_SHARE,
            "reps": org["reps"],
            "n_reps": len(org["reps"]),
            "cities": CITIES,
            "n_cities": len(CITIES),
            "brand": BRAND_CHARS,
            "n_brand": len(BRAND_CHARS),
            "trades_zh": TRADES_ZH,
            "n_trades_zh": len(TRADES_ZH),
            "forms_zh": FORMS_ZH,
            "n_forms_zh": len(FORMS_ZH),
            "words_en": WORDS_EN,
            "n_words_en": len(WORDS_EN),
            "trades_en": TRADES_EN,
            "n_trades_en": len(TRADES_EN),
            "forms_en": FORMS_EN,
            "n_forms_en": len(FORMS_EN),
        },
    )


def _fill_contacts(cur) -> None:
    # 0-4 contacts per customer (2 on average), the first one primary.
    cur.execute(
        """
        INSERT INTO customers_contact (
            customer_id, name, title, phone, email, wechat, is_primary, notes, created_at)
        SELECT c.id,
            CASE WHEN c.language = 'zh-hans' OR random() < 0.3 THEN
                (%(surnames)s::text[])[1 + floor(random() * %(n_surnames)s)::int]
                || (%(given)s::text[])[1 + floor(random() * %(n_given)s)::int]
                || CASE WHEN random() < 0.6
                        THEN (%(given)s::text[])[1 + floor(random() * %(n_given)s)::int] ELSE '' END
            ELSE
                (%(first_en)s::text[])[1 + floor(random() * %(n_first_en)s)::int] || ' '
                || (%(last_en)s::text[])[1 + floor(random() * %(n_last_en)s)::int]
            END,
            (ARRAY['', '经理', '总监', 'Purchasing', 'CEO', '采购'])[1 + floor(random() * 6)::int],
            '1' || (30 + floor(random() * 60))::int
                || lpad(floor(random() * 1e8)::int::text, 8, '0'),
            '', '', k = 1, '', c.created_at
        FROM customers_customer AS c
        CROSS JOIN LATERAL generate_series(1, floor(random() * 5 + c.id * 0)::int) AS k
        """,
        {
            "surnames": SURNAMES,
            "n_surnames": len(SURNAMES),
            "given": GIVEN,
            "n_given": len(GIVEN),
            "first_en": FIRST_EN,
            "n_first_en": len(FIRST_EN),
            "last_en": LAST_EN,
            "n_last_en": len(LAST_EN),
        },
    )


def _fill_activities(cur, org: dict, n: int) -> None:
    # Customers drawn uniformly; by the customer's owner, or a random rep for pool customers.
    cur.execute("SELECT min(id), max(id) FROM customers_customer")
    lo, hi = cur.fetchone()
    cur.execute(
        """
        INSERT INTO customers_activity (
            customer_id, contact_id, owner_id, kind, outcome, occurred_at, summary,
            next_follow_up_on, created_at)
        SELECT c.id, p.id,
            coalesce(c.owner_id, (%(reps)s::bigint[])[1 + floor(random() * %(n_reps)s)::int]),
            (ARRAY['call','call','call','visit','meeting','email','wechat','wechat','qq','sms'])
                [1 + floor(random() * 10)::int],
            (ARRAY['success','success','no_answer','rejected','other'])
                [1 + floor(random() * 5)::int],
            s.at,
            (ARRAY['电话沟通报价，客户考虑中', '上门拜访，演示新产品', 'Discussed renewal terms',
                   '发送资料和合同草稿', 'Followed up on the quotation', '微信确认交货时间'])
                [1 + floor(random() * 6)::int],
            CASE WHEN random() < 0.3 THEN (s.at + interval '7 days')::date END,
            s.at
        FROM (
            SELECT %(lo)s + floor(random() * (%(hi)s - %(lo)s + 1))::bigint AS cid,
                   now() - random() * interval '3 years' AS at
            FROM generate_series(1, %(n)s)
        ) AS s
        JOIN customers_customer AS c ON c.id = s.cid
        LEFT JOIN customers_contact AS p ON p.customer_id = c.id AND p.is_primary
        """,
        {"n": n, "lo": lo, "hi": hi, "reps": org["reps"], "n_reps": len(org["reps"])},
    )


# --- Measurement -----------------------------------------------------------------------------


def personas(org: dict) -> dict[str, User]:
    """The busiest rep, the manager of their team, the manager of their region and the admin:
    one chain, so every search term below is visible to all four."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT owner_id FROM customers_customer WHERE owner_id IS NOT NULL "
            "GROUP BY owner_id ORDER BY count(*) DESC LIMIT 1"
        )
        rep = User.objects.select_related("team__parent").get(pk=cur.fetchone()[0])
    return {
        "rep": rep,
        "team_manager": rep.team.manager,
        "regional_manager": rep.team.parent.manager,
        "admin": User.objects.get(pk=org["admin"]),
    }


def search_terms(rep: User) -> dict[str, str]:
    with connection.cursor() as cur:
        # "brand + trade" of one of the rep's Chinese-named customers, e.g. 恒泰科技.
        cur.execute(
            "SELECT substr(name, 3, 4), substr(name, 3, 2) FROM customers_customer "
            "WHERE owner_id = %s AND language = 'zh-hans' ORDER BY id LIMIT 1",
            [rep.pk],
        )
        name4, name2 = cur.fetchone()
        # The full name of a contact of one of the rep's customers (3 characters: 王建国).
        cur.execute(
            "SELECT ct.name FROM customers_contact ct JOIN customers_customer c "
            "ON c.id = ct.customer_id WHERE c.owner_id = %s AND char_length(ct.name) = 3 "
            "ORDER BY ct.id LIMIT 1",
            [rep.pk],
        )
        contact = cur.fetchone()[0]
    return {"name": name4, "name_short": name2, "contact": contact}


def cases(rep: User, terms: dict[str, str]) -> list[tuple[str, dict]]:
    return [
        ("default", {}),
        ("search_name", {"q": terms["name"]}),
        ("filter_owner_level", {"owner": rep.pk, "level": "B"}),
        ("sort_last_contacted", {"ordering": "-last_contacted_at"}),
        ("search_contact", {"q": terms["contact"]}),
        ("page_50", {"page": 50}),
        # Two characters give pg_trgm no trigram to look up (see docs/performance.md).
        ("search_name_2_chars", {"q": terms["name_short"]}),
    ]


def matches(viewer: User, params: dict) -> int:
    """Rows the filter matches for `viewer`, capped like the page (10,001 means "10,000+")."""
    data = {k: str(v) for k, v in params.items() if k not in ("page", "ordering")}
    from django.http import QueryDict

    qd = QueryDict(mutable=True)
    qd.update(data)
    return selectors.customer_list(viewer=viewer, data=qd).qs[:10_001].count()


def run_benchmark(*, runs: int, warmups: int, org: dict) -> dict:
    people = personas(org)
    terms = search_terms(people["rep"])
    print("personas:", {k: v.username for k, v in people.items()}, "terms:", terms)
    list_url = reverse("customers:customer-list")
    results: list[dict] = []
    with common.production_client():
        for persona, user in people.items():
            client = Client()
            client.force_login(user)
            for case, params in cases(people["rep"], terms):
                url = f"{list_url}?{urlencode(params)}" if params else list_url
                row = {"persona": persona, "case": case, "params": params}
                row.update(measure(client, url, runs=runs, warmups=warmups))
                if "error" not in row:
                    row["matches"] = matches(user, params)
                results.append(row)
                print(_line(row), flush=True)
        client = Client()
        client.force_login(people["admin"])
        admin_url = reverse("admin:customers_customer_changelist")
        for case, params in [
            ("admin_changelist", {}),
            ("admin_search_name", {"q": terms["name"]}),
        ]:
            url = f"{admin_url}?{urlencode(params)}" if params else admin_url
            row = {"persona": "admin (Django admin)", "case": case, "params": params}
            row.update(measure(client, url, runs=runs, warmups=warmups))
            results.append(row)
            print(_line(row), flush=True)
    return {"personas": {k: v.username for k, v in people.items()}, "terms": terms, "rows": results}


def save_plans(result: dict, path: Path, *, slowest: int) -> None:
    rows = [r for r in result["rows"] if "median_ms" in r]
    rows.sort(key=lambda r: r["median_ms"], reverse=True)
    chosen = [r for r in rows if r["median_ms"] > 300] or rows[:slowest]
    chosen = chosen if len(chosen) >= slowest else rows[:slowest]
    common.write_plans(chosen, path, title=lambda r: f"{r['persona']} / {r['case']}")


def _line(row: dict) -> str:
    if "error" in row:
        return f"{row['persona']:<22} {row['case']:<22} ERROR {row['error']}"
    return (
        f"{row['persona']:<22} {row['case']:<22} {row['median_ms']:>8.1f} {row['p95_ms']:>8.1f}"
        f" {row['sql_median_ms']:>8.1f} {row['queries']:>4}{'' if row['queries_fixed'] else '*'}"
        f" {row.get('matches', ''):>7}"
    )


def table_sizes() -> dict:
    with connection.cursor() as cur:
        out = {}
        for table in TABLES:
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
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--activities", type=int, default=5_000_000)
    parser.add_argument("--reuse", action="store_true", help="keep the data already loaded")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmups", type=int, default=3)
    parser.add_argument("--no-measure", action="store_true", help="only load the data")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/customers.py needs PostgreSQL: set DATABASE_URL=postgres://...")

    call_command("migrate", verbosity=0)
    org = build_org()
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM customers_customer")
        existing = cur.fetchone()[0]
    if args.reuse and existing:
        print(f"data: reusing {existing:,} customers")
    else:
        t0 = time.perf_counter()
        fill(org, args.customers, args.activities)
        print(f"data: loaded in {time.perf_counter() - t0:.0f}s")
    if args.no_measure:
        return

    result = run_benchmark(runs=args.runs, warmups=args.warmups, org=org)
    today = dt.date.today().isoformat()  # noqa: DTZ011 (the file name is the local date)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stem = f"{today}-customers-{args.customers}"
    plans = RESULTS_DIR / f"{stem}-plans.txt"
    save_plans(result, plans, slowest=4)
    report = {
        "date": today,
        "command": " ".join(["bench/customers.py", *sys.argv[1:]]),
        "customers": args.customers,
        "activities": args.activities,
        "runs": args.runs,
        "warmups": args.warmups,
        "machine": machine(),
        "tables": table_sizes(),
        "plans": str(plans.relative_to(BASE_DIR)),
        **result,
    }
    out = RESULTS_DIR / f"{stem}.json"
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2))
    head = ("persona", "case", "median", "p95", "SQL ms", "SQL", "matches")
    print("\n{:<22} {:<22} {:>8} {:>8} {:>8} {:>4} {:>7}".format(*head))
    for row in result["rows"]:
        print(_line(row))
    print("results:", out.relative_to(BASE_DIR))


if __name__ == "__main__":
    main()
