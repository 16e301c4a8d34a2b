"""Reads of the review pages: the scoped scorecard list (and "my inbox"), a scorecard with its
items, history and recomputations, the drill-down rows behind a number, a period's progress."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from crm.models import User
from performance.models import (
    EvaluationPeriod,
    Recomputation,
    ReviewStep,
    Scorecard,
    ScorecardItem,
)
from performance.review import permissions as perms

CENTS = Decimal("0.01")


def scorecards_visible(viewer: User) -> QuerySet[Scorecard]:
    return Scorecard.objects.filter(perms.visible_q(viewer))


def scorecard_list(viewer: User, *, inbox: bool = False, filters: dict | None = None):
    """The scorecards `viewer` sees (or, with `inbox`, those waiting for them), filtered,
    with what the list shows loaded: a fixed number of queries whatever the length."""
    qs = scorecards_visible(viewer)
    if inbox:
        qs = qs.filter(perms.inbox_q(viewer))
    filters = filters or {}
    if filters.get("period"):
        qs = qs.filter(period=filters["period"])
    if filters.get("team"):
        qs = qs.filter(team__path__startswith=filters["team"].path)
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("grade"):
        qs = qs.filter(grade=filters["grade"])
    return qs.select_related("user", "team", "period", "scheme").order_by(
        "-period__start", "team__path", "user__username", "pk"
    )


def scorecard_for_detail(viewer: User, pk: int) -> Scorecard:
    try:
        return (
            scorecards_visible(viewer)
            .select_related("user", "team", "period", "scheme", "user__position")
            .get(pk=pk)
        )
    except Scorecard.DoesNotExist as exc:
        raise Http404 from exc


def _metric(key: str):
    from performance.metrics import get_metric

    try:
        return get_metric(key)
    except KeyError:
        return None


def _fmt(metric, value) -> str:
    if value is None:
        return _("n/a")
    if metric is None:
        return f"{Decimal(value).normalize():f}"
    return metric.format(Decimal(value))


def _percent(value) -> str:
    if value is None:
        return _("n/a")
    return f"{(Decimal(value) * 100).quantize(CENTS, rounding=ROUND_HALF_UP)} %"


@dataclass
class ItemRow:
    item: ScorecardItem
    name: str
    description: str
    actual: str
    target: str
    achievement: str
    score: str
    adjusted_score: str
    current: str  # the figure now, when it changed since scoring
    difference: str
    has_records: bool


def item_rows(scorecard: Scorecard, items) -> list[ItemRow]:
    rows = []
    for item in items:
        metric = _metric(item.metric)
        difference = ""
        if item.current_actual is not None and item.actual is not None:
            delta = Decimal(item.current_actual) - Decimal(item.actual)
            sign = "+" if delta >= 0 else "-"
            difference = f"{sign}{_fmt(metric, abs(delta))}"
        adjusted = None if item.score is None else item.score + item.adjustment
        rows.append(
            ItemRow(
                item=item,
                name=str(metric.name) if metric is not None else item.metric,
                description=str(getattr(metric, "description", "") or ""),
                actual=_fmt(metric, item.actual),
                target=_fmt(metric, item.target),
                achievement=_percent(item.achievement),
                score=_("n/a") if item.score is None else str(item.score),
                adjusted_score="" if adjusted is None else str(adjusted),
                current=_fmt(metric, item.current_actual)
                if item.current_actual is not None
                else "",
                difference=difference,
                has_records=metric is not None,
            )
        )
    return rows


def scorecard_steps(scorecard: Scorecard):
    return scorecard.steps.select_related("actor").order_by("created_at", "pk")


# The reviewers' notes to each other (passing on, sending back): the person sees that the steps
# were taken, with the reviewer's comment of the published result, not the deliberation.
INTERNAL_ACTIONS = {ReviewStep.Action.SUBMITTED, ReviewStep.Action.SENT_BACK}


def hide_reviewers_notes(steps) -> None:
    """Blank the comments of the internal steps (in memory only) for the person's own page."""
    for step in steps:
        if step.action in INTERNAL_ACTIONS:
            step.comment = ""


def scorecard_recomputations(scorecard: Scorecard):
    return scorecard.recomputations.select_related("requested_by", "decided_by").order_by(
        "-requested_at"
    )


def pending_recomputation(scorecard: Scorecard) -> Recomputation | None:
    return (
        scorecard.recomputations.filter(status=Recomputation.Status.PENDING)
        .select_related("requested_by", "scorecard")
        .first()
    )


def record_user_ids(scorecard: Scorecard) -> list[int]:
    """Whose records make the numbers: the person, or for a scorecard on team figures the
    members of the teams they manage (performance.figures.team_member_ids)."""
    if not scorecard.uses_team_figures:
        return [scorecard.user_id]
    try:
        from performance.figures import team_member_ids
    except ImportError:  # the figures module has not landed: the subtrees, computed here
        return _team_member_ids(scorecard.user)
    return list(team_member_ids(scorecard.user))


def _team_member_ids(user: User) -> list[int]:
    paths = perms.managed_paths(user)
    if not paths:
        return [user.pk]
    q = Q(pk=user.pk)
    for path in paths:
        q |= Q(team__path__startswith=path, is_active=True)
    return list(User.objects.filter(q).values_list("pk", flat=True))


def metric_records(scorecard: Scorecard, metric_key: str):
    """The metric and its `Records` behind one item (404 for an item the scorecard lacks)."""
    if not scorecard.items.filter(metric=metric_key).exists():
        raise Http404
    metric = _metric(metric_key)
    if metric is None:
        raise Http404
    return metric, metric.records(record_user_ids(scorecard), scorecard.period.period)


def record_cells(row, columns) -> list[tuple[str, object]]:
    """(header, value) of one record for the drill-down table (attribute paths
    "customer.name", or callables)."""
    cells = []
    for header, accessor in columns:
        if callable(accessor):
            cells.append((header, accessor(row)))
            continue
        value = row
        for part in str(accessor).replace("__", ".").split("."):
            value = getattr(value, part, None) if value is not None else None
            if callable(value) and not hasattr(value, "all"):
                value = value()
        cells.append((header, value))
    return cells


def period_summary(viewer: User, period: EvaluationPeriod) -> dict:
    """How many of the period's scorecards (visible to `viewer`) sit at each step, and who is
    not with HR yet."""
    qs = scorecards_visible(viewer).filter(period=period)
    counts = dict(qs.order_by().values_list("status").annotate(n=Count("pk")))
    steps = [(value, label, counts.get(value, 0)) for value, label in Scorecard.Status.choices]
    waiting = (
        qs.exclude(status__in=[Scorecard.Status.HR, Scorecard.Status.PUBLISHED])
        .select_related("user", "team")
        .order_by("status", "user__username")
    )
    return {"steps": steps, "total": sum(counts.values()), "waiting": waiting}
