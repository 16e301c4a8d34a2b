"""The public pool (公海): claiming, releasing, assigning, transferring and the reclaim rules.

Rules of the game (docs/pool.md):

- Who may do what: anyone whose position may change records (`can_claim`) claims from the pool
  for themselves; whoever changes a team's or everyone's records (`can_manage_pool`: managers,
  VPs, admins) also assigns pool customers and transfers customers among the people they reach.
- Caps and cooldown (PoolSettings) bind claims. An assignment by a manager respects the owned
  cap (it adds to a rep's load like a claim) but not the daily cap or the cooldown; transfers and
  hand-overs move existing customers and check no cap (a leaving rep's book must move whole).
- The cooldown counts every way a customer leaves a rep for the pool (reclaimed by a rule,
  released by hand, emptied by an import): otherwise "release then claim back" would reset the
  reclaim clock.
- Reclaim works in whole days of the display time zone, so the outcome does not depend on the
  hour the daily task runs and matches the date shown in the owner's warning.

Lock order, everywhere: user rows first, then customer rows by primary key, so two services
never wait on each other in opposite orders.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from crm.models import Position, User
from crm.scopes import DataScope, reach_of
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
    return reach_of(user, for_change=True).level != DataScope.NONE


def can_manage_pool(user: User | Any) -> bool:
    """Assign, transfer and hand over: managers (team reach) and above (all)."""
    return reach_of(user, for_change=True).level in (DataScope.TEAM, DataScope.ALL)


def can_configure_pool(user: User | Any) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return user.position is not None and user.position.kind == Position.Kind.ADMIN


def assignable_users(by: User) -> QuerySet[User]:
    """Who `by` may give customers to: the active people they may change."""
    return (
        User.objects.editable_by(by)
        .filter(may_own_records(), is_active=True)
        .select_related("team")
        .order_by("team__path", "last_name", "first_name", "username")
    )


# --- claims ------------------------------------------------------------------------------------


def _start_of_today(now: dt.datetime) -> dt.datetime:
    today = timezone.localdate(now)
    return timezone.make_aware(dt.datetime.combine(today, dt.time.min))


def claims_today(user: User, *, now: dt.datetime | None = None) -> int:
    return OwnershipChange.objects.filter(
        to_user=user, reason=Reason.CLAIMED, changed_at__gte=_start_of_today(now or timezone.now())
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


# --- reclaim rules -----------------------------------------------------------------------------


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _idle_q(trigger: str, before: dt.date) -> Q:
    """Customers whose reference day (the later of "owned since" and the trigger's last event)
    falls before `before`, in the display time zone.

    Written as "each part is older" rather than comparing a GREATEST(): NULL handling of
    GREATEST differs between PostgreSQL and SQLite, and plain comparisons use the indexes.
    """
    cutoff = _day_start(before)
    owned = Q(owned_since__lt=cutoff) | Q(owned_since__isnull=True, created_at__lt=cutoff)
    if trigger == PoolRule.Trigger.NO_ACTIVITY:
        event = Q(last_contacted_at__isnull=True) | Q(last_contacted_at__lt=cutoff)
    elif trigger == PoolRule.Trigger.NO_OPPORTUNITY:
        event = Q(last_opportunity_at__isnull=True) | Q(last_opportunity_at__lt=cutoff)
    elif trigger == PoolRule.Trigger.NO_DEAL:
        event = Q(last_order_on__isnull=True) | Q(last_order_on__lt=before)
    else:  # pragma: no cover - a trigger added to the model without its rule here
        raise ValueError(trigger)
    return owned & event


def _rule_q(rule: PoolRule, overridden_levels: set[str]) -> Q:
    """Owned, reclaimable customers the rule's level applies to.

    A rule for one level overrides the any-level rule with the same trigger for that level
    ("A customers: 90 days without a visit" beats "everyone: 30 days").
    """
    q = Q(owner__isnull=False, is_locked=False, has_open_opportunities=False)
    if rule.level:
        q &= Q(level=rule.level)
    elif overridden_levels:
        q &= ~Q(level__in=overridden_levels)
    return q


def _active_rules() -> list[tuple[PoolRule, set[str]]]:
    rules = list(PoolRule.objects.filter(is_active=True).order_by("pk"))
    specific: dict[str, set[str]] = {}
    for rule in rules:
        if rule.level:
            specific.setdefault(rule.trigger, set()).add(rule.level)
    return [(rule, set() if rule.level else specific.get(rule.trigger, set())) for rule in rules]


def reference_day(customer: Customer, trigger: str) -> dt.date:
    """The day a rule's clock started for `customer` (the later of owned-since and last event)."""
    days = [timezone.localdate(customer.owned_since or customer.created_at)]
    if trigger == PoolRule.Trigger.NO_ACTIVITY and customer.last_contacted_at:
        days.append(timezone.localdate(customer.last_contacted_at))
    elif trigger == PoolRule.Trigger.NO_OPPORTUNITY and customer.last_opportunity_at:
        days.append(timezone.localdate(customer.last_opportunity_at))
    elif trigger == PoolRule.Trigger.NO_DEAL and customer.last_order_on:
        days.append(customer.last_order_on)
    return max(days)


def _rule_note(rule: PoolRule) -> str:
    return _t("Rule “%(name)s”: %(trigger)s for %(days)d days") % {
        "name": rule.name,
        "trigger": rule.get_trigger_display(),
        "days": rule.days,
    }


def pool_reclaim_run(*, now: dt.datetime | None = None) -> dict:
    """Return to the pool every customer an active rule says has been idle too long.

    A customer is reclaimed on the day `reference_day + rule.days` (display time zone) or any
    later run. Candidates are found in one query per rule; each batch is then re-selected under
    row locks with the same condition, so a follow-up logged meanwhile saves the customer, and a
    second run the same day changes nothing.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    counts: dict[str, int] = {}
    total = 0
    for rule, overridden in _active_rules():
        condition = _rule_q(rule, overridden) & _idle_q(
            rule.trigger, today - dt.timedelta(days=rule.days - 1)
        )
        ids = list(Customer.objects.filter(condition).order_by("pk").values_list("pk", flat=True))
        note = _rule_note(rule)
        moved = 0
        for start in range(0, len(ids), RECLAIM_BATCH):
            with transaction.atomic():
                batch = (
                    Customer.objects.select_for_update()
                    .filter(condition, pk__in=ids[start : start + RECLAIM_BATCH])
                    .order_by("pk")
                )
                for customer in batch:
                    ownership_change_record(
                        customer=customer,
                        to_user=None,
                        reason=Reason.RECLAIMED,
                        by=None,
                        note=note,
                        at=now,
                    )
                    moved += 1
        counts[f"{rule.pk}:{rule.name}"] = moved
        total += moved
    return {"reclaimed": total, "rules": counts}


def pool_warnings(*, user: User, today: dt.date | None = None) -> list[PoolWarning]:
    """Customers of `user` that a rule returns to the pool within the rule's warning days.

    One query for the rules and one for the customers (filtered in the database); the date is
    worked out only for the customers found. A customer under several rules appears once, with
    the earliest date. Sorted by that date, soonest first.
    """
    today = today or timezone.localdate()
    rules = _active_rules()
    if not rules:
        return []
    any_rule = Q(pk__in=[])
    for rule, overridden in rules:
        warn_before = today + dt.timedelta(days=rule.warn_days - rule.days + 1)
        any_rule |= _rule_q(rule, overridden) & _idle_q(rule.trigger, warn_before)
    customers = Customer.objects.filter(any_rule, owner=user).only(
        "pk",
        "name",
        "code",
        "level",
        "owner",
        "owned_since",
        "created_at",
        "last_contacted_at",
        "last_opportunity_at",
        "last_order_on",
        "is_locked",
        "has_open_opportunities",
    )
    warnings = []
    for customer in customers:
        best: PoolWarning | None = None
        for rule, overridden in rules:
            if rule.level and customer.level != rule.level:
                continue
            if not rule.level and customer.level in overridden:
                continue
            reclaim_on = reference_day(customer, rule.trigger) + dt.timedelta(days=rule.days)
            if reclaim_on > today + dt.timedelta(days=rule.warn_days):
                continue
            if best is None or reclaim_on < best.reclaim_on:
                best = PoolWarning(customer, rule, reclaim_on, (reclaim_on - today).days)
        if best is not None:
            warnings.append(best)
    warnings.sort(key=lambda w: (w.reclaim_on, w.customer.name, w.customer.pk))
    return warnings


# --- configuration -----------------------------------------------------------------------------


def pool_settings_update(*, settings: PoolSettings, by: User) -> PoolSettings:
    settings.full_clean()
    settings._change_reason = f"edited by {by.username}"
    settings.save()
    return settings


def pool_rule_save(*, rule: PoolRule, by: User) -> PoolRule:
    rule.full_clean()
    rule._change_reason = f"edited by {by.username}"
    rule.save()
    return rule
