"""Demo data for `seed_demo`: a small catalogue, a few orders per rep over the last months in
every status, payment schedules with some payments (some overdue), contracts (one waiting for
its manager's approval) and expenses. Created once (SKUs DEMO-…); later runs create nothing."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from crm.models import User
from customers.models import Customer
from orders import services
from orders.models import Expense, Order, Product
from orders.services.finance import Installment

D = Decimal
PRODUCTS = [
    ("DEMO-PUMP-200", "离心泵 200型 Centrifugal pump 200", "台", "12800.00"),
    ("DEMO-PUMP-350", "离心泵 350型 Centrifugal pump 350", "台", "21500.00"),
    ("DEMO-VALVE-50", "不锈钢球阀 DN50 Stainless ball valve", "个", "368.00"),
    ("DEMO-MOTOR-7", "三相异步电机 7.5kW Induction motor", "台", "4650.00"),
    ("DEMO-SENSOR", "压力传感器 Pressure sensor", "个", "980.00"),
    ("DEMO-PIPE", "无缝钢管 Seamless steel pipe", "米", "86.50"),
    ("DEMO-SERVICE", "安装调试服务 Installation service", "次", "3000.00"),
    ("DEMO-MAINT", "年度维保 Annual maintenance", "年", "18000.00"),
]
# Where the demo orders end up: mostly done, some under way, a few drafts and cancellations.
STATUS_PATH = ["completed", "completed", "delivered", "shipped", "confirmed", "draft", "cancelled"]
MOVES = ["confirmed", "shipped", "delivered", "completed"]
NOTES = [
    "首单，价格按年度框架协议。",
    "Repeat order, delivery to the Suzhou plant.",
    "",
    "加急发货",
]


def seed(*, reps: list[User], admin: User, stdout=None) -> int:
    if Product.objects.filter(sku__startswith="DEMO-").exists():
        return 0
    rng = random.Random(2026)  # the same demo every time
    products = [
        Product.objects.create(sku=sku, name=name, unit=unit, list_price=D(price))
        for sku, name, unit, price in PRODUCTS
    ]
    today = timezone.localdate()
    created = 0
    for n, rep in enumerate(reps):
        customers = list(Customer.objects.filter(owner=rep).order_by("pk")[:3])
        for i, customer in enumerate(customers):
            # By position in the list, not by primary key: the same demo on every database.
            target = STATUS_PATH[(3 * n + i) % len(STATUS_PATH)]
            order_date = today - dt.timedelta(days=rng.randint(5, 170))
            lines = [
                services.LineInput(
                    product=product,
                    quantity=D(rng.choice([1, 2, 3, 5, 10])),
                    # A discount of 0-8 % on most lines, to the cent.
                    unit_price=(
                        product.list_price * D(100 - rng.choice([0, 0, 3, 5, 8])) / 100
                    ).quantize(D("0.01")),
                )
                for product in rng.sample(products, rng.randint(1, 3))
            ]
            order = services.order_create(
                by=rep,
                customer=customer,
                owner=rep,
                order_date=order_date,
                note=rng.choice(NOTES),
                lines=lines,
            )
            created += 1
            _move(order, target, rep)
            if order.status in ("delivered", "completed", "shipped", "confirmed"):
                _collect(order, rep, rng, today)
                if i == 0:
                    _contract(order, rep, today)
        for day in range(3):
            expense = services.expense_create(
                by=rep,
                owner=rep,
                spent_on=today - dt.timedelta(days=rng.randint(1, 60)),
                category=rng.choice(Expense.Category.values),
                amount=D(rng.choice(["268.00", "560.50", "1280.00", "86.00"])),
                note=rng.choice(["上海-杭州 高铁", "客户午餐", "展会门票", "Taxi to the plant"]),
            )
            manager = rep.team.manager if rep.team_id else None
            if day and manager is not None and manager != rep:
                services.expense_decide(
                    expense=expense, by=manager, approve=day == 1, comment="缺少发票 No receipt"
                )
    if stdout is not None:
        stdout.write(f"Orders demo: {len(products)} products, {created} orders.")
    return created


def _move(order: Order, target: str, rep: User) -> None:
    if target == "draft":
        return
    if target == "cancelled":
        services.order_change_status(order=order, to="cancelled", by=rep, note="客户取消")
        return
    for status in MOVES[: MOVES.index(target) + 1]:
        services.order_change_status(order=order, to=status, by=rep)


def _collect(order: Order, rep: User, rng: random.Random, today: dt.date) -> None:
    signed = order.order_date + dt.timedelta(days=7)
    receivables = services.receivables_schedule(
        by=rep,
        order=order,
        installments=[
            Installment(D(30), signed, "签约 On signing"),
            Installment(D(70), order.order_date + dt.timedelta(days=60), "交付 On delivery"),
        ],
    )
    first = receivables[0]
    if first.due_date <= today and rng.random() < 0.8:
        services.payment_record(
            by=rep,
            receivable=first,
            amount=first.amount,
            paid_on=min(today, first.due_date + dt.timedelta(days=rng.randint(0, 10))),
            reference=f"BOC-{order.number}",
        )


def _contract(order: Order, rep: User, today: dt.date) -> None:
    contract = services.contract_create(
        by=rep,
        customer=order.customer,
        owner=rep,
        order=order,
        title=f"供货合同 Supply contract {order.number}",
        amount=order.total,
        start_on=order.order_date,
        end_on=order.order_date + dt.timedelta(days=365),
    )
    services.contract_submit(contract=contract, by=rep)
    contract.refresh_from_db()
    if contract.status == contract.Status.APPROVED:
        services.contract_sign(contract=contract, by=rep, signed_on=order.order_date)
