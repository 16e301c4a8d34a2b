"""Demo opportunities for `seed_demo`: one or two per demo customer that has an owner, spread
over the stages with a backdated stage history (so the funnel, days per stage, forecast and win
rate show something), a few won and lost, and a quote on some. Codes DEMO-O…; a second run
creates nothing."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from customers.models import Customer
from opportunities import services
from opportunities.models import LostReason, Opportunity, Pipeline, Quote, QuoteLine

NAMES = [
    "年度设备采购项目",
    "生产线自动化升级",
    "ERP 系统实施",
    "仓储物流外包服务",
    "Annual maintenance contract",
    "办公网络改造",
    "新门店装修与设备",
    "Fleet telematics rollout",
    "员工培训服务",
    "数据中心扩容",
]
STEPS = ["Initial contact", "Needs analysis", "Visit", "Proposal", "Negotiation", "Contract"]


def seed(reps, admin, stdout=None) -> int:
    if Opportunity.objects.filter(code__startswith="DEMO-O").exists():
        return 0
    pipeline = Pipeline.objects.filter(name="ToB project sale").first()
    if pipeline is None:
        return 0
    stages = {s.name: s for s in pipeline.stages.all()}
    reasons = list(LostReason.objects.filter(is_active=True))
    rng = random.Random(2026)
    now = timezone.now()
    customers = list(
        Customer.objects.filter(code__startswith="DEMO-", owner__isnull=False)
        .select_related("owner")
        .order_by("code")[:80]
    )
    created = 0
    for i, customer in enumerate(customers):
        for j in range(1 + (i % 3 == 0)):
            created_at = now - dt.timedelta(days=rng.randint(20, 200), hours=rng.randint(0, 9))
            amount = Decimal(rng.choice([8, 15, 30, 45, 60, 120, 250, 480])) * 1000
            opp = services.opportunity_create(
                by=customer.owner,
                customer=customer,
                name=NAMES[(i + j) % len(NAMES)],
                owner=customer.owner,
                stage=stages["Initial contact"],
                created_at=created_at,
                code=f"DEMO-O{i:03d}{j}",
                amount=amount,
                expected_close_on=(now + dt.timedelta(days=rng.randint(-10, 150))).date(),
                next_step=rng.choice(["发送报价", "安排技术交流", "Follow up on budget", ""]),
            )
            created += 1
            at = created_at
            target = rng.randint(0, len(STEPS) - 1)
            for name in STEPS[1 : target + 1]:
                at = min(at + dt.timedelta(days=rng.randint(2, 15)), now)
                services.opportunity_move_stage(
                    opportunity=opp, to_stage=stages[name], by=customer.owner, at=at
                )
            outcome = rng.random()
            if target >= 3 and outcome < 0.35:
                at = min(at + dt.timedelta(days=rng.randint(3, 20)), now)
                services.opportunity_move_stage(
                    opportunity=opp, to_stage=stages["Won"], by=customer.owner, at=at
                )
            elif outcome > 0.85 and reasons:
                at = min(at + dt.timedelta(days=rng.randint(3, 20)), now)
                services.opportunity_move_stage(
                    opportunity=opp,
                    to_stage=stages["Lost"],
                    by=customer.owner,
                    at=at,
                    lost_reason=rng.choice(reasons),
                )
            if target >= 3 and i % 4 == 0:
                _quote(opp, customer.owner, now)
    if stdout is not None:
        stdout.write(f"  opportunities: {created}")
    return created


def _quote(opp: Opportunity, owner, now) -> None:
    quote = Quote.objects.create(
        opportunity=opp,
        title=opp.name,
        issued_on=now.date(),
        valid_until=now.date() + dt.timedelta(days=30),
        tax_rate=Decimal("13.00"),
        terms="1. 价格含运费。\n2. 合同签订后支付 30%，发货前支付 70%。\n3. 报价有效期 30 天。",
        created_by=owner,
    )
    QuoteLine.objects.bulk_create(
        [
            QuoteLine(
                quote=quote,
                position=0,
                description=opp.name,
                quantity=Decimal(1),
                unit_price=opp.amount,
                discount_percent=Decimal("5.00"),
            ),
            QuoteLine(
                quote=quote,
                position=1,
                description="安装调试与培训 Installation and training",
                quantity=Decimal(2),
                unit="天",
                unit_price=Decimal("3000.00"),
            ),
        ]
    )
