"""Writing scorecards (scoring itself, without writes, is in performance/compute/results.py;
its API is re-exported here).

- `score_user` scores one person under a scheme: no writes.
- `scorecard_compute` / `scorecards_compute` create or update the scorecards of an evaluation
  period, in chunks: one figures query set per chunk (`figures_for` for reps,
  `team_figures_for` for managers scored on team figures), bulk writes, so computing 1,000
  people costs about what computing 10 does.
- `apply_result` writes a new result into an existing scorecard (the review's approved
  recomputation of a published one).

Only scorecards still with the manager are recomputed: later steps are under review and a
published scorecard (or any scorecard of a published period, or one appealed after it was
published) is frozen. A manager's adjustments
survive a recomputation, re-applied within the scheme's limit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from performance.compute.results import (  # noqa: F401 (the computation's API, re-exported)
    SKIP_APPEALED,
    SKIP_NO_SCHEME,
    SKIP_PUBLISHED,
    SKIP_REASONS,
    SKIP_UNDER_REVIEW,
    ItemResult,
    ScoreResult,
    active_schemes,
    describe_skips,
    figures_and_plans,
    result_for,
    score_user,
    skip_codes,
)
from performance.models import (
    EvaluationPeriod,
    KpiScheme,
    ReviewStep,
    Scorecard,
    ScorecardItem,
    ScorecardRun,
)
from performance.periods import Period
from performance.scoring import FOUR, grade, weighted_total

if TYPE_CHECKING:
    from crm.models import User

CHUNK_SIZE = 200

SCORECARD_FIELDS = [
    "scheme",
    "team",
    "uses_team_figures",
    "computed_total",
    "adjustment",
    "total",
    "grade",
    "computed_at",
]
ITEM_FIELDS = [
    "scheme_item",
    "sort_order",
    "weight",
    "cap",
    "numerator",
    "denominator",
    "actual",
    "target",
    "achievement",
    "score",
    "adjustment",
]


# --- writing scorecards ------------------------------------------------------------------------


def _clamp(value: Decimal, limit: Decimal) -> Decimal:
    return max(-limit, min(limit, Decimal(value)))


def _round4(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(FOUR)


# ScorecardItem.achievement holds 12 digits (4 decimals). An outlier (a plan of 1.00 against a
# real revenue) must not overflow the column on PostgreSQL and fail the whole chunk: the stored
# achievement is held within the column; the score is capped long before anyway.
ACHIEVEMENT_LIMIT = Decimal("99999999.9999")


def _achievement(value: Decimal | None) -> Decimal | None:
    value = _round4(value)
    if value is None:
        return None
    return max(-ACHIEVEMENT_LIMIT, min(ACHIEVEMENT_LIMIT, value))


@dataclass(frozen=True)
class Totals:
    computed_total: Decimal | None
    adjustment: Decimal
    total: Decimal | None
    grade: str


def _totals(rows: Iterable[tuple[Decimal, Decimal | None, Decimal]], bands) -> Totals:
    """The one rule: rows of (weight, score or None, adjustment points). An item's adjustment
    moves its score; the total is the weighted total of the adjusted scores, the adjustment its
    difference from the weighted total of the computed scores; the grade comes from the total."""
    rows = list(rows)
    computed = weighted_total((weight, score) for weight, score, _adj in rows)
    adjusted = weighted_total(
        (weight, None if score is None else score + adj) for weight, score, adj in rows
    )
    adjustment = (adjusted - computed) if computed is not None else Decimal(0)
    return Totals(computed, adjustment, adjusted, grade(adjusted, bands))


def scorecard_totals(scorecard: Scorecard, items: Iterable[ScorecardItem]) -> None:
    """Set the scorecard's computed total, adjustment, total and grade from its items (not
    saved). An item's adjustment moves its score (points); the scorecard's adjustment is the
    resulting change of the total. The review calls this after a manager's adjustment."""
    totals = _totals(((i.weight, i.score, i.adjustment) for i in items), scorecard.scheme.bands)
    scorecard.computed_total = totals.computed_total
    scorecard.total = totals.total
    scorecard.adjustment = totals.adjustment
    scorecard.grade = totals.grade


def result_totals(result: ScoreResult, scorecard: Scorecard | None = None) -> Totals:
    """The totals `result` would give once written into `scorecard` (its items' adjustments
    kept within the scheme's limit, as `apply_result` and a recomputation do): what a
    recomputation's "after" must show. Without a scorecard: no adjustment."""
    adjustments: dict[str, Decimal] = {}
    if scorecard is not None:
        adjustments = dict(scorecard.items.values_list("metric", "adjustment"))
    limit = result.scheme.adjustment_limit
    return _totals(
        (
            (item.weight, item.score, _clamp(adjustments.get(item.metric, Decimal(0)), limit))
            for item in result.items
        ),
        result.scheme.bands,
    )


def _fill_items(
    scorecard: Scorecard, result: ScoreResult, existing: Mapping[str, ScorecardItem]
) -> tuple[list[ScorecardItem], list[ScorecardItem], list[int]]:
    """The scorecard's items for `result`: (to create, to update, pks to delete). Adjustments
    of the items kept are re-applied within the scheme's limit."""
    limit = result.scheme.adjustment_limit
    create, update, keep = [], [], set()
    for order, res in enumerate(result.items):
        item = existing.get(res.metric)
        if item is None:
            item = ScorecardItem(scorecard=scorecard, metric=res.metric)
            create.append(item)
        else:
            update.append(item)
            keep.add(item.pk)
            item.adjustment = _clamp(item.adjustment, limit)
        item.scheme_item = res.scheme_item
        item.sort_order = order
        item.weight = res.scheme_item.weight
        item.cap = res.scheme_item.cap
        item.numerator = _round4(res.numerator)
        item.denominator = _round4(res.denominator)
        item.actual = _round4(res.actual)
        item.target = _round4(res.target)
        item.achievement = _achievement(res.achievement)
        item.score = res.score
    delete = [item.pk for item in existing.values() if item.pk not in keep]
    return create, update, delete


def _status_skip(scorecard: Scorecard | None, period: EvaluationPeriod) -> str:
    if period.is_published:
        return SKIP_PUBLISHED
    if scorecard is None:
        return ""
    if scorecard.status == Scorecard.Status.PUBLISHED:
        return SKIP_PUBLISHED
    if scorecard.status != Scorecard.Status.MANAGER:
        return SKIP_UNDER_REVIEW
    if scorecard.appealed_at is not None:
        # Back with the manager after an appeal, but it was published: its figures and scheme
        # stay as published (a new scheme version could drop adjusted items); only an approved
        # recomputation changes them.
        return SKIP_APPEALED
    return ""


@dataclass
class ComputeSummary:
    computed: int = 0
    created: int = 0
    skipped: Counter = field(default_factory=Counter)
    scorecards: list[Scorecard] = field(default_factory=list)

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    def describe_skips(self) -> str:
        return describe_skips(skip_codes(self.skipped))


def _compute_chunk(
    users: Sequence[User],
    period: EvaluationPeriod,
    schemes: Mapping[int, KpiScheme],
    by: User | None,
    summary: ComputeSummary,
) -> None:
    """Score and write one chunk in one transaction: a fixed number of queries."""
    with transaction.atomic():
        # The period row serialises two computations of the same period (nightly and on
        # demand); the scorecards are locked against a review step moving them meanwhile.
        EvaluationPeriod.objects.select_for_update().filter(pk=period.pk).first()
        existing = {
            sc.user_id: sc
            for sc in Scorecard.objects.select_for_update(of=("self",))
            .filter(period=period, user__in=[u.pk for u in users])
            .select_related("scheme")
        }
        to_score = []
        for user in users:
            scorecard = existing.get(user.pk)
            reason = _status_skip(scorecard, period)
            if not reason and schemes.get(user.position_id) is None:
                reason = SKIP_NO_SCHEME
            if reason:
                summary.skipped[reason] += 1
            else:
                to_score.append(user)
        if not to_score:
            return
        figures, plans = figures_and_plans(to_score, schemes, period.period)
        old_items: dict[int, dict[str, ScorecardItem]] = {}
        for item in ScorecardItem.objects.filter(
            scorecard__in=[existing[u.pk].pk for u in to_score if u.pk in existing]
        ):
            old_items.setdefault(item.scorecard_id, {})[item.metric] = item

        now = timezone.now()
        new_cards, changed_cards, results = [], [], {}
        for user in to_score:
            scheme = schemes[user.position_id]
            results[user.pk] = result_for(
                user, period.period, scheme, figures.get(user.pk, {}), plans.get(user.pk, {})
            )
            scorecard = existing.get(user.pk)
            if scorecard is None:
                scorecard = Scorecard(period=period, user=user, status=Scorecard.Status.MANAGER)
                new_cards.append(scorecard)
            else:
                changed_cards.append(scorecard)
            scorecard.scheme = scheme
            scorecard.team_id = user.team_id
            scorecard.uses_team_figures = scheme.uses_team_figures
            scorecard.computed_at = now
        # What a recomputation changes is recorded as a step (not a nightly run that changes
        # nothing): the total, or any item's figure.
        before = {
            card.pk: (card.total, {m: i.actual for m, i in old_items.get(card.pk, {}).items()})
            for card in changed_cards
        }
        after: dict[int, tuple] = {}
        item_create, item_update, item_delete = [], [], []
        for card in [*new_cards, *changed_cards]:
            create, update, delete = _fill_items(
                card, results[card.user_id], old_items.get(card.pk, {})
            )
            item_create += create
            item_update += update
            item_delete += delete
            scorecard_totals(card, create + update)
            after[card.pk] = (card.total, {i.metric: i.actual for i in create + update})
        refreshed = [card for card in changed_cards if after[card.pk] != before[card.pk]]
        if new_cards:
            bulk_create_with_history(new_cards, Scorecard, default_user=by)
        if changed_cards:
            bulk_update_with_history(changed_cards, Scorecard, SCORECARD_FIELDS, default_user=by)
        if item_delete:
            ScorecardItem.objects.filter(pk__in=item_delete).delete()
        if item_create:
            bulk_create_with_history(item_create, ScorecardItem, default_user=by)
        if item_update:
            bulk_update_with_history(item_update, ScorecardItem, ITEM_FIELDS, default_user=by)
        ReviewStep.objects.bulk_create(
            ReviewStep(
                scorecard=card,
                action=ReviewStep.Action.COMPUTED,
                from_status=Scorecard.Status.MANAGER if card in refreshed else "",
                to_status=Scorecard.Status.MANAGER,
                actor=by,
                comment=(f"{before[card.pk][0]} → {card.total}" if card in refreshed else ""),
                created_at=now,
            )
            for card in [*new_cards, *refreshed]
        )
        summary.computed += len(to_score)
        summary.created += len(new_cards)
        summary.scorecards += [*new_cards, *changed_cards]


def scorecards_compute(
    users: Iterable[User],
    period: Period | EvaluationPeriod,
    run: ScorecardRun | None = None,
    *,
    by: User | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> ComputeSummary:
    """Compute the scorecards of `users` for `period`, `chunk_size` people at a time (each chunk
    its own transaction); `run.done` / `run.skipped` move after each chunk."""
    if isinstance(period, Period):
        period = EvaluationPeriod.for_period(period)
    users = list(users)
    schemes = active_schemes()
    summary = ComputeSummary()
    for start in range(0, len(users), chunk_size):
        _compute_chunk(users[start : start + chunk_size], period, schemes, by, summary)
        if run is not None:
            run.done = summary.computed + summary.skipped_total
            run.skipped = summary.skipped_total
            run.save(update_fields=["done", "skipped"])
    return summary


def scorecard_compute(user: User, period: Period, *, by: User | None = None) -> Scorecard | None:
    """Create or update `user`'s scorecard for `period` under the active scheme of their
    position. Returns the scorecard (unchanged when it is past the manager's step or published),
    or None when there is no scheme to score with."""
    summary = scorecards_compute([user], period, by=by)
    if summary.scorecards:
        return summary.scorecards[0]
    return Scorecard.objects.filter(period__key=period.key, user=user).first()


@transaction.atomic
def apply_result(scorecard: Scorecard, result: ScoreResult, *, by: User | None = None) -> Scorecard:
    """Write `result` (from `score_user` with the scorecard's own scheme) into `scorecard`,
    whatever its status: the review's approved recomputation of a published scorecard. The
    manager's adjustments are kept (within the limit); the caller records the ReviewStep."""
    scorecard = Scorecard.objects.select_for_update().select_related("scheme").get(pk=scorecard.pk)
    if result.scheme is None:
        raise ValueError("cannot apply a result without a scheme")
    existing = {item.metric: item for item in scorecard.items.all()}
    create, update, delete = _fill_items(scorecard, result, existing)
    if delete:
        ScorecardItem.objects.filter(pk__in=delete).delete()
    for item in create + update:
        item.current_actual = None  # the figures are current again
        item.save()
    scorecard.scheme = result.scheme
    scorecard.uses_team_figures = result.scheme.uses_team_figures
    scorecard.computed_at = timezone.now()
    scorecard.has_drift = False
    scorecard_totals(scorecard, create + update)
    scorecard.save()
    return scorecard


# --- runs --------------------------------------------------------------------------------------


def scorecard_run_create(*, period: Period, team=None, by: User | None = None) -> ScorecardRun:
    """Queue the computation of a team subtree (or the company) for `period`; the task starts
    once the run row is committed."""
    from performance.compute.tasks import scorecard_run_task

    with transaction.atomic():
        run = ScorecardRun.objects.create(
            period=EvaluationPeriod.for_period(period), team=team, requested_by=by
        )
        transaction.on_commit(lambda: scorecard_run_task.delay(run.pk))
    return run


def scorecard_run_execute(run_id: int) -> ScorecardRun | None:
    """Compute a run. Idempotent: a run already done or failed is left alone; a run interrupted
    while running (a retry) starts over, which rewrites the same scorecards."""
    from performance.compute.selectors import run_users

    run = ScorecardRun.objects.select_related("period", "team", "requested_by").filter(pk=run_id)
    run = run.first()
    if run is None or run.status in (ScorecardRun.Status.DONE, ScorecardRun.Status.FAILED):
        return run
    users = list(run_users(run.team).select_related("team", "position"))
    run.status = ScorecardRun.Status.RUNNING
    run.total, run.done, run.skipped, run.message = len(users), 0, 0, ""
    run.save(update_fields=["status", "total", "done", "skipped", "message"])
    summary = scorecards_compute(users, run.period, run, by=run.requested_by)
    run.status = ScorecardRun.Status.DONE
    run.message = skip_codes(summary.skipped)  # shown in each reader's language
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "message", "finished_at", "done", "skipped"])
    return run


def scorecard_run_fail(run_id: int, message: str) -> None:
    ScorecardRun.objects.filter(pk=run_id).exclude(status=ScorecardRun.Status.DONE).update(
        status=ScorecardRun.Status.FAILED, message=message[:2000], finished_at=timezone.now()
    )


def _nightly_run(period: Period) -> ScorecardRun:
    run = ScorecardRun.objects.create(period=EvaluationPeriod.for_period(period))
    try:
        return scorecard_run_execute(run.pk)
    except Exception as exc:
        # The task retries a new run on OperationalError; this one must not show as running.
        scorecard_run_fail(run.pk, f"{type(exc).__name__}: {exc}")
        raise


def scorecards_nightly() -> ScorecardRun:
    """The nightly computation: the current month for everyone with an active scheme, and the
    month just ended while it is not published. The last night of a month runs before that
    day's orders and payments (and late entries dated in it arrive in the next days): without
    this, the scorecards the managers review would miss them. Scorecards past the manager's
    step are left alone either way. Returns the current month's run."""
    period = Period.containing()
    previous = period.previous()
    if not EvaluationPeriod.objects.filter(
        key=previous.key, status=EvaluationPeriod.Status.PUBLISHED
    ).exists():
        _nightly_run(previous)
    return _nightly_run(period)
