"""Who may define, see and change custom statistics, and the reads of the statistics pages.

- Defining: administrators, sales planning, the sales VP, HR, regional managers and whoever
  manages a team (the people who decide what the company measures). Reps only view what is
  shared with them.
- Seeing a statistic: its author, the people it is shared with, everyone in a position it is
  shared with, and administrators (who may also change or delete any).
- Changing or deleting: its author or an administrator.
- Running it always happens in the viewer's own data scope (engine.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from crm.models import Position, Team, User, is_administrator
from performance.models import CustomStatistic
from performance.statistics.conditions import clean_condition
from performance.statistics.engine import Result, run
from performance.statistics.modules import (
    CUSTOMER,
    OPERATORS,
    TEAM,
    USER,
    InvalidDefinitionError,
    get_module,
)

DEFINER_POSITIONS = (
    Position.Kind.SALES_PLANNER,
    Position.Kind.SALES_VP,
    Position.Kind.HR,
    Position.Kind.REGIONAL_MANAGER,
    Position.Kind.ADMIN,
)
PANEL_LIMIT = 6


def can_define(user) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if is_administrator(user):
        return True
    if user.position is not None and user.position.kind in DEFINER_POSITIONS:
        return True
    return Team.objects.filter(manager=user, is_active=True).exists()


def can_edit(user, statistic: CustomStatistic) -> bool:
    return statistic.owner_id == user.pk or is_administrator(user)


def statistics_visible_to(user) -> QuerySet[CustomStatistic]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return CustomStatistic.objects.none()
    if is_administrator(user):
        return CustomStatistic.objects.all()
    q = Q(owner=user) | Q(shared_users=user)
    if user.position_id:
        q |= Q(shared_positions=user.position_id)
    # A subquery rather than DISTINCT over the joins: the list stays sortable and countable.
    ids = CustomStatistic.objects.filter(q).values("pk")
    return CustomStatistic.objects.filter(pk__in=ids)


def statistic_list(user) -> QuerySet[CustomStatistic]:
    return (
        statistics_visible_to(user)
        .select_related("owner")
        .prefetch_related("shared_positions")
        .annotate(shared_user_count=Count("shared_users", distinct=True))
        .order_by("name", "pk")
    )


def shared_statistics_for(user) -> QuerySet[CustomStatistic]:
    """The statistics shared with `user` (directly or through their position): what their
    dashboard shows. Their own ones only when they shared them with themselves or their
    position."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return CustomStatistic.objects.none()
    q = Q(shared_users=user)
    if user.position_id:
        q |= Q(shared_positions=user.position_id)
    ids = CustomStatistic.objects.filter(q).values("pk")
    return CustomStatistic.objects.filter(pk__in=ids).select_related("owner").order_by("name")


@dataclass
class StatisticResult:
    statistic: CustomStatistic
    result: Result | None  # None: the definition no longer runs (a module changed)

    @property
    def chart_id(self) -> str:
        return f"statistic-chart-{self.statistic.pk}"


def run_safely(statistic: CustomStatistic, viewer) -> Result | None:
    try:
        return run(statistic, viewer)
    except InvalidDefinitionError:
        return None


def shared_statistic_results(user, *, limit: int = PANEL_LIMIT) -> list[StatisticResult]:
    """What `performance/statistics/_panel.html` shows: each shared statistic run in the
    USER's scope (two queries each, at most `limit` statistics)."""
    return [
        StatisticResult(statistic=s, result=run_safely(s, user))
        for s in shared_statistics_for(user)[:limit]
    ]


def describe_conditions(statistic: CustomStatistic, viewer=None) -> list[str]:
    """The conditions of a runnable definition in words ("Status is one of Confirmed,
    Shipped"): choices by their label, people and teams by name, customers by name only when
    `viewer` may see them (a statistic shared by someone who sees more must not reveal the
    names of customers outside the viewer's scope); one query per kind named. The stored
    conditions are read through the same validation as when they run (canonical values)."""
    from customers.models import Customer

    module = get_module(statistic.module)
    conditions = []
    for condition in statistic.conditions or []:
        try:
            conditions.append(clean_condition(module, condition, stored=True))
        except ValidationError:
            return []  # (run() refuses it too: the page says it no longer runs)
    wanted: dict[str, set[int]] = {USER: set(), TEAM: set(), CUSTOMER: set()}
    for condition in conditions:
        spec = module.fields[condition["field"]]
        if spec.type in wanted and condition["value"] is not None:
            values = condition["value"]
            wanted[spec.type].update(
                int(v) for v in (values if isinstance(values, list) else [values])
            )
    names: dict[str, dict[str, str]] = {kind: {} for kind in wanted}
    if wanted[USER]:
        names[USER] = {
            str(u.pk): u.get_full_name() or u.username
            for u in User.objects.filter(pk__in=wanted[USER])
        }
    if wanted[TEAM]:
        names[TEAM] = {
            str(pk): name
            for pk, name in Team.objects.filter(pk__in=wanted[TEAM]).values_list("pk", "name")
        }
    if wanted[CUSTOMER]:
        customers = Customer.objects.visible_to(viewer) if viewer is not None else Customer.objects
        names[CUSTOMER] = {
            str(pk): name
            for pk, name in customers.filter(pk__in=wanted[CUSTOMER]).values_list("pk", "name")
        }
    hidden = str(_("a customer you cannot see"))
    out = []
    for condition in conditions:
        spec = module.fields[condition["field"]]
        labels = names.get(spec.type) or {str(k): str(v) for k, v in spec.choices}
        value = condition["value"]
        values = value if isinstance(value, list) else ([] if value is None else [value])
        shown = [labels.get(v, hidden if spec.type == CUSTOMER else v) for v in values]
        if condition["op"] == "last_days":
            out.append(f"{spec.label} {_('in the last %(n)s days') % {'n': value}}")
            continue
        if condition["op"] == "between":
            text = str(_("%(low)s and %(high)s") % {"low": shown[0], "high": shown[1]})
        else:
            text = ", ".join(shown)
        out.append(f"{spec.label} {OPERATORS[condition['op']]} {text}".strip())
    return out
