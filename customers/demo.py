"""Demo customers for `seed_demo`: a few per rep, some in the public pool, with contacts and a
history of follow-ups, plus default pool rules. Created once (codes DEMO-…); later runs skip."""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from crm.models import User
from customers import services
from customers.models import Activity, Contact, Customer, PoolRule, PoolSettings

COMPANIES = [
    ("上海明辉机械有限公司", "manufacturing"),
    ("杭州云启科技有限公司", "it"),
    ("北京华信物流有限公司", "logistics"),
    ("天津海港建材有限公司", "construction"),
    ("广州南方医疗器械有限公司", "healthcare"),
    ("深圳创新电子有限公司", "it"),
    ("苏州恒远纺织有限公司", "manufacturing"),
    ("宁波东海贸易有限公司", "retail"),
    ("Pacific Rim Foods Ltd", "retail"),
    ("Northwind Energy Co.", "energy"),
    ("青岛蓝海食品有限公司", "retail"),
    ("成都天府教育集团", "education"),
    ("武汉长江能源有限公司", "energy"),
    ("南京金陵银行支行", "finance"),
    ("Harbour Bridge Consulting", "services"),
    ("厦门鹭岛旅游服务有限公司", "services"),
]
PEOPLE = ["王建国", "李秀英", "张伟", "刘洋", "陈静", "杨帆", "赵敏", "黄磊", "周杰", "吴婷"]
TITLES = ["采购经理", "总经理", "技术总监", "财务主管", "Purchasing manager", "CEO"]
SUMMARIES = [
    "电话沟通了年度采购计划，客户对新产品线感兴趣。",
    "上门拜访，演示了产品，约定下周发送报价。",
    "Discussed delivery schedule and payment terms.",
    "客户暂时没有预算，三个月后再联系。",
    "Sent the updated price list by email.",
    "微信确认了样品已收到，反馈良好。",
]


def seed_customers(*, reps: list[User], admin: User) -> int:
    if Customer.objects.filter(code__startswith="DEMO-").exists():
        return 0
    rng = random.Random(2026)  # the same demo every time
    now = timezone.now()
    PoolSettings.current()
    if not PoolRule.objects.exists():
        PoolRule.objects.create(
            name="No follow-up for 30 days (level C)",
            level=Customer.Level.C,
            trigger=PoolRule.Trigger.NO_ACTIVITY,
            days=30,
            warn_days=7,
        )
        PoolRule.objects.create(
            name="No follow-up for 30 days (level D)",
            level=Customer.Level.D,
            trigger=PoolRule.Trigger.NO_ACTIVITY,
            days=30,
            warn_days=7,
        )
    created = 0
    owners: list[User | None] = [*reps, *reps, None, None, None, None]
    for i in range(96):
        base, industry = COMPANIES[i % len(COMPANIES)]
        owner = owners[i % len(owners)]
        is_person = i % 7 == 6
        name = f"{PEOPLE[i % len(PEOPLE)]}" if is_person else base
        if i >= len(COMPANIES):
            name = f"{name} ({i // len(COMPANIES) + 1})"
        created_at = now - dt.timedelta(days=rng.randint(40, 400))
        customer = services.customer_create(
            by=admin,
            owner=owner,
            code=f"DEMO-{i + 1:04d}",
            name=name,
            kind=Customer.Kind.PERSON if is_person else Customer.Kind.COMPANY,
            industry="" if is_person else industry,
            scale="" if is_person else rng.choice(Customer.Scale.values),
            source=rng.choice(Customer.Source.values),
            level=rng.choice("AABBBCCCCD"),
            status=rng.choice(["potential", "active", "active", "active", "dormant"]),
            phone=f"1{rng.randint(3, 9)}{rng.randint(100000000, 999999999)}",
            email=f"contact{i + 1}@example.cn" if rng.random() < 0.7 else "",
            address=rng.choice(["", "上海市浦东新区张江路 88 号", "北京市朝阳区建国路 1 号"]),
            website="" if is_person or rng.random() < 0.4 else f"https://www.demo{i + 1}.cn",
            business_status=rng.choice(["", "稳定增长", "扩张中"]),
            competitors=rng.choice(["", "华腾", "远大"]),
            created_at=created_at,
        )
        if not is_person:
            for n in range(rng.randint(0, 2)):
                Contact.objects.create(
                    customer=customer,
                    name=PEOPLE[(i + n * 3) % len(PEOPLE)],
                    title=rng.choice(TITLES),
                    phone=f"139{rng.randint(10000000, 99999999)}",
                    is_primary=n == 0,
                )
            services.completeness_refresh(customer)
        if owner is not None:
            # Owned for 5-28 days: the 30-day rule warns about some (My follow-ups) rather than
            # emptying the demo books on the first night.
            owned_since = now - dt.timedelta(days=rng.randint(5, 28))
            Customer.objects.filter(pk=customer.pk).update(owned_since=owned_since)
            for _ in range(rng.randint(0, 5)):
                when = now - dt.timedelta(days=rng.randint(0, 60), hours=rng.randint(0, 9))
                due = (now + dt.timedelta(days=rng.randint(-3, 10))).date()
                services.activity_log(
                    customer=customer,
                    by=owner,
                    kind=rng.choice(Activity.Kind.values),
                    outcome=rng.choice(["success", "success", "no_answer", "rejected", "other"]),
                    summary=rng.choice(SUMMARIES),
                    occurred_at=when,
                    next_follow_up_on=due if due >= now.date() or rng.random() < 0.5 else None,
                )
        created += 1
    return created
