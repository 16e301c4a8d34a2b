"""Writes of products and orders: entry with lines, status moves, the denormalised totals and the
customer's last order date."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import DecimalField, Max, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import User
from customers.models import Customer
from orders.models import (
    COUNTED_STATUSES,
    Order,
    OrderLine,
    OrderStatusChange,
    Product,
    Receivable,
)
from orders.models.orders import money

ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=14, decimal_places=2)
MONEY_LIMIT = Decimal("1e12")  # what a DecimalField(max_digits=14, decimal_places=2) holds


def product_save(*, product: Product, by: User | None = None) -> Product:
    product.full_clean()
    product.save()
    return product


@dataclass
class LineInput:
    """One line as entered: `line` is the existing line it edits (None for a new one)."""

    product: Product
    quantity: Decimal
    unit_price: Decimal | None = None
    line: OrderLine | None = None


def _check_header(*, customer: Customer, owner: User) -> None:
    if not owner.is_active:
        raise ValidationError({"owner": _("The owner must be an active user.")})


def _write_lines(order: Order, lines: list[LineInput]) -> None:
    """Make the order's lines exactly `lines`, in that order. A line keeps the list price it was
    entered with unless its product changes; a new line takes the product's current price."""
    if not lines and order.status != Order.Status.DRAFT:
        raise ValidationError(_("An order needs at least one line."))
    keep = {li.line.pk for li in lines if li.line is not None}
    order.lines.exclude(pk__in=keep).delete()
    for position, item in enumerate(lines, start=1):
        if item.quantity is None or item.quantity <= 0:
            raise ValidationError(_("The quantity must be more than zero."))
        line = item.line or OrderLine(order=order)
        if line.pk is None or line.product_id != item.product.pk:
            if not item.product.active:
                raise ValidationError(
                    _("Product %(sku)s is no longer sold.") % {"sku": item.product.sku}
                )
            line.product = item.product
            line.list_price = item.product.list_price
        line.position = position
        line.quantity = item.quantity
        line.unit_price = line.list_price if item.unit_price is None else item.unit_price
        if line.unit_price < 0:
            raise ValidationError(_("A unit price cannot be negative."))
        line.compute_amounts()
        if max(line.amount, line.list_amount) >= MONEY_LIMIT:
            raise ValidationError(_("A line's amount is too large."))
        line.save()
    totals_refresh(order)


def totals_refresh(order: Order) -> None:
    """Recompute the order's stored totals in the database from its lines (same transaction as
    the line change that calls it)."""
    sums = OrderLine.objects.filter(order=order).aggregate(
        total=Coalesce(Sum("amount"), Value(ZERO), output_field=MONEY),
        list_total=Coalesce(Sum("list_amount"), Value(ZERO), output_field=MONEY),
    )
    # SQLite returns the sums unscaled (12.3400000): keep the cents the column stores.
    order.total, order.list_total = money(sums["total"]), money(sums["list_total"])
    if max(order.total, order.list_total) >= MONEY_LIMIT:
        # (the caller's transaction rolls the lines back)
        raise ValidationError(_("The order's total is too large."))
    Order.objects.filter(pk=order.pk).update(total=order.total, list_total=order.list_total)


def last_order_refresh(customer_id: int) -> None:
    """Customer.last_order_on: the date of their latest counted order (one UPDATE)."""
    latest = (
        Order.objects.filter(customer_id=OuterRef("pk"), status__in=COUNTED_STATUSES)
        .order_by()
        .values("customer_id")
        .annotate(latest=Max("order_date"))
        .values("latest")
    )
    Customer.objects.filter(pk=customer_id).update(last_order_on=Subquery(latest))


@transaction.atomic
def order_create(
    *,
    by: User | None,
    customer: Customer,
    owner: User,
    lines: list[LineInput],
    order_date: dt.date | None = None,
    note: str = "",
    opportunity=None,
    status: str = Order.Status.DRAFT,
) -> Order:
    """A new order (a draft unless `status` says otherwise, e.g. from an import of history)."""
    _check_header(customer=customer, owner=owner)
    order = Order(
        customer=customer,
        owner=owner,
        order_date=order_date or timezone.localdate(),
        note=note,
        opportunity=opportunity,
        created_by=by,
        status=Order.Status.DRAFT,
    )
    order.full_clean(exclude=["number", "opportunity"])
    order.save()
    OrderStatusChange.objects.create(order=order, to_status=order.status, changed_by=by)
    _write_lines(order, lines)
    if status != Order.Status.DRAFT:
        order_change_status(order=order, to=status, by=by, check_transition=False)
    return order


@transaction.atomic
def order_update(
    *, order: Order, by: User | None, lines: list[LineInput] | None = None, **fields
) -> Order:
    """Edit a draft: header fields (customer, owner, order_date, note) and its lines."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    if not order.is_editable:
        raise ValidationError(_("Only a draft order can be changed."))
    owner_before = order.owner_id
    allowed = {"customer", "owner", "order_date", "note"}
    for name, value in fields.items():
        if name not in allowed:
            raise TypeError(f"order_update cannot change {name!r}")
        setattr(order, name, value)
    _check_header(customer=order.customer, owner=order.owner)
    order.full_clean(exclude=["number", "opportunity"])
    order.save()
    if order.owner_id != owner_before:
        # Receivables belong to the owner of their order (../shared/KPIS.md).
        Receivable.objects.filter(order=order).update(owner=order.owner)
    if lines is not None:
        _write_lines(order, lines)
    return order


def _drop_receivables(order: Order) -> None:
    """A cancelled order is owed nothing: its receivables go (their history rows remain). One
    with a payment recorded stops the cancellation: money received must be refunded or moved
    first, by someone who knows which."""
    receivables = Receivable.objects.select_for_update().filter(order=order)
    if any(r.paid_amount > 0 for r in receivables):
        raise ValidationError(
            _("Payments are recorded against this order: it cannot be cancelled.")
        )
    for receivable in receivables:
        receivable.delete()


@transaction.atomic
def order_change_status(
    *, order: Order, to: str, by: User | None, note: str = "", check_transition: bool = True
) -> OrderStatusChange:
    """Move `order` to status `to` along Order.TRANSITIONS, under the order's row lock, and log
    the move. Raises ValidationError for a move that is not allowed."""
    locked = Order.objects.select_for_update().get(pk=order.pk)
    current = locked.status
    if to not in Order.Status.values:
        raise ValidationError(_("Unknown status."))
    if current == Order.Status.CANCELLED:
        raise ValidationError(_("A cancelled order cannot change any more."))
    if check_transition and not locked.can_move_to(to):
        raise ValidationError(
            _("An order cannot go from “%(from)s” to “%(to)s”.")
            % {"from": locked.get_status_display(), "to": Order.Status(to).label}
        )
    if to in COUNTED_STATUSES and not locked.lines.exists():
        raise ValidationError(_("Add at least one line before confirming the order."))
    if to == Order.Status.CANCELLED:
        _drop_receivables(locked)
    locked.status = to
    locked.save(update_fields=["status", "updated_at"])
    change = OrderStatusChange.objects.create(
        order=locked, from_status=current, to_status=to, changed_by=by, note=note[:255]
    )
    if (current in COUNTED_STATUSES) != (to in COUNTED_STATUSES):
        last_order_refresh(locked.customer_id)
    order.status = to
    return change
