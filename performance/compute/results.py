"""Scoring one or many people under their schemes (../shared/KPIS.md, "Scoring"), without
writing: the figures come from `performance.figures` (one call for everyone scored on their own
figures, one for the managers scored on their teams'), targets fixed or from the sales plan."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from performance.metrics import LOWER, Figure, get_metric
from performance.models import KpiScheme, KpiSchemeItem
from performance.periods import Period
from performance.scoring import ItemScore, grade, score_item, weighted_total

if TYPE_CHECKING:
    from crm.models import User

# Why a person got no (new) scorecard; the keys are counted in runs and printed by the command.
SKIP_NO_SCHEME = "no_scheme"
SKIP_UNDER_REVIEW = "under_review"
SKIP_PUBLISHED = "published"
SKIP_APPEALED = "appealed"
SKIP_REASONS = {
    SKIP_NO_SCHEME: _("no active KPI scheme for their position"),
    SKIP_UNDER_REVIEW: _("already under review (past the manager's step)"),
    SKIP_PUBLISHED: _("published"),
    SKIP_APPEALED: _("appealed (a published result keeps its figures and scheme)"),
}


def skip_codes(skipped: Mapping[str, int]) -> str:
    """Skip counts as stored on a run ("2 no_scheme; 1 under_review"): language-neutral, so
    each reader sees the reasons in their own language (`describe_skips`)."""
    return "; ".join(f"{n} {key}" for key, n in sorted(skipped.items()) if n)


def describe_skips(message: str) -> str:
    """A run's stored skip counts in the active language; any other text (an older run, an
    error) as it is."""
    parts = []
    for part in (message or "").split("; "):
        count, _sep, key = part.partition(" ")
        if not count.isdigit() or key not in SKIP_REASONS:
            return message
        parts.append(f"{count} {SKIP_REASONS[key]}")
    return "; ".join(parts)


def _api():
    """The figures module of the metrics engineer (imported late: tests may stand in for it)."""
    from performance import figures

    return figures


@dataclass
class ItemResult:
    scheme_item: KpiSchemeItem
    numerator: Decimal | None
    denominator: Decimal | None
    actual: Decimal | None  # the figure's value (rates to 4 places)
    target: Decimal | None
    achievement: Decimal | None  # exact
    score: Decimal | None  # None: undefined, left out of the total

    @property
    def metric(self) -> str:
        return self.scheme_item.metric

    @property
    def weight(self) -> Decimal:
        return self.scheme_item.weight

    @property
    def is_defined(self) -> bool:
        return self.score is not None


@dataclass
class ScoreResult:
    user: User
    period: Period
    scheme: KpiScheme | None
    items: list[ItemResult] = field(default_factory=list)
    total: Decimal | None = None  # before any adjustment
    grade: str = ""
    skipped: str = ""  # a key of SKIP_REASONS when there is nothing to score with

    @property
    def undefined(self) -> list[str]:
        """The metrics left out (zero denominator or no target): the other weights count."""
        return [item.metric for item in self.items if not item.is_defined]


def active_schemes() -> dict[int, KpiScheme]:
    """The active scheme of each position (by position id), with their items: one query each."""
    schemes = KpiScheme.objects.filter(status=KpiScheme.Status.ACTIVE).prefetch_related("items")
    return {scheme.position_id: scheme for scheme in schemes}


def _metric_or_none(key: str):
    try:
        return get_metric(key)
    except KeyError:
        return None


def _plan_target(metric, plan: Mapping[str, Decimal]) -> Decimal | None:
    """The plan-based target of `metric`: the figures module decides (a rate against the plan,
    such as plan completion, has target 1 when the plan has its field); None when missing."""
    api = _api()
    if hasattr(api, "target_for"):
        return api.target_for(metric, dict(plan))
    raw = plan.get(metric.plan_field) if metric.plan_field else None
    return Decimal(raw) if raw is not None else None


def _score_items(
    scheme: KpiScheme, figures: Mapping[str, Figure], plan: Mapping[str, Decimal]
) -> list[ItemResult]:
    results = []
    for item in scheme.items.all():
        metric = _metric_or_none(item.metric)
        if metric is None:  # a metric removed from the code base: undefined, not a crash
            results.append(ItemResult(item, None, None, None, None, None, None))
            continue
        figure = figures.get(item.metric) or metric.empty()
        if item.target_source == KpiSchemeItem.TargetSource.PLAN:
            target = _plan_target(metric, plan)
        else:
            target = item.target
        scored: ItemScore = score_item(
            figure.exact, target, lower_is_better=metric.direction == LOWER, cap=item.cap
        )
        results.append(
            ItemResult(
                scheme_item=item,
                numerator=figure.numerator,
                denominator=figure.denominator,
                actual=figure.value,
                target=target,
                achievement=scored.achievement,
                score=scored.score,
            )
        )
    return results


def result_for(user, period, scheme, figures, plan) -> ScoreResult:
    items = _score_items(scheme, figures, plan)
    total = weighted_total((item.weight, item.score) for item in items)
    return ScoreResult(user, period, scheme, items, total, grade(total, scheme.bands))


def _needs_plan(scheme: KpiScheme) -> bool:
    return any(i.target_source == KpiSchemeItem.TargetSource.PLAN for i in scheme.items.all())


def _team_plan_targets(managers: Sequence[User], period: Period) -> dict[int, dict]:
    """The plan targets of managers scored on team figures: the figures module's team version
    when it has one, else the sum of the members' targets."""
    api = _api()
    if hasattr(api, "team_plan_targets"):
        return api.team_plan_targets(managers, period)
    members = {m.pk: api.team_member_ids(m) for m in managers}
    all_ids = sorted({uid for ids in members.values() for uid in ids})
    per_user = api.plan_targets(all_ids, period) if all_ids else {}
    result: dict[int, dict] = {}
    for manager_id, ids in members.items():
        sums: dict[str, Decimal] = {}
        for uid in ids:
            for key, value in (per_user.get(uid) or {}).items():
                if value is not None:
                    sums[key] = sums.get(key, Decimal(0)) + Decimal(value)
        result[manager_id] = sums
    return result


def figures_and_plans(
    users: Sequence[User], schemes: Mapping[int, KpiScheme], period: Period
) -> tuple[dict[int, dict], dict[int, dict]]:
    """Figures and plan targets of everyone in `users` who has a scheme: one figures call for the
    individuals and one for the team-figure people, whatever their number."""
    api = _api()
    individual, team = [], []
    keys_ind: set[str] = set()
    keys_team: set[str] = set()
    plan_ind = plan_team = False
    for user in users:
        scheme = schemes.get(user.position_id)
        if scheme is None:
            continue
        keys = {i.metric for i in scheme.items.all()}
        if scheme.uses_team_figures:
            team.append(user)
            keys_team |= keys
            plan_team |= _needs_plan(scheme)
        else:
            individual.append(user)
            keys_ind |= keys
            plan_ind |= _needs_plan(scheme)
    figures: dict[int, dict] = {}
    plans: dict[int, dict] = {}
    if individual:
        ids = [u.pk for u in individual]
        figures.update(api.figures_for(ids, period, metrics=sorted(keys_ind)))
        if plan_ind:
            plans.update(api.plan_targets(ids, period))
    if team:
        figures.update(api.team_figures_for(team, period, metrics=sorted(keys_team)))
        if plan_team:
            plans.update(_team_plan_targets(team, period))
    return figures, plans


def score_user(
    user: User,
    period: Period,
    scheme: KpiScheme | None = None,
    figures: Mapping[str, Figure] | None = None,
    plan: Mapping[str, Decimal] | None = None,
) -> ScoreResult:
    """Score `user` for `period` under `scheme` (default: the active scheme of their position).
    `figures` ({metric key: Figure}) and `plan` are read when not given. No writes."""
    if scheme is None:
        scheme = (
            KpiScheme.objects.filter(
                status=KpiScheme.Status.ACTIVE, position_id=user.position_id
            ).first()
            if user.position_id
            else None
        )
        if scheme is None:
            return ScoreResult(user, period, None, skipped=SKIP_NO_SCHEME)
    if figures is None or (plan is None and _needs_plan(scheme)):
        all_figures, plans = figures_and_plans([user], {user.position_id: scheme}, period)
        figures = all_figures.get(user.pk, {}) if figures is None else figures
        plan = plans.get(user.pk, {}) if plan is None else plan
    return result_for(user, period, scheme, figures, plan or {})
