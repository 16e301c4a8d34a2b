"""Writes of sales plans: saving a grid, copying last month. One transaction each; every row
keeps its history (django-simple-history)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from simple_history.utils import bulk_create_with_history

from crm.models import Team, User
from performance.models import SalesPlan
from performance.periods import Period
from performance.plans.access import PlanAccess
from performance.plans.selectors import TARGETS


@dataclass
class SaveResult:
    created: int = 0
    updated: int = 0
    deleted: int = 0

    @property
    def changed(self) -> int:
        return self.created + self.updated + self.deleted


def _key(plan: SalesPlan) -> tuple[str, int]:
    return ("t", plan.team_id) if plan.team_id else ("u", plan.user_id)


def plans_save(
    *,
    month: dt.date,
    changes: list[tuple[Team | User, dict[str, Any] | None]],
    by: User,
    access: PlanAccess,
) -> SaveResult:
    """Set the targets of `month` for each (team or person, values) in `changes`, all or
    nothing. Values None removes the row (the grid row was emptied). Raises PermissionDenied if
    any target is outside what `access` may change (nothing is written then)."""
    for target, _values in changes:
        allowed = (
            access.can_edit_team(target)
            if isinstance(target, Team)
            else access.can_edit_user(target)
        )
        if not allowed:
            raise PermissionDenied
    team_ids = [t.pk for t, _v in changes if isinstance(t, Team)]
    user_ids = [t.pk for t, _v in changes if not isinstance(t, Team)]
    result = SaveResult()
    with transaction.atomic():
        existing = {
            _key(p): p
            for p in SalesPlan.objects.select_for_update()
            .filter(month=month)
            .filter(Q(team_id__in=team_ids) | Q(user_id__in=user_ids))
        }
        for target, values in changes:
            key = ("t", target.pk) if isinstance(target, Team) else ("u", target.pk)
            plan = existing.get(key)
            if values is None:
                if plan is not None:
                    plan._change_reason, plan._history_user = "plan grid", by
                    plan.delete()
                    result.deleted += 1
                continue
            if plan is None:
                plan = SalesPlan(month=month, **{"team" if key[0] == "t" else "user": target})
                created = True
            else:
                created = False
                if all(getattr(plan, name) == values[name] for name in TARGETS):
                    continue
            for name in TARGETS:
                setattr(plan, name, values[name])
            plan.updated_by = by
            plan._change_reason, plan._history_user = "plan grid", by
            plan.full_clean(exclude=["user", "team", "updated_by"])
            plan.save()
            if created:
                result.created += 1
            else:
                result.updated += 1
    return result


@dataclass
class CopyResult:
    source: Period
    copied: int = 0
    skipped: int = 0


def plans_copy_previous_month(
    *, team: Team, month: Period, by: User, access: PlanAccess
) -> CopyResult:
    """Copy last month's plans of `team`'s subtree (its teams and the people in them) into
    `month`, for every team or person who has no plan in `month` yet: an existing plan is never
    overwritten (it counts as skipped). Rows `access` may not change are left alone."""
    if not access.can_edit_within(team):
        raise PermissionDenied
    source = month.previous()
    in_subtree = Q(team__path__startswith=team.path) | Q(user__team__path__startswith=team.path)
    editable = access.editable_q()
    result = CopyResult(source=source)
    with transaction.atomic():
        # Two copies of the same team wait for each other: the second finds the first's rows
        # and skips them. (Overlapping subtrees fall back on the unique constraints.)
        list(Team.objects.select_for_update().filter(pk=team.pk).values("pk"))
        current = {
            _key(p)
            for p in SalesPlan.objects.select_for_update(of=("self",))
            .filter(in_subtree, month=month.start)
            .only("team_id", "user_id")
        }
        new = []
        for plan in (
            SalesPlan.objects.filter(in_subtree, editable, month=source.start)
            .filter(Q(team__is_active=True) | Q(user__is_active=True))
            .order_by("pk")
        ):
            if _key(plan) in current:
                result.skipped += 1
                continue
            new.append(
                SalesPlan(
                    month=month.start,
                    team_id=plan.team_id,
                    user_id=plan.user_id,
                    revenue_target=plan.revenue_target,
                    new_customer_target=plan.new_customer_target,
                    visit_target=plan.visit_target,
                    updated_by=by,
                )
            )
        bulk_create_with_history(
            new, SalesPlan, default_user=by, default_change_reason="copied from last month"
        )
        result.copied = len(new)
    return result
