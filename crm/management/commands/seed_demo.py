"""Build a believable demo company: a head office, three regions, six sales teams, ~20 reps.

Idempotent: running it again finds the same teams and people (by name and username) and
puts them back as described here, so it is safe in `make run` on every start.
"""

from __future__ import annotations

import importlib
import importlib.util
import os

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from crm.models import Position, Team, User

DEMO_MODULES = [
    "leads.demo",
    "opportunities.demo",
    "orders.demo",
    "service.demo",
    "performance.demo",
]

COMPANY = "Hengtai Trading (恒泰贸易)"
# region: (manager, [(team, manager, [reps...])])
ORG = {
    "East China (华东)": (
        ("zhou.min", "周", "敏"),
        [
            (
                "Shanghai (上海)",
                ("chen.jing", "陈", "静"),
                [
                    ("wang.fang", "王", "芳"),
                    ("li.wei", "李", "伟"),
                    ("zhang.lei", "张", "磊"),
                    ("liu.yang", "刘", "洋"),
                ],
            ),
            (
                "Hangzhou (杭州)",
                ("yang.fan", "杨", "帆"),
                [
                    ("huang.li", "黄", "丽"),
                    ("zhao.qiang", "赵", "强"),
                    ("wu.xia", "吴", "霞"),
                ],
            ),
        ],
    ),
    "North China (华北)": (
        ("sun.hao", "孙", "浩"),
        [
            (
                "Beijing (北京)",
                ("ma.lin", "马", "琳"),
                [
                    ("xu.tao", "徐", "涛"),
                    ("hu.jun", "胡", "军"),
                    ("guo.yan", "郭", "燕"),
                    ("he.peng", "何", "鹏"),
                ],
            ),
            (
                "Tianjin (天津)",
                ("lin.na", "林", "娜"),
                [
                    ("gao.bo", "高", "博"),
                    ("luo.hui", "罗", "慧"),
                ],
            ),
        ],
    ),
    "South China (华南)": (
        ("zheng.kai", "郑", "凯"),
        [
            (
                "Guangzhou (广州)",
                ("liang.yu", "梁", "宇"),
                [
                    ("song.mei", "宋", "梅"),
                    ("tang.jie", "唐", "杰"),
                    ("xie.ting", "谢", "婷"),
                ],
            ),
            (
                "Shenzhen (深圳)",
                ("han.xue", "韩", "雪"),
                [
                    ("feng.chao", "冯", "超"),
                    ("deng.qian", "邓", "倩"),
                    ("cao.yi", "曹", "毅"),
                    ("emily.chen", "Chen", "Emily"),
                ],
            ),
        ],
    ),
}
HEAD_OFFICE = [
    # username, last, first, position, is_superuser
    ("admin", "Admin", "Demo", Position.Kind.ADMIN, True),
    ("vp.qian", "钱", "总", Position.Kind.SALES_VP, False),
    ("planner.shi", "石", "静怡", Position.Kind.SALES_PLANNER, False),
    ("hr.jiang", "江", "红", Position.Kind.HR, False),
    ("service.bai", "白", "雪", Position.Kind.CUSTOMER_SERVICE, False),
    ("service.yu", "于", "洁", Position.Kind.CUSTOMER_SERVICE, False),
]


class Command(BaseCommand):
    help = "Create or refresh the demo company (teams, managers, reps) and print the logins."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--password",
            default=os.environ.get("DEMO_PASSWORD", "demo-crm-2026"),
            help="Password for every demo login (default: $DEMO_PASSWORD or demo-crm-2026).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run although DEBUG is off (it resets the demo logins' passwords).",
        )

    @transaction.atomic
    def handle(self, *args, password: str, force: bool = False, **options) -> None:
        if not settings.DEBUG and not force:
            # A production database must not get demo people with a published password.
            raise CommandError(
                "seed_demo creates logins with a known password: it runs only with DEBUG=true "
                "(as `make run` sets it) or with --force."
            )
        positions = {p.kind: p for p in Position.objects.all()}
        password_hash = make_password(password)  # hashed once, not once per person
        verified: dict[str, bool] = {}  # stored hash -> matches `password` (checking is slow)

        def has_password(user: User) -> bool:
            if user.password not in verified:
                verified[user.password] = user.check_password(password)
            return verified[user.password]

        def person(username, last, first, kind, team, *, superuser=False) -> User:
            user = User.objects.filter(username=username).first() or User(username=username)
            wanted = {
                "last_name": last,
                "first_name": first,
                "email": f"{username}@demo.example.com",
                "position_id": positions[kind].pk,
                "team_id": team.pk,
                "is_active": True,
                "is_staff": superuser,
                "is_superuser": superuser,
            }
            changed = [f for f, v in wanted.items() if getattr(user, f) != v]
            if user.pk is None or changed or not has_password(user):
                for field, value in wanted.items():
                    setattr(user, field, value)
                user.password = password_hash
                user.save()  # only on change: re-seeding adds no history rows
            return user

        def team(name, kind, parent) -> Team:
            node = Team.objects.filter(name=name, parent=parent).first() or Team(
                name=name, parent=parent
            )
            if node.pk is None or (node.kind, node.is_active) != (kind, True):
                node.kind, node.is_active = kind, True
                node.save()
            return node

        def manage(node: Team, manager: User) -> None:
            if node.manager_id != manager.pk:
                node.manager = manager
                node.save()

        company = team(COMPANY, Team.Kind.COMPANY, None)
        head = [
            person(u, last, first, kind, company, superuser=su)
            for u, last, first, kind, su in HEAD_OFFICE
        ]
        manage(company, head[1])  # the VP runs sales

        reps = 0
        rep_users = []
        for region_name, ((r_user, r_last, r_first), teams) in ORG.items():
            region = team(region_name, Team.Kind.REGION, company)
            kind = Position.Kind.REGIONAL_MANAGER
            manage(region, person(r_user, r_last, r_first, kind, region))
            for team_name, (m_user, m_last, m_first), members in teams:
                sales_team = team(team_name, Team.Kind.TEAM, region)
                manage(sales_team, person(m_user, m_last, m_first, kind, sales_team))
                for username, last, first in members:
                    rep_users.append(
                        person(username, last, first, Position.Kind.SALES_REP, sales_team)
                    )
                    reps += 1

        from customers.demo import seed_customers

        customers = seed_customers(reps=rep_users, admin=head[0])
        # Each later app seeds its own records on top (a module `<app>.demo` with
        # `seed(reps, admin, stdout)`), in this order: opportunities before the orders that win
        # them, orders before the care rules that follow deliveries.
        for module_name in DEMO_MODULES:
            if importlib.util.find_spec(module_name) is not None:
                importlib.import_module(module_name).seed(
                    reps=rep_users, admin=head[0], stdout=self.stdout
                )

        self.stdout.write(
            self.style.SUCCESS(
                f"Demo company ready: {Team.objects.count()} teams, {reps} reps"
                + (f", {customers} customers." if customers else ".")
            )
        )
        self.stdout.write(
            f"Logins (password for all: {password}):\n"
            "  admin        administrator (everything, Django admin)\n"
            "  vp.qian      sales VP (sees the whole company)\n"
            "  zhou.min     regional manager, East China\n"
            "  chen.jing    team manager, Shanghai\n"
            "  wang.fang    sales rep, Shanghai\n"
            "  planner.shi / hr.jiang / service.bai   planning, HR, customer service"
        )
