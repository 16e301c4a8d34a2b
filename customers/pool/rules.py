"""The reclaim rules (a daily task), the warnings shown to owners, and the pool configuration."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _t

from crm.dates import start_of_day
from crm.models import User
from customers.models import Customer, OwnershipChange, PoolRule, PoolSettings
from customers.pool.claims import (
    RECLAIM_BATCH,
    PoolWarning,
)
from customers.services import ownership_change_record

Reason = OwnershipChange.Reason

# --- reclaim rules -----------------------------------------------------------------------------


def _idle_q(trigger: str, before: dt.date) -> Q:
    """Customers whose reference day (the later of "owned since" and the trigger's last event)
    falls before `before`, in the display time zone.

    Written as "each part is older" rather than comparing a GREATEST(): NULL handling of
    GREATEST differs between PostgreSQL and SQLite, and plain comparisons use the indexes.
    """
    cutoff = start_of_day(before)
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
