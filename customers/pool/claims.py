"""Who may act on the pool, the caps, and claiming and releasing customers (docs/pool.md)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _t
from django.utils.translation import ngettext

from crm.dates import start_of_day
from crm.models import User, is_administrator
from crm.scopes import DataScope, can_change_any, reach_of
from crm.selectors import may_own_records
from customers.models import Customer, OwnershipChange, PoolRule, PoolSettings
from customers.services import ownership_change_record

Reason = OwnershipChange.Reason


# Reclaim moves customers in batches, one short transaction each, so the daily run never holds
# thousands of row locks while reps work.
RECLAIM_BATCH = 500
# A bulk action names at most this many customers (a whole book moves with rep_handover).
MAX_BULK = 1000


class PoolError(Exception):
    """A pool move refused for a reason the user can act on; `message` is translated."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class BulkResult:
    """What a bulk move did: the customers moved and those left alone (out of reach, already
    moved, already the target's)."""

    moved: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class PoolWarning:
    """A customer of the user that a rule returns to the pool on `reclaim_on` unless something
    happens first (a follow-up, an opportunity or an order, depending on the rule)."""

    customer: Customer
    rule: PoolRule
    reclaim_on: dt.date
    days_left: int  # 0 = today; negative = overdue (the daily run has not passed yet)


# --- who may -----------------------------------------------------------------------------------


def can_claim(user: User | Any) -> bool:
    """Claiming makes the user an owner: it needs a position that may change records."""
    return can_change_any(user)


def can_manage_pool(user: User | Any) -> bool:
    """Assign, transfer and hand over: managers (team reach) and above (all)."""
    return reach_of(user, for_change=True).level in (DataScope.TEAM, DataScope.ALL)


def can_configure_pool(user: User | Any) -> bool:
    return is_administrator(user)


def assignable_users(by: User) -> QuerySet[User]:
    """Who `by` may give customers to: the active people they may change."""
    return (
        User.objects.editable_by(by)
        .filter(may_own_records(), is_active=True)
        .select_related("team")
        .order_by("team__path", "last_name", "first_name", "username")
    )


# --- claims ------------------------------------------------------------------------------------


def claims_today(user: User, *, now: dt.datetime | None = None) -> int:
    return OwnershipChange.objects.filter(
        to_user=user,
        reason=Reason.CLAIMED,
        changed_at__gte=start_of_day(timezone.localdate(now or timezone.now())),
    ).count()


def owned_count(user: User) -> int:
    return Customer.objects.filter(owner=user).count()


def _check_owned_cap(settings: PoolSettings, user: User, adding: int) -> None:
    if settings.max_owned and owned_count(user) + adding > settings.max_owned:
        raise PoolError(
            ngettext(
                "%(user)s already owns the maximum of %(max)d customer.",
                "%(user)s already owns the maximum of %(max)d customers.",
                settings.max_owned,
            )
            % {"user": user, "max": settings.max_owned},
            code="owned_cap",
        )


def pool_claim(*, customer_id: int, by: User) -> Customer:
    """`by` takes a customer from the pool. Exactly one of two simultaneous claims wins.

    The claimer's row lock serialises their own claims, so the daily and owned caps cannot be
    overrun by parallel requests; the customer's row lock, with the owner re-read inside it,
    makes the second of two claimers see the first one's win.
    """
    if not can_claim(by):
        raise PoolError(_t("Your position may not own customers."), code="forbidden")
    now = timezone.now()
    with transaction.atomic():
        User.objects.select_for_update().only("pk").get(pk=by.pk)
        try:
            customer = Customer.objects.select_for_update().get(pk=customer_id)
        except Customer.DoesNotExist:
            raise PoolError(_t("This customer no longer exists."), code="missing") from None
        if customer.owner_id is not None:
            raise PoolError(
                _t("%(customer)s is no longer in the pool: someone claimed it first.")
                % {"customer": customer},
                code="taken",
            )
        settings = PoolSettings.current()
        if settings.daily_claim_limit and claims_today(by, now=now) >= settings.daily_claim_limit:
            raise PoolError(
                ngettext(
                    "You have reached today's limit of %(max)d claim.",
                    "You have reached today's limit of %(max)d claims.",
                    settings.daily_claim_limit,
                )
                % {"max": settings.daily_claim_limit},
                code="daily_cap",
            )
        _check_owned_cap(settings, by, 1)
        if settings.reclaim_cooldown_days:
            since = now - dt.timedelta(days=settings.reclaim_cooldown_days)
            last_left = (
                OwnershipChange.objects.filter(
                    customer=customer,
                    from_user=by,
                    # Any move from them to the pool: reclaimed, released, or by an import.
                    to_user__isnull=True,
                    changed_at__gte=since,
                )
                .order_by("-changed_at")
                .values_list("changed_at", flat=True)
                .first()
            )
            if last_left is not None:
                until = timezone.localdate(
                    last_left + dt.timedelta(days=settings.reclaim_cooldown_days)
                )
                raise PoolError(
                    _t("%(customer)s left your book recently: you may claim it back from %(date)s.")
                    % {"customer": customer, "date": until.isoformat()},
                    code="cooldown",
                )
        ownership_change_record(customer=customer, to_user=by, reason=Reason.CLAIMED, by=by, at=now)
    return customer


def pool_release(*, customer: Customer, by: User, note: str) -> Customer:
    """The owner (or someone who may change the customer) returns it to the pool."""
    with transaction.atomic():
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        if locked.owner_id is None:
            raise PoolError(
                _t("%(customer)s is already in the pool.") % {"customer": locked}, code="in_pool"
            )
        ownership_change_record(
            customer=locked, to_user=None, reason=Reason.RELEASED, by=by, note=note
        )
    return locked
