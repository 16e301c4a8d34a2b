"""The figures API the scorecards, dashboards and reports call (docs/kpis.md).

- `figures_for(user_ids, period)`: every metric for every person, one pass per metric for all
  of them (a handful of aggregate queries whatever the number of people; aggregates several
  metrics share, such as revenue, run once);
- `team_member_ids(user)` / `team_figures_for(managers, period)`: a manager's figures are their
  members' combined (sums of numerators over sums of denominators, never an average of rates),
  computed with one `figures_for` over the union of every team's members;
- `plan_targets(user_ids, period)` / `team_plan_targets(managers, period)`: the sales-plan
  targets summed over the period's months;
- `metric_value(figure)`: the value a figure shows (None = undefined, "n/a");
- `target_for(metric, targets)`: the "from the sales plan" target of a scheme item.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from decimal import Decimal

from django.db.models import Q

from crm.models import Team, User
from performance.metrics import RATE, Figure, Metric, all_metrics, get_metric, queries
from performance.periods import Period

Figures = dict[int, dict[str, Figure]]


def _metrics(metrics: Iterable[str | Metric] | None) -> list[Metric]:
    if metrics is None:
        return all_metrics()
    return [m if isinstance(m, Metric) else get_metric(m) for m in metrics]


def figures_for(
    user_ids: Collection[int], period: Period, metrics: Iterable[str | Metric] | None = None
) -> Figures:
    """{user id: {metric key: Figure}} for every person in `user_ids` and every metric asked
    (all registered ones by default); people with no rows get the metric's empty figure."""
    user_ids = list(dict.fromkeys(user_ids))
    chosen = _metrics(metrics)
    result: Figures = {u: {} for u in user_ids}
    if not user_ids:
        return result
    with queries.shared_results():
        for metric in chosen:
            computed = metric.figures(user_ids, period)
            for u in user_ids:
                result[u][metric.key] = metric.figure_of(computed, u)
    return result


def team_members(managers: Iterable[User]) -> dict[int, list[int]]:
    """{manager id: ids of the active users in the subtrees of the teams they manage, the
    manager included}; someone who manages no team stands for themselves alone. Two
    queries whatever the number of managers."""
    managers = list(managers)
    result = {m.pk: [m.pk] for m in managers}
    teams = list(
        Team.objects.filter(manager__in=[m.pk for m in managers], is_active=True).values_list(
            "manager_id", "path"
        )
    )
    if not teams:
        return result
    paths_q = Q()
    for _manager, path in teams:
        paths_q |= Q(team__path__startswith=path)
    members = User.objects.filter(paths_q, is_active=True).values_list("pk", "team__path")
    seen = {m: set(ids) for m, ids in result.items()}
    for user_id, team_path in members:
        for manager_id, path in teams:
            if team_path.startswith(path) and user_id not in seen[manager_id]:
                seen[manager_id].add(user_id)
                result[manager_id].append(user_id)
    return result


def team_member_ids(user: User) -> list[int]:
    """The active users in the subtrees of the teams `user` manages, `user` included; [user.pk]
    when they manage no team."""
    return team_members([user])[user.pk]


def team_figures_for(
    managers: Iterable[User], period: Period, metrics: Iterable[str | Metric] | None = None
) -> Figures:
    """{manager id: {metric key: combined Figure of the team's members}}, computed with ONE
    `figures_for` over the union of all the teams' members."""
    members = team_members(managers)
    everyone = {u for ids in members.values() for u in ids}
    chosen = _metrics(metrics)
    figures = figures_for(everyone, period, chosen)
    return {
        manager_id: {
            metric.key: metric.combine(figures[u][metric.key] for u in ids) for metric in chosen
        }
        for manager_id, ids in members.items()
    }


def plan_targets(user_ids: Collection[int], period: Period) -> dict[int, dict[str, Decimal]]:
    """{user id: {"revenue_target", "new_customer_target", "visit_target"}} summed over the
    period's months of each person's own plan rows; someone with no plan row in the period
    has no keys (a plan-based target is then missing: the item is undefined)."""
    sums = queries.plan_sums(list(user_ids), period)
    return {u: dict(sums.get(u, {})) for u in user_ids}


def team_plan_targets(managers: Iterable[User], period: Period) -> dict[int, dict[str, Decimal]]:
    """{manager id: targets summed over the members who have a plan}; no keys when none has."""
    members = team_members(managers)
    per_user = plan_targets({u for ids in members.values() for u in ids}, period)
    result: dict[int, dict[str, Decimal]] = {}
    for manager_id, ids in members.items():
        total: dict[str, Decimal] = {}
        for u in ids:
            for field, value in per_user[u].items():
                total[field] = total.get(field, Decimal(0)) + value
        result[manager_id] = total
    return result


def metric_value(figure: Figure) -> Decimal | None:
    """What a figure shows: rates to 4 places (half-up), counts and money as they are; None
    when undefined (shown "n/a")."""
    return figure.value


def target_for(metric: Metric, targets: dict[str, Decimal]) -> Decimal | None:
    """The "from the sales plan" target of `metric` for someone's `targets` (plan_targets):
    the plan's amount for a count or money metric (revenue, visits, new customers); 1 (100 %)
    for a rate measured against the plan (plan completion, new-customer rate) when the plan has
    its field; None when the plan lacks it (the item is then undefined)."""
    if metric.plan_field is None or targets.get(metric.plan_field) is None:
        return None
    if metric.unit == RATE:
        return Decimal(1)
    return Decimal(targets[metric.plan_field])
