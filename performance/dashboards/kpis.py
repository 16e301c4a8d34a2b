"""KPI cells of the dashboards: live figures from the registered metrics, targets from the
schemes (fixed, or summed from the sales plans of the period's months), achievement through
performance.scoring, and the red / amber / green status shown beside each number.

Every function works on many people at once: one pass per metric (the metric's own aggregate
queries) and one query for the plans, whatever the number of people.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from crm.models import Position
from performance.metrics import CONTRACT_KEYS, LOWER, RATE, Figure, Metric, get_metric
from performance.models import KpiScheme, KpiSchemeItem, SalesPlan
from performance.periods import Period
from performance.scoring import score_item

GREEN_FROM = Decimal("1")  # achievement >= 100 %: on target
AMBER_FROM = Decimal("0.85")  # >= 85 %: close; below: red

RAG_LABELS = {
    "green": _("On target"),
    "amber": _("Close to target"),
    "red": _("Behind target"),
    "na": _("Not defined"),
}

PLAN_FIELDS = ("revenue_target", "new_customer_target", "visit_target")


def rag(achievement: Decimal | None) -> str:
    """green at 100 % of the target or more, amber from 85 %, red below, "na" when undefined."""
    if achievement is None:
        return "na"
    if achievement >= GREEN_FROM:
        return "green"
    if achievement >= AMBER_FROM:
        return "amber"
    return "red"


def metric_or_none(key: str) -> Metric | None:
    try:
        return get_metric(key)
    except KeyError:
        return None


def metric_label(key: str) -> str:
    metric = metric_or_none(key)
    return str(metric.name) if metric is not None else key


def format_value(key: str, value: Decimal | None) -> str:
    metric = metric_or_none(key)
    if value is None:
        return str(_("n/a"))
    if metric is None:
        return f"{Decimal(value).normalize():f}"
    return metric.format(Decimal(value))


@dataclass
class KpiCell:
    key: str
    actual: Decimal | None
    target: Decimal | None
    achievement: Decimal | None
    score: Decimal | None = None
    url: str = ""  # the records behind the number (a scorecard item's drill-down)

    @property
    def label(self) -> str:
        return metric_label(self.key)

    @property
    def actual_display(self) -> str:
        return format_value(self.key, self.actual)

    @property
    def target_display(self) -> str:
        return format_value(self.key, self.target) if self.target is not None else "–"

    @property
    def achievement_percent(self) -> str:
        if self.achievement is None:
            return "–"
        return f"{(self.achievement * 100).quantize(Decimal('0.1'))} %"

    @property
    def rag(self) -> str:
        return rag(self.achievement)

    @property
    def rag_label(self) -> str:
        return str(RAG_LABELS[self.rag])


def cell_from_figure(
    key: str, figure: Figure | None, target: Decimal | None, cap: Decimal
) -> KpiCell:
    """A live cell: the figure as it is now against `target`, scored like a scorecard item."""
    metric = metric_or_none(key)
    actual = figure.exact if figure is not None else None
    if metric is None or actual is None:
        return KpiCell(key, figure.value if figure is not None else None, target, None)
    scored = score_item(actual, target, lower_is_better=metric.direction == LOWER, cap=cap)
    return KpiCell(key, figure.value, target, scored.achievement, scored.score)


def cell_from_item(item) -> KpiCell:
    """A cell from a ScorecardItem: the figures it was scored on, linked to the records behind
    the number (the scorecard pages' drill-down, when installed)."""
    try:
        url = reverse("performance:scorecard-records", args=[item.scorecard_id, item.metric])
    except NoReverseMatch:
        url = ""
    return KpiCell(item.metric, item.actual, item.target, item.achievement, item.score, url)


# --- figures ---------------------------------------------------------------------------------


def live_figures(
    user_ids: Collection[int], period: Period, keys: Iterable[str]
) -> dict[str, dict[int, Figure]]:
    """{metric key: {user id: Figure}} for everyone in `user_ids`: one `figures_for` pass (one
    set of aggregate queries per metric, shared aggregates such as revenue run once). Keys of
    metrics not registered are left out (their cells show "n/a")."""
    from performance.figures import figures_for

    ids = list(user_ids)
    chosen = [key for key in dict.fromkeys(keys) if metric_or_none(key) is not None]
    if not chosen:
        return {}
    by_user = figures_for(ids, period, chosen) if ids else {}
    return {key: {uid: by_user[uid][key] for uid in ids} for key in chosen}


def combined(key: str, figures: Iterable[Figure]) -> Figure | None:
    """A group's figure: sums of numerators over sums of denominators (never a mean of rates)."""
    metric = metric_or_none(key)
    if metric is None:
        return None
    return metric.combine(list(figures))


# --- schemes and targets ---------------------------------------------------------------------


def active_schemes(position_ids: Iterable[int | None]) -> dict[int, KpiScheme]:
    """The active scheme of each position, with its items (two queries)."""
    ids = {pk for pk in position_ids if pk}
    schemes = (
        KpiScheme.objects.filter(status=KpiScheme.Status.ACTIVE, position_id__in=ids)
        .select_related("position")
        .prefetch_related("items")
    )
    return {scheme.position_id: scheme for scheme in schemes}


def rep_scheme() -> KpiScheme | None:
    """The active scheme of sales reps: the KPIs the team and company pages compare."""
    return (
        KpiScheme.objects.filter(
            status=KpiScheme.Status.ACTIVE, position__kind=Position.Kind.SALES_REP
        )
        .prefetch_related("items")
        .first()
    )


def scheme_items(scheme: KpiScheme | None) -> list[KpiSchemeItem]:
    if scheme is None:
        return []
    return sorted(scheme.items.all(), key=lambda item: (item.sort_order, item.pk))


def default_keys() -> list[str]:
    """Without a scheme: every KPI of the contract that is registered."""
    return [key for key in CONTRACT_KEYS if metric_or_none(key) is not None]


def plan_totals(
    period: Period, *, user_ids: Collection[int] = (), team_ids: Collection[int] = ()
) -> tuple[dict[int, dict[str, Decimal]], dict[int, dict[str, Decimal]]]:
    """The sales plans of the period's months, summed per person and per team (one query each
    kind): ({user id: {field: total}}, {team id: {field: total}})."""
    sums = {field: Sum(field) for field in PLAN_FIELDS}
    months = period.month_starts()
    users: dict[int, dict[str, Decimal]] = {}
    teams: dict[int, dict[str, Decimal]] = {}
    if user_ids:
        rows = (
            SalesPlan.objects.filter(month__in=months, user_id__in=list(user_ids))
            .order_by()
            .values("user_id")
            .annotate(**sums)
        )
        users = {r["user_id"]: {f: Decimal(r[f] or 0) for f in PLAN_FIELDS} for r in rows}
    if team_ids:
        rows = (
            SalesPlan.objects.filter(month__in=months, team_id__in=list(team_ids))
            .order_by()
            .values("team_id")
            .annotate(**sums)
        )
        teams = {r["team_id"]: {f: Decimal(r[f] or 0) for f in PLAN_FIELDS} for r in rows}
    return users, teams


def item_target(item: KpiSchemeItem, plan: dict[str, Decimal] | None) -> Decimal | None:
    """A scheme item's target: its fixed value, or the one the sales plan gives its metric (the
    plan figure for a count or amount, 100 % for a rate measured against the plan, such as plan
    completion); None when there is no plan: the KPI is then undefined, never scored against 0.
    The figures module decides when it says (`target_for`), as the scorecard computation does."""
    from performance import figures as api

    if item.target_source == KpiSchemeItem.TargetSource.FIXED:
        return item.target
    metric = metric_or_none(item.metric)
    if metric is None or not plan:
        return None
    if hasattr(api, "target_for"):
        return api.target_for(metric, dict(plan))
    field = metric.plan_field
    if field is None or plan.get(field) is None:
        return None
    return Decimal(1) if metric.unit == RATE else Decimal(plan[field])
