"""Writes of receivables, payments and expenses."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import User
from crm.templatetags.money import format_money
from orders.models import COUNTED_STATUSES, Contract, Expense, Order, Payment, Receivable
from orders.models.orders import money

HUNDRED = Decimal(100)


@dataclass
class Installment:
    percent: Decimal
    due_date: dt.date
    label: str = ""


def installments_split(total: Decimal, percents: list[Decimal]) -> list[Decimal]:
    """Amounts for `percents` of `total`, each rounded half-up to the cent; the last takes the
    rounding remainder so that they add up to `total` exactly."""
    if not percents:
        return []
    amounts = [money(total * p / HUNDRED) for p in percents[:-1]]
    amounts.append(total - sum(amounts, Decimal("0.00")))
    return amounts


def _source_of(order: Order | None, contract: Contract | None):
    if (order is None) == (contract is None):
        raise ValidationError(_("A receivable comes from an order or from a contract."))
    if order is not None:
        if order.status not in COUNTED_STATUSES:
            raise ValidationError(_("Receivables are created for confirmed orders only."))
        scheduled = order.receivables.aggregate(s=Sum("amount"))["s"] or Decimal(0)
        return order.customer, order.owner, order.total - scheduled
    if contract.status not in (Contract.Status.APPROVED, Contract.Status.SIGNED):
        raise ValidationError(_("Receivables are created for approved or signed contracts only."))
    scheduled = contract.receivables.aggregate(s=Sum("amount"))["s"] or Decimal(0)
    remaining = contract.amount - scheduled
    if contract.order_id is None:
        return contract.customer, contract.owner, remaining
    # A contract for an order bills that order's money: its installments are the order's too
    # (owned by the order's owner), and what the order page already scheduled is not billed
    # twice.
    order = contract.order
    if order.status == Order.Status.CANCELLED:
        raise ValidationError(_("The contract's order is cancelled: nothing is owed."))
    order_scheduled = order.receivables.aggregate(s=Sum("amount"))["s"] or Decimal(0)
    return contract.customer, order.owner, min(remaining, order.total - order_scheduled)


@transaction.atomic
def receivables_schedule(
    *,
    by: User | None,
    installments: list[Installment],
    order: Order | None = None,
    contract: Contract | None = None,
) -> list[Receivable]:
    """Split what is not yet scheduled of an order's total (or a contract's amount) into
    installments. The percentages must add up to 100; amounts add up to the cent."""
    if order is not None:
        order = (
            Order.objects.select_for_update().select_related("customer", "owner").get(pk=order.pk)
        )
    if contract is not None:
        contract = (
            Contract.objects.select_for_update()
            .select_related("customer", "owner")
            .get(pk=contract.pk)
        )
        if contract.order_id is not None:
            # The order's row lock too: its page schedules from the same money.
            contract.order = Order.objects.select_for_update().get(pk=contract.order_id)
    customer, owner, remaining = _source_of(order, contract)
    if not installments:
        raise ValidationError(_("Give at least one installment."))
    if any(i.percent <= 0 for i in installments):
        raise ValidationError(_("Each installment's percentage must be more than zero."))
    if sum(i.percent for i in installments) != HUNDRED:
        raise ValidationError(_("The percentages must add up to 100."))
    if remaining <= 0:
        raise ValidationError(_("Everything is already scheduled."))
    amounts = installments_split(remaining, [i.percent for i in installments])
    if any(a <= 0 for a in amounts):
        raise ValidationError(_("An installment would be zero: use fewer installments."))
    created = []
    for item, amount in zip(installments, amounts, strict=True):
        receivable = Receivable(
            customer=customer,
            order=order if order is not None else contract.order,
            contract=contract,
            owner=owner,
            amount=amount,
            due_date=item.due_date,
            label=item.label[:120],
        )
        receivable.save()
        created.append(receivable)
    return created


@transaction.atomic
def payment_record(
    *,
    by: User | None,
    receivable: Receivable,
    amount: Decimal,
    paid_on: dt.date | None = None,
    method: str = Payment.Method.BANK,
    reference: str = "",
) -> Payment:
    """Apply a payment to a receivable under its row lock: two payments recorded at the same
    time never overpay it together. More than what is still due is refused."""
    locked = Receivable.objects.select_for_update().filter(pk=receivable.pk).first()
    if locked is None:  # its order was cancelled meanwhile (unpaid receivables go with it)
        raise ValidationError(_("This receivable no longer exists: its order was cancelled."))
    if amount is None or amount <= 0:
        raise ValidationError({"amount": _("The amount must be more than zero.")})
    if amount != money(amount):
        raise ValidationError({"amount": _("Give the amount to the cent.")})
    outstanding = locked.amount - locked.paid_amount
    if amount > outstanding:
        raise ValidationError(
            {
                "amount": _(
                    "This payment of %(amount)s is more than the %(due)s still due on "
                    "receivable %(code)s: record at most %(due)s."
                )
                % {
                    "amount": format_money(amount),
                    "due": format_money(outstanding),
                    "code": locked.code,
                }
            }
        )
    payment = Payment(
        receivable=locked,
        amount=amount,
        paid_on=paid_on or timezone.localdate(),
        method=method,
        reference=reference,
        recorded_by=by,
    )
    payment.full_clean()
    payment.save()
    locked.paid_amount += amount
    locked.status = Receivable.status_for(locked.amount, locked.paid_amount)
    locked.save(update_fields=["paid_amount", "status"])
    receivable.paid_amount, receivable.status = locked.paid_amount, locked.status
    return payment


EXPENSE_FIELDS = ("spent_on", "category", "amount", "note", "customer")


@transaction.atomic
def expense_create(*, by: User | None, owner: User, **fields) -> Expense:
    expense = Expense(owner=owner, **{k: v for k, v in fields.items() if k in EXPENSE_FIELDS})
    expense.full_clean()
    expense.save()
    return expense


@transaction.atomic
def expense_update(*, expense: Expense, by: User | None, **fields) -> Expense:
    """Change an expense not yet decided (a decided one is part of the figures)."""
    locked = Expense.objects.select_for_update().get(pk=expense.pk)
    if locked.status != Expense.Status.SUBMITTED:
        raise ValidationError(_("Only an expense awaiting approval can be changed."))
    for name, value in fields.items():
        if name in EXPENSE_FIELDS:
            setattr(locked, name, value)
    locked.full_clean()
    locked.save()
    return locked


@transaction.atomic
def expense_decide(*, expense: Expense, by: User, approve: bool, comment: str = "") -> Expense:
    """Approve or reject an expense (the caller checked `may_decide_expense`). A rejection needs
    a comment; a decided expense may be decided again (a manager correcting themselves)."""
    locked = Expense.objects.select_for_update().get(pk=expense.pk)
    if not approve and not comment.strip():
        raise ValidationError({"comment": _("Say why the expense is rejected.")})
    locked.status = Expense.Status.APPROVED if approve else Expense.Status.REJECTED
    locked.decided_by = by
    locked.decided_at = timezone.now()
    locked.decision_comment = comment[:255]
    locked.save(update_fields=["status", "decided_by", "decided_at", "decision_comment"])
    return locked
