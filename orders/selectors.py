"""Reads of the orders app: scoped lists with what their pages need, and the aggregates (list
totals, ageing, lifetime value), each one query in the database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Case, Count, DecimalField, F, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import User
from crm.scopes import get_visible_or_404
from orders.filters import (
    ContractFilter,
    ExpenseFilter,
    OrderFilter,
    PaymentFilter,
    ReceivableFilter,
)
from orders.models import (
    COUNTED_STATUSES,
    Contract,
    Expense,
    Order,
    Payment,
    Product,
    Receivable,
)
from orders.models.orders import money

MONEY = DecimalField(max_digits=14, decimal_places=2)
ZERO = Value(Decimal("0.00"), output_field=MONEY)


def money_sum(expression, **kwargs):
    return Coalesce(Sum(expression, output_field=MONEY, **kwargs), ZERO, output_field=MONEY)


# --- products ---------------------------------------------------------------------------------
def product_list(*, search: str = "", include_inactive: bool = False) -> QuerySet[Product]:
    qs = Product.objects.all() if include_inactive else Product.objects.active()
    if search := search.strip():
        qs = qs.filter(Q(sku__iexact=search) | Q(name__icontains=search))
    return qs.order_by("name", "id")


# --- orders -----------------------------------------------------------------------------------
def order_list(*, viewer: User, data, request=None) -> OrderFilter:
    qs = (
        Order.objects.visible_to(viewer)
        .select_related("customer", "owner", "owner__team")
        .order_by("-order_date", "-id")
    )
    return OrderFilter(data, queryset=qs, request=request)


def order_totals(qs: QuerySet[Order]) -> dict:
    """The list's totals row: one aggregate over the filtered orders (stored totals, no join)."""
    return qs.order_by().aggregate(
        count=Count("pk"),
        amount=money_sum("total"),
        counted_amount=money_sum("total", filter=Q(status__in=COUNTED_STATUSES)),
        counted_list_amount=money_sum("list_total", filter=Q(status__in=COUNTED_STATUSES)),
    )


def order_for_detail(*, viewer: User, pk: int) -> Order:
    qs = Order.objects.select_related("customer", "owner", "owner__team", "created_by")
    return get_visible_or_404(qs, viewer, pk=pk)


def order_lines(order: Order):
    return order.lines.select_related("product").order_by("position", "id")


def order_history(order: Order):
    return order.status_changes.select_related("changed_by").order_by("changed_at", "id")


# --- contracts --------------------------------------------------------------------------------
def contract_list(*, viewer: User, data, request=None) -> ContractFilter:
    qs = (
        Contract.objects.visible_to(viewer)
        .select_related("customer", "owner", "owner__team", "approver")
        .order_by("-created_at", "-id")
    )
    return ContractFilter(data, queryset=qs, request=request)


def contract_for_detail(*, viewer: User, pk: int) -> Contract:
    qs = Contract.objects.select_related("customer", "owner", "order", "approver", "created_by")
    return get_visible_or_404(qs, viewer, pk=pk)


# --- receivables ------------------------------------------------------------------------------
def receivable_list(*, viewer: User, data, request=None) -> ReceivableFilter:
    qs = (
        Receivable.objects.visible_to(viewer)
        .select_related("customer", "owner", "order", "contract")
        .order_by("due_date", "id")
    )
    return ReceivableFilter(data, queryset=qs, request=request)


def receivable_totals(qs: QuerySet[Receivable]) -> dict:
    return qs.order_by().aggregate(
        count=Count("pk"),
        sum_amount=money_sum("amount"),
        sum_paid=money_sum("paid_amount"),
        sum_outstanding=money_sum(F("amount") - F("paid_amount")),
    )


def overdue_list(*, viewer: User, today: dt.date | None = None) -> QuerySet[Receivable]:
    """Receivables past their due date with something still to pay, the oldest first."""
    today = today or timezone.localdate()
    return (
        Receivable.objects.visible_to(viewer)
        .filter(due_date__lt=today)
        .exclude(status=Receivable.Status.PAID)
        .select_related("customer", "owner", "owner__team", "order")
        .order_by("due_date", "id")
    )


def payment_list(*, viewer: User, data, request=None) -> PaymentFilter:
    qs = (
        Payment.objects.visible_to(viewer)
        .select_related("receivable", "receivable__customer", "receivable__owner", "recorded_by")
        .order_by("-paid_on", "-id")
    )
    return PaymentFilter(data, queryset=qs, request=request)


def payment_totals(qs: QuerySet[Payment]) -> dict:
    return qs.order_by().aggregate(count=Count("pk"), sum_amount=money_sum("amount"))


def receivable_payments(receivable: Receivable) -> QuerySet[Payment]:
    return receivable.payments.select_related("recorded_by").order_by("paid_on", "id")


# Ageing buckets: (key, label, lowest days overdue, highest days overdue or None).
AGEING_BUCKETS = (
    ("d0_30", _("0–30 days"), 1, 30),
    ("d31_60", _("31–60 days"), 31, 60),
    ("d61_90", _("61–90 days"), 61, 90),
    ("d90_plus", _("Over 90 days"), 91, None),
)


def ageing_report(*, viewer: User, today: dt.date | None = None, by: str = "owner") -> dict:
    """Outstanding amounts of the receivables `viewer` sees, per rep (`by="owner"`) or per team
    (`by="team"`, the owner's team), in buckets of days overdue, plus what is not yet due.
    A receivable due today is not overdue; one due yesterday is 1 day overdue (bucket 0–30).

    One GROUP BY query with a CASE per bucket; the total row is added up from its rows.
    """
    today = today or timezone.localdate()
    outstanding = F("amount") - F("paid_amount")

    def bucket(low: int, high: int | None) -> Q:
        q = Q(due_date__lte=today - dt.timedelta(days=low))
        if high is not None:
            q &= Q(due_date__gte=today - dt.timedelta(days=high))
        return q

    sums = {
        key: Sum(Case(When(bucket(low, high), then=outstanding), default=ZERO, output_field=MONEY))
        for key, _label, low, high in AGEING_BUCKETS
    }
    sums["current"] = Sum(
        Case(When(due_date__gte=today, then=outstanding), default=ZERO, output_field=MONEY)
    )
    sums["overdue"] = Sum(
        Case(When(due_date__lt=today, then=outstanding), default=ZERO, output_field=MONEY)
    )
    sums["total"] = Sum(outstanding, output_field=MONEY)
    sums["count"] = Count("pk")
    if by == "team":
        group = ("owner__team", "owner__team__name")
        order = ("owner__team__path",)
    else:
        group = ("owner", "owner__username", "owner__first_name", "owner__last_name")
        order = ("owner__username",)
    rows = list(
        Receivable.objects.visible_to(viewer)
        .exclude(status=Receivable.Status.PAID)
        .order_by()
        .values(*group)
        .annotate(**sums)
        .order_by(*order)
    )
    keys = [key for key, *_rest in AGEING_BUCKETS] + ["current", "overdue", "total"]
    for row in rows:
        for key in keys:
            # SQLite hands sums back unscaled (9999.99000000000): always show cents.
            row[key] = money(row[key] or 0)
        if by == "team":
            row["label"] = row["owner__team__name"] or str(_("No team"))
        else:
            person = User(
                username=row["owner__username"],
                first_name=row["owner__first_name"],
                last_name=row["owner__last_name"],
            )
            row["label"] = str(person)  # the User's own rule (王芳, John Smith)
    totals = {key: sum((row[key] for row in rows), Decimal("0.00")) for key in keys}
    totals["count"] = sum(row["count"] for row in rows)
    return {"rows": rows, "totals": totals, "buckets": AGEING_BUCKETS, "today": today, "by": by}


# --- expenses ---------------------------------------------------------------------------------
def expense_list(*, viewer: User, data, request=None) -> ExpenseFilter:
    qs = (
        Expense.objects.visible_to(viewer)
        .select_related("owner", "owner__team", "decided_by")
        .order_by("-spent_on", "-id")
    )
    return ExpenseFilter(data, queryset=qs, request=request)


def expense_totals(qs: QuerySet[Expense]) -> dict:
    return qs.order_by().aggregate(
        count=Count("pk"),
        sum_amount=money_sum("amount"),
        sum_counted=money_sum("amount", filter=~Q(status=Expense.Status.REJECTED)),
    )


# --- the customer page ------------------------------------------------------------------------
SECTION_ROWS = 5


def customer_section(customer, viewer) -> dict:
    """The customer page's orders, contracts and receivables (the viewer's scope) and lifetime
    value (all counted orders of the customer: a property of the customer, like its RFM facts).
    Five queries whatever the history."""
    orders = list(
        Order.objects.visible_to(viewer)
        .filter(customer=customer)
        .select_related("owner")
        .order_by("-order_date", "-id")[:SECTION_ROWS]
    )
    value = Order.objects.filter(customer=customer).aggregate(
        lifetime_value=money_sum("total", filter=Q(status__in=COUNTED_STATUSES)),
        counted_orders=Count("pk", filter=Q(status__in=COUNTED_STATUSES)),
        all_orders=Count("pk"),
    )
    contracts = list(
        Contract.objects.visible_to(viewer)
        .filter(customer=customer)
        .order_by("-created_at", "-id")[:SECTION_ROWS]
    )
    open_receivables = (
        Receivable.objects.visible_to(viewer)
        .filter(customer=customer)
        .exclude(status=Receivable.Status.PAID)
    )
    receivables = list(open_receivables.order_by("due_date", "id")[:SECTION_ROWS])
    due = open_receivables.order_by().aggregate(
        outstanding=money_sum(F("amount") - F("paid_amount")),
        overdue=money_sum(
            F("amount") - F("paid_amount"), filter=Q(due_date__lt=timezone.localdate())
        ),
        count=Count("pk"),
    )
    return {
        "orders": orders,
        "contracts": contracts,
        "receivables": receivables,
        "today": timezone.localdate(),
        **value,
        "outstanding": due["outstanding"],
        "overdue": due["overdue"],
        "open_receivables": due["count"],
    }
