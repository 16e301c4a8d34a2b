"""The `receivables`, `payments` and `expenses` kinds."""

from __future__ import annotations

import copy
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from crm.interchange import (
    CREATE,
    UNCHANGED,
    UPDATE,
    ChoiceColumn,
    Column,
    DateColumn,
    DecimalColumn,
    Row,
    register,
)
from crm.templatetags.money import format_money
from orders.importers.base import OrdersImporter
from orders.importers.catalogue import _history
from orders.models import COUNTED_STATUSES, Expense, Payment, Receivable
from orders.models.orders import money

ZERO = Decimal("0.00")

# Chinese spellings accepted whatever the translations installed.
METHOD_WORDS = {"银行转账": "bank_transfer", "转账": "bank_transfer", "电汇": "bank_transfer",
                "现金": "cash", "支票": "cheque", "支付宝": "alipay", "微信支付": "wechat_pay",
                "微信": "wechat_pay", "承兑汇票": "acceptance", "银行承兑汇票": "acceptance",
                "其他": "other"}  # fmt: skip
CATEGORY_WORDS = {"差旅": "travel", "差旅费": "travel", "住宿": "accommodation",
                  "住宿费": "accommodation", "招待": "meals", "业务招待": "meals",
                  "餐饮": "meals", "礼品": "gifts", "交通": "transport", "市内交通": "transport",
                  "通讯": "communication", "通讯费": "communication", "市场": "marketing",
                  "会展": "marketing", "其他": "other"}  # fmt: skip


def _positive_money(row: Row, column: str) -> None:
    value = row.get(column)
    if value in ("", None):
        return
    if value <= 0:
        row.error(column, _("The amount must be more than zero."))
    elif value != money(value):
        row.error(column, _("Give the amount to the cent."))


@register
class ReceivableImporter(OrdersImporter):
    kind = "receivables"
    label = gettext_lazy("receivables")
    model = Receivable
    key = ("code",)
    columns = (
        Column("code", ("应收编号", "编号"), required=True, blank=False, example="AR2501A1B2C3"),
        Column("order", ("订单编号", "订单号", "订单"), required=True, blank=False,
               example="SO2501A1B2C3"),
        DecimalColumn("amount", ("金额", "应收金额"), required=True, blank=False,
                      example="30000.00"),
        DateColumn("due_date", ("到期日", "应收日期", "到期日期"), required=True, blank=False,
                   example="2025-04-30"),
    )  # fmt: skip

    def prepare(self, rows: list[Row]) -> None:
        self.orders = self.editable_orders([row.get("order") for row in rows])
        codes = [row.get("code") for row in rows]
        self.mine = self.editable_receivables(codes)
        others = [c for c in codes if c and c not in self.mine]
        self.taken = set(Receivable.objects.filter(code__in=others).values_list("code", flat=True))
        # What each order of the file already has scheduled, less the receivables the file
        # restates (their amounts are counted again from their rows): no order is billed more
        # than its total.
        self.scheduled: dict[int, Decimal] = defaultdict(Decimal)
        ids = sorted(o.pk for o in self.orders.values())
        for batch in self.batches(ids):
            for order_id, amount in (
                Receivable.objects.filter(order_id__in=batch)
                .exclude(code__in=list(self.mine))
                .order_by()
                .values("order_id")
                .annotate(s=Sum("amount"))
                .values_list("order_id", "s")
            ):
                self.scheduled[order_id] = amount
        self.to_create: list[Receivable] = []
        self.to_update: list[Receivable] = []

    def check(self, row: Row) -> str:
        if row.get("code") in self.taken:
            row.error("code", _("This code is taken by a receivable you cannot change."))
        order = self.orders.get(row.get("order"))
        if order is None:
            self.unknown(row, "order", _("order"))
        _positive_money(row, "amount")
        if order is not None and order.status not in COUNTED_STATUSES:
            row.error(
                "order",
                _("Receivables are created for confirmed orders only (%(status)s).")
                % {"status": order.get_status_display()},
            )
        if row.errors:
            return UNCHANGED
        self.scheduled[order.pk] += row.get("amount")
        if self.scheduled[order.pk] > order.total:
            row.error(
                "amount",
                _("The receivables of order %(number)s would add up to %(sum)s, more than its "
                  "total of %(total)s.")
                % {"number": order.number, "sum": format_money(self.scheduled[order.pk]),
                   "total": format_money(order.total)},
            )  # fmt: skip
            return UNCHANGED
        current = self.mine.get(row.get("code"))
        receivable = Receivable(code=row.get("code")) if current is None else copy.copy(current)
        receivable.order = order
        receivable.customer_id, receivable.owner_id = order.customer_id, order.owner_id
        receivable.amount, receivable.due_date = row.get("amount"), row.get("due_date")
        if current is not None and receivable.amount < current.paid_amount:
            row.error(
                "amount",
                _("Less than the %(paid)s already paid.")
                % {"paid": format_money(current.paid_amount)},
            )
            return UNCHANGED
        receivable.status = Receivable.status_for(receivable.amount, receivable.paid_amount)
        self.clean_fields(receivable, row)
        if row.errors:
            return UNCHANGED
        if current is None:
            self.to_create.append(receivable)
            return CREATE
        fields = ("order_id", "amount", "due_date")
        if all(getattr(receivable, f) == getattr(current, f) for f in fields):
            return UNCHANGED
        self.to_update.append(receivable)
        return UPDATE

    def write(self) -> None:
        bulk_create_with_history(self.to_create, Receivable, **_history(self))
        if self.to_update:
            bulk_update_with_history(
                self.to_update,
                Receivable,
                ["order", "customer", "owner", "amount", "due_date", "status"],
                **_history(self),
            )

    def export_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("order")

    def export_row(self, obj: Receivable) -> dict[str, Any]:
        return {
            "code": obj.code,
            "order": obj.order.number if obj.order_id else "",
            "amount": obj.amount,
            "due_date": obj.due_date,
        }


@register
class PaymentImporter(OrdersImporter):
    """A payment with the same receivable, date, amount and reference as an existing one is the
    same payment (a re-import adds nothing). Payments may not add up to more than is due."""

    kind = "payments"
    label = gettext_lazy("payments")
    model = Payment
    columns = (
        Column("receivable", ("应收编号", "应收款", "应收"), required=True, blank=False,
               example="AR2501A1B2C3"),
        DecimalColumn("amount", ("金额", "回款金额"), required=True, blank=False,
                      example="9000.00"),
        DateColumn("paid_on", ("回款日期", "付款日期", "日期"), required=True, blank=False,
                   example="2025-04-28"),
        ChoiceColumn("method", ("方式", "付款方式", "回款方式"), choices=Payment.Method,
                     example="bank_transfer", extra=METHOD_WORDS),
        Column("reference", ("参考号", "流水号", "凭证号"), example="BOC-20250428-001"),
    )  # fmt: skip

    def file_key(self, row: Row) -> tuple | None:
        return None  # two equal payments on one day are possible; see check

    def prepare(self, rows: list[Row]) -> None:
        self.receivables = self.editable_receivables([row.get("receivable") for row in rows])
        ids = sorted(r.pk for r in self.receivables.values())
        self.existing: set[tuple] = set()
        for batch in self.batches(ids):
            for p in Payment.objects.filter(receivable_id__in=batch):
                self.existing.add((p.receivable_id, p.paid_on, p.amount, p.reference))
        self.added: dict[int, Decimal] = defaultdict(Decimal)
        self.to_create: list[Payment] = []

    def check(self, row: Row) -> str:
        receivable = self.receivables.get(row.get("receivable"))
        if receivable is None:
            row.error(
                "receivable",
                _("Unknown receivable code “%(code)s”.") % {"code": row.get("receivable")},
            )
        _positive_money(row, "amount")
        if row.errors:
            return UNCHANGED
        payment = Payment(
            receivable=receivable,
            amount=row.get("amount"),
            paid_on=row.get("paid_on"),
            method=row.get("method") or Payment.Method.BANK,
            reference=row.get("reference") or "",
            recorded_by=self.user,
        )
        key = (receivable.pk, payment.paid_on, payment.amount, payment.reference)
        if key in self.existing:
            return UNCHANGED
        outstanding = receivable.amount - receivable.paid_amount - self.added[receivable.pk]
        if payment.amount > outstanding:
            row.error(
                "amount",
                _("More than the %(due)s still due on receivable %(code)s.")
                % {"due": format_money(outstanding), "code": receivable.code},
            )
            return UNCHANGED
        self.clean_fields(payment, row, extra=("method",))
        if row.errors:
            return UNCHANGED
        self.existing.add(key)
        self.added[receivable.pk] += payment.amount
        self.to_create.append(payment)
        return CREATE

    def write(self) -> None:
        # Under the receivables' row locks: a payment recorded in the app meanwhile is counted,
        # and the database's check constraint refuses any overpayment that would slip through.
        ids = sorted(self.added)
        locked = list(Receivable.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
        bulk_create_with_history(self.to_create, Payment, **_history(self))
        paid = dict(
            Payment.objects.filter(receivable_id__in=ids)
            .order_by()
            .values("receivable_id")
            .annotate(s=Sum("amount"))
            .values_list("receivable_id", "s")
        )
        for receivable in locked:
            receivable.paid_amount = paid.get(receivable.pk, ZERO)
            receivable.status = Receivable.status_for(receivable.amount, receivable.paid_amount)
        Receivable.objects.bulk_update(
            locked, ["paid_amount", "status"], batch_size=self.batch_size
        )

    def export_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("receivable")

    def export_row(self, obj: Payment) -> dict[str, Any]:
        return {
            "receivable": obj.receivable.code,
            "amount": obj.amount,
            "paid_on": obj.paid_on,
            "method": obj.method,
            "reference": obj.reference,
        }


@register
class ExpenseImporter(OrdersImporter):
    """An expense equal to an existing one (owner, date, category, amount, note) is the same
    expense: a re-import adds nothing. Imported expenses await approval like entered ones."""

    kind = "expenses"
    label = gettext_lazy("expenses")
    model = Expense
    columns = (
        Column("owner", ("销售", "报销人", "负责人"), required=True, blank=False,
               example="wang.fang"),
        DateColumn("date", ("日期", "发生日期", "费用日期"), field="spent_on", required=True,
                   blank=False, example="2025-03-05"),
        ChoiceColumn("category", ("类别", "费用类别"), choices=Expense.Category,
                     example="travel", extra=CATEGORY_WORDS),
        DecimalColumn("amount", ("金额", "费用金额"), required=True, blank=False,
                      example="860.00"),
        Column("note", ("备注", "说明"), example="上海-杭州 高铁 客户拜访"),
    )  # fmt: skip

    def file_key(self, row: Row) -> tuple | None:
        return None

    def prepare(self, rows: list[Row]) -> None:
        self.owners = self.reachable_owners([row.get("owner") for row in rows])
        dates = [row.get("date") for row in rows if row.get("date")]
        self.existing: set[tuple] = set()
        if dates and self.owners:
            expenses = Expense.objects.filter(
                owner__in=list(self.owners.values()),
                spent_on__gte=min(dates),
                spent_on__lte=max(dates),
            )
            for e in expenses:
                self.existing.add((e.owner_id, e.spent_on, e.category, e.amount, e.note))
        self.to_create: list[Expense] = []

    def check(self, row: Row) -> str:
        _ok, owner = self.owner_for(row)
        _positive_money(row, "amount")
        if row.errors:
            return UNCHANGED
        expense = Expense(
            owner=owner,
            spent_on=row.get("date"),
            category=row.get("category") or Expense.Category.OTHER,
            amount=row.get("amount"),
            note=row.get("note") or "",
        )
        key = (owner.pk, expense.spent_on, expense.category, expense.amount, expense.note)
        if key in self.existing:
            return UNCHANGED
        self.clean_fields(expense, row)
        if row.errors:
            return UNCHANGED
        self.existing.add(key)
        self.to_create.append(expense)
        return CREATE

    def write(self) -> None:
        bulk_create_with_history(self.to_create, Expense, **_history(self))

    def export_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("owner")

    def export_row(self, obj: Expense) -> dict[str, Any]:
        return {
            "owner": obj.owner.username,
            "date": obj.spent_on,
            "category": obj.category,
            "amount": obj.amount,
            "note": obj.note,
        }
