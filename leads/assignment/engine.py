"""Automatic assignment under row locks: the one place that gives leads to reps by the rules.

Locks are always taken in the same order, so two workers never deadlock and never assign one
lead twice:

1. the leads, `select_for_update(skip_locked=True)`: a lead another worker holds is skipped (it
   is being handled); a lead is re-checked under its lock (still unowned, still new);
2. the rules that may take them, by primary key: this serialises the round-robin state and the
   loads of the rule's members;
3. the members' user rows (FOR NO KEY UPDATE), by primary key: a rep in two rules is never
   filled past capacity by two workers serving the two rules at once.

Loads (open leads per rep) are counted once the locks are held, then kept in memory for the
batch. On SQLite the locks are no-ops (one writer at a time anyway).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from crm.models import User
from crm.selectors import may_own_records
from leads.assignment.picking import Pool
from leads.models import AssignmentLog, AssignmentRule, Lead, RuleMember

logger = logging.getLogger(__name__)

BATCH = 200  # leads per transaction


@dataclass
class BatchResult:
    assigned: list[tuple[int, int]] = field(default_factory=list)  # (lead id, user id)
    queued: list[int] = field(default_factory=list)  # no rule (or no member with room)
    skipped: int = 0  # locked by another worker, or no longer waiting
    fresh: int = 0  # leads in the batch never tried before (new, not from the default queue)

    def as_dict(self) -> dict:
        return {"assigned": len(self.assigned), "queued": len(self.queued), "skipped": self.skipped}


def active_rules() -> list[AssignmentRule]:
    return list(AssignmentRule.objects.filter(is_active=True).order_by("priority", "pk"))


def open_loads(user_ids: Iterable[int]) -> dict[int, int]:
    """Open leads (new, contacted, qualified) per user: one grouped query."""
    ids = list(set(user_ids))
    loads = dict.fromkeys(ids, 0)
    if ids:
        rows = (
            Lead.objects.filter(owner_id__in=ids, status__in=Lead.OPEN_STATUSES)
            .values("owner_id")
            .annotate(n=Count("pk"))
            .order_by()
        )
        loads.update({row["owner_id"]: row["n"] for row in rows})
    return loads


def rule_members(rules: list[AssignmentRule]) -> tuple[dict[int, list], dict[int, list], dict]:
    """All members per rule, the eligible ones per rule, and why the others are skipped."""
    members = list(
        RuleMember.objects.filter(rule__in=rules).select_related("user").order_by("rule_id", "pk")
    )
    may_own = set(
        User.objects.filter(may_own_records(), pk__in={m.user_id for m in members}).values_list(
            "pk", flat=True
        )
    )
    every: dict[int, list] = {r.pk: [] for r in rules}
    eligible: dict[int, list] = {r.pk: [] for r in rules}
    skipped: dict[int, str] = {}
    for m in members:
        every[m.rule_id].append(m)
        if not m.is_active:
            skipped[m.pk] = "paused"
        elif not m.user.is_active:
            skipped[m.pk] = "deactivated"
        elif m.user_id not in may_own:
            skipped[m.pk] = "cannot_own"
        else:
            eligible[m.rule_id].append(m)
    return every, eligible, skipped


class Assigner:
    """One transaction's worth of assignments: rules locked, loads counted, state in memory."""

    def __init__(self, rules: list[AssignmentRule], *, lock: bool = True):
        self.rules = rules
        if lock and rules:
            locked = AssignmentRule.objects.select_for_update().filter(pk__in=[r.pk for r in rules])
            fresh = {r.pk: r for r in locked.order_by("pk")}
            self.rules = [fresh[r.pk] for r in rules if r.pk in fresh and fresh[r.pk].is_active]
        self.every, eligible, self.skipped = rule_members(self.rules)
        user_ids = sorted({m.user_id for ms in eligible.values() for m in ms})
        if lock and user_ids:
            list(
                User.objects.select_for_update(no_key=True)
                .filter(pk__in=user_ids)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
        self.loads = open_loads(user_ids)
        self.pools = {r.pk: Pool.for_rule(r, eligible[r.pk], self.loads) for r in self.rules}

    def candidates_for(self, lead: Lead) -> list[AssignmentRule]:
        return [r for r in self.rules if r.matches(lead)]

    def choose(
        self, lead: Lead, *, exclude_user_ids: frozenset[int] = frozenset(), only=None
    ) -> tuple[AssignmentRule, RuleMember, dict] | None:
        """The first matching rule with a member who has room (a full rule overflows to the
        next matching one), the member, and the loads snapshot before the pick."""
        rules = [only] if only is not None else self.candidates_for(lead)
        for rule in rules:
            pool = self.pools.get(rule.pk)
            if pool is None:
                continue
            full = {
                m.pk: "full"
                for m in pool.members
                if not pool.has_room(m) and m.user_id not in exclude_user_ids
            }
            snapshot = pool.snapshot(self.every[rule.pk], {**self.skipped, **full})
            member = pool.pick(exclude_user_ids=exclude_user_ids)
            if member is not None:
                return rule, member, snapshot
        return None

    def save_state(self) -> None:
        for pool in self.pools.values():
            pool.save_state()


def _lock_waiting(lead_ids: list[int] | None, limit: int) -> list[Lead]:
    qs = Lead.objects.select_for_update(skip_locked=True, of=("self",)).filter(
        owner__isnull=True, status=Lead.Status.NEW
    )
    if lead_ids is not None:
        qs = qs.filter(pk__in=lead_ids).order_by("pk")
    else:
        qs = qs.order_by(F("assign_attempted_at").asc(nulls_first=True), "created_at", "pk")
    return list(qs[:limit])


def assign_waiting(
    *, lead_ids: list[int] | None = None, limit: int = BATCH, also_waiting: int = 0
) -> BatchResult:
    """Assign unowned new leads by the rules, in one transaction.

    `lead_ids`: these leads (those still waiting); None: the longest-waiting ones (the sweep).
    `also_waiting`: take up to this many other waiting leads along (a burst of new leads is
    then served in batches instead of one transaction per lead).
    """
    result = BatchResult()
    rules = active_rules()
    with transaction.atomic():
        leads = _lock_waiting(lead_ids, limit)
        if lead_ids is not None:
            result.skipped = len(set(lead_ids)) - len(leads)
        if also_waiting and rules:
            seen = {lead.pk for lead in leads}
            leads += [x for x in _lock_waiting(None, also_waiting + len(seen)) if x.pk not in seen][
                :also_waiting
            ]
        if not leads:
            return result
        result.fresh = sum(1 for lead in leads if lead.assign_attempted_at is None)
        needed = [r for r in rules if any(r.matches(lead) for lead in leads)]
        assigner = Assigner(needed)
        now = timezone.now()
        changed, logs = [], []
        for lead in sorted(leads, key=lambda x: (x.created_at, x.pk)):
            choice = assigner.choose(lead)
            if choice is None:
                result.queued.append(lead.pk)
                continue
            rule, member, snapshot = choice
            _give(lead, member.user_id, rule=rule, at=now)
            changed.append(lead)
            logs.append(
                AssignmentLog(
                    lead=lead,
                    to_user_id=member.user_id,
                    rule=rule,
                    method=rule.method,
                    reason=AssignmentLog.Reason.RULE,
                    loads=snapshot,
                    created_at=now,
                )
            )
            result.assigned.append((lead.pk, member.user_id))
        assigner.save_state()
        _write(changed, logs, reason="assigned by rule")
        if result.queued:
            Lead.objects.filter(pk__in=result.queued).update(assign_attempted_at=now)
        _notify_assigned(result.assigned)
    return result


def sla_reassign_due(*, limit: int = BATCH, now: dt.datetime | None = None) -> BatchResult:
    """Give each lead not contacted by its SLA deadline to the next member of its rule."""
    now = now or timezone.now()
    result = BatchResult()
    with transaction.atomic():
        leads = list(
            Lead.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                sla_due_at__lte=now,
                first_contacted_at__isnull=True,
                owner__isnull=False,
                status__in=Lead.OPEN_STATUSES,
            )
            .order_by("sla_due_at", "pk")[:limit]
        )
        if not leads:
            return result
        rules = active_rules()
        by_pk = {r.pk: r for r in rules}
        assigner = Assigner(
            [r for r in rules if any(lead.rule_id == r.pk or r.matches(lead) for lead in leads)]
        )
        changed, logs, retry_later, previous = [], [], [], {}
        for lead in leads:
            rule = by_pk.get(lead.rule_id)
            choice = assigner.choose(
                lead,
                exclude_user_ids=frozenset({lead.owner_id}),
                only=rule if rule is not None else None,
            )
            if choice is None:
                retry_later.append(lead)
                continue
            new_rule, member, snapshot = choice
            hours = (rule or new_rule).sla_hours
            previous[lead.pk] = lead.owner_id
            logs.append(
                AssignmentLog(
                    lead=lead,
                    from_user_id=lead.owner_id,
                    to_user_id=member.user_id,
                    rule=new_rule,
                    method=new_rule.method,
                    reason=AssignmentLog.Reason.SLA,
                    loads=snapshot,
                    sla_hours=hours,
                    created_at=now,
                )
            )
            _give(lead, member.user_id, rule=new_rule, at=now)
            changed.append(lead)
            result.assigned.append((lead.pk, member.user_id))
        assigner.save_state()
        _write(changed, logs, reason="first contact overdue")
        for lead in retry_later:
            # Nobody else can take it now: the owner keeps it and it is checked again later.
            rule = by_pk.get(lead.rule_id)
            hours = rule.sla_hours if rule is not None and rule.sla_hours else 1
            Lead.objects.filter(pk=lead.pk).update(sla_due_at=now + dt.timedelta(hours=hours))
            result.queued.append(lead.pk)
        _notify_assigned(result.assigned, reclaimed_from=previous)
    return result


def _give(lead: Lead, user_id: int, *, rule: AssignmentRule | None, at: dt.datetime) -> None:
    lead.owner_id = user_id
    lead.assigned_at = at
    lead.rule = rule
    lead.sla_due_at = at + dt.timedelta(hours=rule.sla_hours) if rule and rule.sla_hours else None


def _write(changed: list[Lead], logs: list[AssignmentLog], *, reason: str) -> None:
    """Save the new owners: one UPDATE per (owner, rule) group rather than a CASE per row (the
    generic bulk_update spent most of a batch building its SQL), then the history rows."""
    if not changed:
        return
    groups: dict[tuple, list[int]] = defaultdict(list)
    for lead in changed:
        groups[(lead.owner_id, lead.rule_id, lead.assigned_at, lead.sla_due_at)].append(lead.pk)
    for (owner_id, rule_id, assigned_at, sla_due_at), ids in groups.items():
        Lead.objects.filter(pk__in=ids).update(
            owner_id=owner_id,
            rule_id=rule_id,
            assigned_at=assigned_at,
            sla_due_at=sla_due_at,
            updated_at=assigned_at,
        )
    Lead.history.bulk_history_create(changed, update=True, default_change_reason=reason)
    AssignmentLog.objects.bulk_create(logs)


def _notify_assigned(assigned: list[tuple[int, int]], reclaimed_from: dict | None = None) -> None:
    from leads.notify import notify_assigned

    if assigned:
        notify_assigned(assigned, reclaimed_from=reclaimed_from or {})


def dry_run(count: int, *, leads: list[Lead] | None = None) -> list[dict]:
    """Where the next `count` leads would go, without writing anything.

    With `leads`, those leads (the waiting queue) are played through the rules; without, a lead
    matching each rule in turn is imagined (the rule's first values), so admins see each rule's
    rotation. The loads are today's; nothing is locked.
    """
    rules = active_rules()
    assigner = Assigner(rules, lock=False)
    rows = []
    samples = leads if leads is not None else _imagined_leads(rules, count)
    for lead in samples[:count]:
        choice = assigner.choose(lead)
        rows.append(
            {
                "lead": lead,
                "rule": choice[0] if choice else None,
                "user": choice[1].user if choice else None,
                "open_after": assigner.loads.get(choice[1].user_id) if choice else None,
            }
        )
    return rows


def _imagined_leads(rules: list[AssignmentRule], count: int) -> list[Lead]:
    if not rules:
        return []
    out = []
    while len(out) < count:
        for rule in rules:
            out.append(
                Lead(
                    name="—",
                    source=(rule.sources or [Lead.Source.OTHER])[0],
                    region=(rule.regions or [""])[0],
                    industry=(rule.industries or [""])[0],
                )
            )
    return out[:count]


def waiting_q() -> Q:
    return Q(owner__isnull=True, status=Lead.Status.NEW)
