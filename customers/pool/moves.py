"""Managers' bulk moves: assigning from the pool, transfers, and the hand-over of a leaving
rep's book."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from crm.models import User
from customers.models import Customer, OwnershipChange, PoolSettings
from customers.pool.claims import (
    MAX_BULK,
    BulkResult,
    PoolError,
    _check_owned_cap,
    assignable_users,
    can_manage_pool,
)
from customers.services import ownership_change_record

Reason = OwnershipChange.Reason

# --- managers' bulk moves ----------------------------------------------------------------------


def _check_receiver(*, to_user: User, by: User) -> None:
    if not can_manage_pool(by):
        raise PoolError(_t("Only managers may assign or transfer customers."), code="forbidden")
    if not assignable_users(by).filter(pk=to_user.pk).exists():
        raise PoolError(
            _t("%(user)s is not an active member of your teams.") % {"user": to_user},
            code="receiver",
        )


def _clean_ids(customer_ids: Iterable[int]) -> list[int]:
    ids = sorted({int(pk) for pk in customer_ids})
    if len(ids) > MAX_BULK:
        raise PoolError(
            _t("Select at most %(max)d customers at once.") % {"max": MAX_BULK}, code="too_many"
        )
    return ids


def pool_assign(
    *, customer_ids: Iterable[int], to_user: User, by: User, note: str = ""
) -> BulkResult:
    """A manager gives pool customers to someone they manage.

    Customers claimed meanwhile are skipped. The owned cap applies to the whole batch (all or
    nothing): assigning adds to the rep's load like claims do. The daily cap and the cooldown,
    which stop reps from hoarding, do not bind a manager's decision.
    """
    ids = _clean_ids(customer_ids)
    _check_receiver(to_user=to_user, by=by)
    with transaction.atomic():
        User.objects.select_for_update().only("pk").get(pk=to_user.pk)
        customers = list(
            Customer.objects.visible_to(by)
            .in_pool()
            .filter(pk__in=ids)
            .select_for_update(of=("self",))
            .order_by("pk")
        )
        _check_owned_cap(PoolSettings.current(), to_user, len(customers))
        for customer in customers:
            ownership_change_record(
                customer=customer, to_user=to_user, reason=Reason.ASSIGNED, by=by, note=note
            )
    moved = [c.pk for c in customers]
    return BulkResult(moved=moved, skipped=[pk for pk in ids if pk not in set(moved)])


def _transfer(customers: QuerySet[Customer], *, to_user: User, by: User, note: str) -> list[int]:
    """Move the owned customers of `customers` (row-locked, in key order) to `to_user`."""
    locked = list(
        customers.filter(owner__isnull=False)
        .exclude(owner=to_user)
        .select_for_update(of=("self",))
        .order_by("pk")
    )
    for customer in locked:
        ownership_change_record(
            customer=customer, to_user=to_user, reason=Reason.TRANSFERRED, by=by, note=note
        )
    return [c.pk for c in locked]


def customers_transfer(
    *, customer_ids: Iterable[int], to_user: User, by: User, note: str = ""
) -> BulkResult:
    """A manager moves owned customers they may change to someone they manage.

    Customers outside `by`'s reach, in the pool (use pool_assign) or already the receiver's are
    left alone and reported as skipped.
    """
    ids = _clean_ids(customer_ids)
    _check_receiver(to_user=to_user, by=by)
    with transaction.atomic():
        User.objects.select_for_update().only("pk").get(pk=to_user.pk)
        moved = _transfer(
            Customer.objects.editable_by(by).filter(pk__in=ids), to_user=to_user, by=by, note=note
        )
    moved_set = set(moved)
    return BulkResult(moved=moved, skipped=[pk for pk in ids if pk not in moved_set])


# --- hand-over of a leaving rep's book ---------------------------------------------------------


@dataclass(frozen=True)
class HandoverStep:
    """One kind of record a leaving rep hands over.

    `count(from_user, by)` says how many would move (shown before confirming); `run(from_user=,
    to_user=, by=, note=)` moves them and returns how many moved. Both must stay within what `by`
    may change.
    """

    label: Any  # a lazy translated plural noun: "Customers", "Leads", "Open opportunities"
    count: Callable[[User, User], int]
    run: Callable[..., int]


def _customers_of(from_user: User, by: User) -> QuerySet[Customer]:
    return Customer.objects.editable_by(by).filter(owner=from_user)


def _customers_handover(*, from_user: User, to_user: User, by: User, note: str) -> int:
    return len(_transfer(_customers_of(from_user, by), to_user=to_user, by=by, note=note))


# Other apps append their step in AppConfig.ready(), e.g. leads:
#   HANDOVER_STEPS.append(HandoverStep(_("Leads"), count=..., run=lead_handover))
HANDOVER_STEPS: list[HandoverStep] = [
    HandoverStep(
        label=_("Customers"),
        count=lambda from_user, by: _customers_of(from_user, by).count(),
        run=_customers_handover,
    ),
]


def rep_handover_preview(*, from_user: User, by: User) -> list[tuple[Any, int]]:
    """(label, how many) for every kind of record `from_user` would hand over."""
    return [(step.label, step.count(from_user, by)) for step in HANDOVER_STEPS]


def rep_handover(
    *, from_user: User, to_user: User, by: User, note: str = ""
) -> list[tuple[Any, int]]:
    """Transfer all of a rep's customers, leads and open opportunities to `to_user`.

    Runs every step of HANDOVER_STEPS (customers here; leads and opportunities register theirs
    when their apps land) in one transaction: the hand-over happens whole or not at all. The
    leaving rep may already be deactivated; the receiver must be active and in `by`'s reach.
    Returns (label, moved) per step.
    """
    if from_user.pk == to_user.pk:
        raise PoolError(_t("Choose someone else to receive the records."), code="same_user")
    _check_receiver(to_user=to_user, by=by)
    if not User.objects.editable_by(by).filter(pk=from_user.pk).exists():
        raise PoolError(
            _t("%(user)s is not a member of your teams.") % {"user": from_user}, code="giver"
        )
    with transaction.atomic():
        # Both users, lower key first (the lock order rule: users before customers).
        list(
            User.objects.select_for_update()
            .filter(pk__in=[from_user.pk, to_user.pk])
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        return [
            (step.label, step.run(from_user=from_user, to_user=to_user, by=by, note=note))
            for step in HANDOVER_STEPS
        ]
