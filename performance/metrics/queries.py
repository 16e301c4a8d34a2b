"""The aggregate queries behind the KPI metrics (../shared/KPIS.md), each computing a figure for
everybody asked for at once (GROUP BY the owner column; never a query per person).

Several metrics read the same aggregate (revenue feeds plan completion, growth, the expense
ratio and the complaint rate's order count): inside `shared_results()` (which
`performance.figures.figures_for` opens) each aggregate runs once per (people, period) and is
reused; outside it, each call queries.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Collection, Iterator
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, Least, Length, Trim

from customers.models import Activity, Contact, Customer, OwnershipChange
from orders.models import COUNTED_STATUSES, Expense, Order, OrderLine, Payment, Receivable
from performance.models import SalesPlan
from performance.periods import Period
from service.models import Ticket

ZERO = Decimal(0)
MONEY_FIELD = DecimalField(max_digits=14, decimal_places=2)

_cache: contextvars.ContextVar[dict | None] = contextvars.ContextVar("kpi_cache", default=None)


@contextlib.contextmanager
def shared_results() -> Iterator[None]:
    """Within this block, each aggregate runs once per (people, period) and is shared by the
    metrics that read it.

    On PostgreSQL the block is one read-only transaction with JIT compilation off: the
    per-receivable and "first order ever" subplans make the planner's cost estimates large
    enough to trigger JIT inlining and optimisation, which then takes longer than the query
    itself (bench/kpi.py measured 3.3 s of JIT for 1.4 s of execution at 100,000 orders).
    `SET LOCAL` lasts until the outermost transaction ends (harmless for the rest of it)."""
    token = _cache.set({})
    try:
        if connection.vendor == "postgresql":
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL jit = off")
                yield
        else:
            yield
    finally:
        _cache.reset(token)


def _memo(name: str, user_ids: Collection[int] | None, period: Period, compute: Callable) -> Any:
    cache = _cache.get()
    if cache is None:
        return compute()
    key = (name, None if user_ids is None else frozenset(user_ids), period)
    if key not in cache:
        cache[key] = compute()
    return cache[key]


def _for(qs: QuerySet, field: str, user_ids: Collection[int] | None) -> QuerySet:
    """`qs` limited to the people asked for (None: everyone)."""
    if user_ids is None:
        return qs.filter(**{f"{field}__isnull": False})
    return qs.filter(**{f"{field}__in": list(user_ids)})


# --- orders -------------------------------------------------------------------------------


def counted_orders(user_ids: Collection[int] | None, period: Period) -> QuerySet[Order]:
    """Counted orders (confirmed, shipped, delivered, completed) dated in `period`."""
    qs = Order.objects.filter(
        status__in=COUNTED_STATUSES, order_date__gte=period.start, order_date__lt=period.end
    )
    return _for(qs, "owner", user_ids)


def order_totals(user_ids: Collection[int] | None, period: Period) -> dict[int, dict]:
    """{owner: {"revenue", "list_total", "orders"}} over counted orders in `period`. An order's
    value is the sum of its lines' quantity x unit price, exactly as KPIS.md defines it (read
    from the lines, not from the order's stored total, so no rounding of line amounts and no
    reliance on how the lines were written); `list_total` the same at list prices. Two
    queries: the orders per owner, the line sums per owner."""

    def compute() -> dict[int, dict]:
        counts = (
            counted_orders(user_ids, period).order_by().values("owner_id").annotate(n=Count("id"))
        )
        lines = _for(
            OrderLine.objects.filter(
                order__status__in=COUNTED_STATUSES,
                order__order_date__gte=period.start,
                order__order_date__lt=period.end,
            ),
            "order__owner",
            user_ids,
        )
        exact = DecimalField(max_digits=30, decimal_places=6)
        sums = {
            r["order__owner_id"]: r
            for r in lines.order_by()
            .values("order__owner_id")
            .annotate(
                revenue=Sum(ExpressionWrapper(F("quantity") * F("unit_price"), exact)),
                list_total=Sum(ExpressionWrapper(F("quantity") * F("list_price"), exact)),
            )
        }
        return {
            r["owner_id"]: {
                "revenue": money_exact(sums.get(r["owner_id"], {}).get("revenue")),
                "list_total": money_exact(sums.get(r["owner_id"], {}).get("list_total")),
                "orders": r["n"],
            }
            for r in counts
        }

    return _memo("order_totals", user_ids, period, compute)


def money_exact(value) -> Decimal:
    """A database sum as an exact Decimal without trailing zeros beyond the cents (80000.000000
    reads 80000.00; 49.975 keeps its third place)."""
    if value is None:
        return ZERO
    value = Decimal(value)
    cents = value.quantize(Decimal("0.01"))
    return cents if cents == value else value.normalize()


def revenue_of(totals: dict[int, dict], user_id: int) -> Decimal:
    return totals.get(user_id, {}).get("revenue", ZERO)


# --- plans --------------------------------------------------------------------------------

PLAN_FIELDS = ("revenue_target", "new_customer_target", "visit_target")


def plan_sums(user_ids: Collection[int] | None, period: Period) -> dict[int, dict[str, Decimal]]:
    """{user: {plan field: sum over the period's months}} of the user plans; people without a
    plan row in the period are missing (their plan-based metrics are undefined)."""

    def compute() -> dict[int, dict[str, Decimal]]:
        qs = SalesPlan.objects.filter(month__gte=period.start, month__lt=period.end)
        rows = (
            _for(qs, "user", user_ids)
            .order_by()
            .values("user_id")
            .annotate(**{f"s_{f}": Sum(f) for f in PLAN_FIELDS})
        )
        return {r["user_id"]: {f: Decimal(r[f"s_{f}"]) for f in PLAN_FIELDS} for r in rows}

    return _memo("plan_sums", user_ids, period, compute)


# --- expenses -----------------------------------------------------------------------------


def expenses(user_ids: Collection[int] | None, period: Period) -> QuerySet[Expense]:
    qs = Expense.objects.filter(spent_on__gte=period.start, spent_on__lt=period.end).exclude(
        status=Expense.Status.REJECTED
    )
    return _for(qs, "owner", user_ids)


def expense_sums(user_ids: Collection[int] | None, period: Period) -> dict[int, Decimal]:
    rows = expenses(user_ids, period).order_by().values("owner_id").annotate(s=Sum("amount"))
    return {r["owner_id"]: r["s"] or ZERO for r in rows}


# --- collection ---------------------------------------------------------------------------


def _collection_base(user_ids: Collection[int] | None, period: Period) -> QuerySet[Receivable]:
    """Receivables due on or before the period's last day, annotated `owed` (what was still
    due at the start: amount - payments dated before it) and `collected_capped` (payments dated
    in the period, at most the receivable's amount as KPIS.md says, never below 0). Each is
    ONE correlated aggregate over the receivable's payments (index payment_recv_date)."""
    payments = Payment.objects.filter(receivable=OuterRef("pk")).order_by().values("receivable")
    if connection.vendor == "postgresql":
        amount = OuterRef("amount")
    else:
        # SQLite refuses an outer column inside an aggregate subquery: read the amount
        # through the payment's join instead (PostgreSQL saves that join per receivable).
        payments = payments.values("receivable", "receivable__amount")
        amount = F("receivable__amount")
    before = Sum("amount", filter=Q(paid_on__lt=period.start), default=ZERO)
    within = Sum(
        "amount", filter=Q(paid_on__gte=period.start, paid_on__lt=period.end), default=ZERO
    )
    zero = Value(ZERO, output_field=MONEY_FIELD)
    owed = payments.annotate(v=ExpressionWrapper(amount - before, MONEY_FIELD)).values("v")
    collected = payments.annotate(
        v=Greatest(Least(within, amount, output_field=MONEY_FIELD), zero)
    ).values("v")
    # Cheap pre-filter, implied by "open at the start" because the orders app keeps
    # paid_amount = the sum of the payments (under the receivable's row lock): a receivable
    # paid in full now was open at the start only if a payment came on or after it. It keeps
    # the long-paid history out of the per-row sums.
    paid_since = Payment.objects.filter(receivable=OuterRef("pk"), paid_on__gte=period.start)
    qs = (
        Receivable.objects.filter(due_date__lte=period.last_day)
        .filter(~Q(status=Receivable.Status.PAID) | Exists(paid_since))
        .annotate(
            owed=Coalesce(Subquery(owed, output_field=MONEY_FIELD), F("amount")),
            collected_capped=Coalesce(Subquery(collected, output_field=MONEY_FIELD), zero),
        )
    )
    return _for(qs, "owner", user_ids)


def collection_receivables(
    user_ids: Collection[int] | None, period: Period
) -> QuerySet[Receivable]:
    """The receivables of the collection KPI (due on or before the period's last day and still
    open at its start), annotated with `paid_before` (payments dated before the start),
    `collectible` (amount - paid_before) and `collected` (payments dated in the period,
    counted at most up to the receivable's amount)."""
    return (
        _collection_base(user_ids, period)
        .filter(owed__gt=0)
        .annotate(
            paid_before=F("amount") - F("owed"),
            collectible=F("owed"),
            collected=F("collected_capped"),
        )
    )


def collection_sums(
    user_ids: Collection[int] | None, period: Period
) -> dict[int, tuple[Decimal, Decimal]]:
    """{owner: (collected, collectible)}. A receivable not open at the start (owed <= 0)
    adds 0 to both, so no filter is needed: each per-receivable aggregate runs once."""
    zero = Value(ZERO, output_field=MONEY_FIELD)
    rows = (
        _collection_base(user_ids, period)
        .order_by()
        .values("owner_id")
        .annotate(
            num=Sum("collected_capped"),
            den=Sum(Greatest(F("owed"), zero, output_field=MONEY_FIELD)),
        )
    )
    return {r["owner_id"]: (r["num"] or ZERO, r["den"] or ZERO) for r in rows}


# --- visits and complaints ----------------------------------------------------------------


def visits(user_ids: Collection[int] | None, period: Period) -> QuerySet[Activity]:
    qs = Activity.objects.filter(
        kind=Activity.Kind.VISIT, occurred_at__gte=period.start_at, occurred_at__lt=period.end_at
    )
    return _for(qs, "owner", user_ids)


def visit_counts(user_ids: Collection[int] | None, period: Period) -> dict[int, tuple[int, int]]:
    """{owner: (successful visits, all visits)}."""

    def compute() -> dict[int, tuple[int, int]]:
        rows = (
            visits(user_ids, period)
            .order_by()
            .values("owner_id")
            .annotate(ok=Count("id", filter=Q(outcome=Activity.Outcome.SUCCESS)), all=Count("id"))
        )
        return {r["owner_id"]: (r["ok"], r["all"]) for r in rows}

    return _memo("visit_counts", user_ids, period, compute)


def complaints(user_ids: Collection[int] | None, period: Period) -> QuerySet[Ticket]:
    qs = Ticket.objects.filter(
        type=Ticket.Type.COMPLAINT, opened_at__gte=period.start_at, opened_at__lt=period.end_at
    )
    return _for(qs, "customer_owner", user_ids)


def complaint_counts(user_ids: Collection[int] | None, period: Period) -> dict[int, int]:
    rows = (
        complaints(user_ids, period).order_by().values("customer_owner_id").annotate(n=Count("id"))
    )
    return {r["customer_owner_id"]: r["n"] for r in rows}


# --- customers ----------------------------------------------------------------------------


def first_orders(user_ids: Collection[int] | None, period: Period) -> QuerySet[Order]:
    """Counted orders in `period` that are their customer's first counted order ever (any
    owner; on the same day the earlier-entered order is first)."""
    earlier = Order.objects.filter(
        customer=OuterRef("customer"), status__in=COUNTED_STATUSES
    ).filter(
        Q(order_date__lt=OuterRef("order_date"))
        | Q(order_date=OuterRef("order_date"), pk__lt=OuterRef("pk"))
    )
    return counted_orders(user_ids, period).filter(~Exists(earlier))


def new_customer_counts(user_ids: Collection[int] | None, period: Period) -> dict[int, int]:
    def compute() -> dict[int, int]:
        rows = (
            first_orders(user_ids, period)
            .order_by()
            .values("owner_id")
            .annotate(n=Count("customer", distinct=True))
        )
        return {r["owner_id"]: r["n"] for r in rows}

    return _memo("new_customers", user_ids, period, compute)


def retention_orders(user_ids: Collection[int] | None, period: Period) -> QuerySet[Order]:
    """U's counted orders in P', annotated `kept`: U has a counted order from the same customer
    in P."""
    previous = period.previous()
    again = counted_orders(None, period).filter(
        owner=OuterRef("owner"), customer=OuterRef("customer")
    )
    return counted_orders(user_ids, previous).annotate(kept=Exists(again))


def retention_counts(
    user_ids: Collection[int] | None, period: Period
) -> dict[int, tuple[int, int]]:
    """{owner: (customers of P' kept in P, customers of P')}."""
    rows = (
        retention_orders(user_ids, period)
        .order_by()
        .values("owner_id")
        .annotate(
            kept_n=Count("customer", distinct=True, filter=Q(kept=True)),
            all_n=Count("customer", distinct=True),
        )
    )
    return {r["owner_id"]: (r["kept_n"], r["all_n"]) for r in rows}


def _filled(field: str) -> Case:
    """1 when the key field is not blank."""
    if field == "contacts":
        return Case(
            When(Exists(Contact.objects.filter(customer=OuterRef("pk"))), then=1),
            default=0,
            output_field=IntegerField(),
        )
    if field == "birthday":
        return Case(When(birthday__isnull=False, then=1), default=0, output_field=IntegerField())
    return Case(
        When(**{f"{field}__isnull": True}, then=0),
        When(Q(**{f"_len_{field}__gt": 0}), then=1),
        default=0,
        output_field=IntegerField(),
    )


def owned_at_end(user_ids: Collection[int] | None, period: Period) -> QuerySet[Customer]:
    """Customers owned by the people at the end of `period` (created before it ends), annotated
    `owner_at_end`.

    The owner at the end of P is read off the ownership history (customers.OwnershipChange, one
    row per change, written by every ownership service, each change's `from_user` being the
    owner before it): the `from_user` of the first change after the end; with no change after
    the end, the current owner (the `to_user` of the last change before it). Candidates are the
    customers the people own now and those taken from them after the end (index lookups), so
    that the history is read only for those, and only where it moved after P (rare for a
    recent period). Reading the last change before the end for every candidate instead took
    seconds for a team at a million customers (docs/performance.md).
    """
    end = period.end_at
    first_after = OwnershipChange.objects.filter(
        customer=OuterRef("pk"), changed_at__gte=end
    ).order_by("changed_at", "pk")
    qs = Customer.objects.filter(created_at__lt=end)
    if user_ids is not None:
        ids = list(user_ids)
        # Fetched first (few, none for a period not yet over): `owner IN ids OR pk IN (list)`
        # is two index scans ORed into one bitmap; with a sub-select instead, PostgreSQL either
        # scans the table or fetches the candidates one primary-key lookup at a time.
        taken_since = OwnershipChange.objects.filter(changed_at__gte=end, from_user__in=ids)
        taken = set(taken_since.values_list("customer_id", flat=True))
        qs = qs.filter(Q(owner__in=ids) | Q(pk__in=taken))
    qs = qs.annotate(
        owner_at_end=Case(
            When(Exists(first_after), then=Subquery(first_after.values("from_user_id")[:1])),
            default=F("owner_id"),
            output_field=IntegerField(),
        )
    )
    if user_ids is None:
        return qs.filter(owner_at_end__isnull=False)
    return qs.filter(owner_at_end__in=ids)


def completeness_sums(
    user_ids: Collection[int] | None, period: Period
) -> dict[int, tuple[Decimal, int]]:
    """{owner at the end of P: (sum over their customers of filled / key fields, customers)}."""
    text_fields = {f for fields in Customer.KEY_FIELDS.values() for f in fields} - {
        "contacts",
        "birthday",
    }
    qs = owned_at_end(user_ids, period).annotate(
        **{f"_len_{f}": Length(Trim(f)) for f in text_fields}
    )
    annotations = {}
    for kind, fields in Customer.KEY_FIELDS.items():
        filled = sum((_filled(f) for f in fields[1:]), _filled(fields[0]))
        annotations[f"filled_{kind}"] = Sum(filled, filter=Q(kind=kind))
        annotations[f"n_{kind}"] = Count("id", filter=Q(kind=kind))
    rows = qs.order_by().values("owner_at_end").annotate(**annotations)
    result = {}
    for r in rows:
        numerator, customers = ZERO, 0
        for kind, fields in Customer.KEY_FIELDS.items():
            numerator += Decimal(r[f"filled_{kind}"] or 0) / len(fields)
            customers += r[f"n_{kind}"]
        result[r["owner_at_end"]] = (numerator, customers)
    return result
