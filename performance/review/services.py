"""Writes of the review chain (docs/review.md): adjust, pass on, send back, publish (one
scorecard or a whole period), appeal, and the recomputation of a published scorecard whose
figures changed. Each write locks the scorecard (select_for_update), runs in one transaction,
records a ReviewStep and tells the next actor (or the person) through a notification.

Services check the role themselves (PermissionDenied): the views only check that the scorecard
is visible (404 otherwise)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import User
from notifications.services import notify
from performance.models import EvaluationPeriod, Recomputation, ReviewStep, Scorecard
from performance.review import permissions as perms

Status = Scorecard.Status
Action = ReviewStep.Action
CENTS = Decimal("0.01")


def _role(by: User, scorecard: Scorecard, status: str) -> str:
    """The role a step was taken in, for the history: the step's own role, or "admin" when an
    administrator stood in for it."""
    if status == Status.MANAGER:
        manager = perms.manager_of(scorecard)
        return "manager" if manager is not None and manager.pk == by.pk else "admin"
    if perms.position_kind(by) == perms.STEP_POSITION.get(status):
        return str(status)
    return "admin"


def _lock(scorecard: Scorecard, expected_status: str | None = None) -> Scorecard:
    """The scorecard, locked. With `expected_status` (the step the actor's page showed), refuse
    if it has moved on meanwhile: a double click or a second reviewer must not push it twice."""
    locked = (
        Scorecard.objects.select_for_update(of=("self",))
        .select_related("team", "scheme", "period", "user")
        .get(pk=scorecard.pk)
    )
    if expected_status and locked.status != expected_status:
        raise ValidationError(
            _("The scorecard has moved on since you opened it (now: %(status)s)."),
            params={"status": locked.get_status_display()},
        )
    return locked


def _step(
    scorecard: Scorecard, *, action: str, from_status: str, by: User | None, comment: str = ""
) -> ReviewStep:
    return ReviewStep.objects.create(
        scorecard=scorecard,
        action=action,
        from_status=from_status,
        to_status=scorecard.status,
        actor=by,
        role=_role(by, scorecard, from_status) if by is not None else "",
        comment=comment,
    )


def _require(text: str, message) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError(message)
    return text


def _notify_step(scorecard: Scorecard, status: str, *, title, body="") -> None:
    """Tell whoever takes `status` about this scorecard (sent back, appealed)."""
    for actor in perms.step_actors(scorecard, status):
        notify(
            actor,
            title=title,
            body=body,
            url=scorecard.get_absolute_url(),
            kind="scorecard_review",
            params={"person": str(scorecard.user), "period": scorecard.period.key},
        )


def _notify_waiting(scorecard: Scorecard, status: str) -> None:
    """Tell whoever takes `status` that scorecards wait for them. Planning, the VP and HR
    receive hundreds in a period: one notification per person, period and step a day, pointing
    at their inbox, rather than one per scorecard."""
    if status == Status.MANAGER:
        _notify_step(
            scorecard,
            status,
            title=_("Scorecard of %(person)s (%(period)s) is waiting for your review"),
        )
        return
    period = scorecard.period.key
    url = f"{reverse('performance:scorecard-list')}?view=inbox&period={period}"
    today = timezone.localdate().isoformat()
    for actor in perms.step_actors(scorecard, status):
        notify(
            actor,
            title=_("Scorecards of %(period)s are waiting for your review"),
            body=_("Among them: %(person)s."),
            url=url,
            kind="scorecard_review",
            params={"person": str(scorecard.user), "period": period},
            key=f"scorecards-waiting-{period}-{status}-{actor.pk}-{today}",
        )


# ---------------------------------------------------------------------------------------------
# The manager's adjustment


def _metric_name(key: str) -> str:
    from performance.metrics import get_metric

    try:
        return str(get_metric(key).name)
    except KeyError:
        return key


def _parse_points(value) -> Decimal:
    try:
        return Decimal(str(value)).quantize(CENTS)
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError(_("Enter a number of points.")) from exc


def adjust(
    scorecard: Scorecard,
    by: User,
    adjustments: Mapping[str, tuple[object, str]],
    *,
    expected_status: str | None = None,
) -> Scorecard:
    """The manager moves items' scores by up to the scheme's adjustment limit, each with a
    comment: {metric: (points, comment)}. Points 0 removes an adjustment. The total becomes the
    weighted total of (score + adjustment), its difference from the computed total is kept in
    `scorecard.adjustment`, the grade follows the scheme's bands."""
    with transaction.atomic():
        scorecard = _lock(scorecard, expected_status)
        if not perms.can_adjust(by, scorecard):
            raise PermissionDenied
        limit = scorecard.scheme.adjustment_limit
        items = {item.metric: item for item in scorecard.items.select_for_update()}
        errors: dict[str, list] = {}
        changed = []
        for metric, (raw_points, raw_comment) in adjustments.items():
            item = items.get(metric)
            if item is None:
                errors.setdefault("__all__", []).append(
                    ValidationError(
                        _("No item %(metric)s on this scorecard."), params={"metric": metric}
                    )
                )
                continue
            try:
                points = _parse_points(raw_points if raw_points not in (None, "") else 0)
            except ValidationError as exc:
                errors.setdefault(metric, []).append(exc)
                continue
            comment = (raw_comment or "").strip()
            if points and item.score is None:
                errors.setdefault(metric, []).append(
                    ValidationError(_("An undefined item has no score to adjust."))
                )
            elif abs(points) > limit:
                errors.setdefault(metric, []).append(
                    ValidationError(
                        _("At most %(limit)s points up or down."), params={"limit": limit}
                    )
                )
            elif points and not comment:
                errors.setdefault(metric, []).append(
                    ValidationError(_("Say why: a comment is required for an adjustment."))
                )
            elif points != item.adjustment or (points and comment != item.adjustment_comment):
                item.adjustment = points
                item.adjustment_comment = comment if points else ""
                changed.append(item)
        if errors:
            raise ValidationError(errors)
        if not changed:
            return scorecard
        for item in changed:
            item.save(update_fields=["adjustment", "adjustment_comment"])
        from performance.compute.services import scorecard_totals

        # One rule for totals (performance.scoring via compute): total = weighted total of
        # (score + adjustment); the scorecard's adjustment is its difference from the computed.
        scorecard_totals(scorecard, items.values())
        scorecard.save(update_fields=["computed_total", "total", "adjustment", "grade"])
        summary = "; ".join(
            f"{_metric_name(item.metric)} {item.adjustment:+}: {item.adjustment_comment}"
            if item.adjustment
            else f"{_metric_name(item.metric)} 0"
            for item in changed
        )
        _step(
            scorecard, action=Action.ADJUSTED, from_status=scorecard.status, by=by, comment=summary
        )
    return scorecard


# ---------------------------------------------------------------------------------------------
# Moving along the chain


def submit(
    scorecard: Scorecard, by: User, comment: str = "", *, expected_status: str | None = None
) -> Scorecard:
    """Pass the scorecard on to the next step (HR's step publishes: see `publish`)."""
    with transaction.atomic():
        scorecard = _lock(scorecard, expected_status)
        if not perms.can_act(by, scorecard):
            raise PermissionDenied
        if scorecard.status == Status.HR:
            raise ValidationError(_("HR publishes the result: use Publish."))
        if scorecard.period.is_published and scorecard.appealed_at is None:
            raise ValidationError(_("The period is published: its scorecards are frozen."))
        from_status = scorecard.status
        scorecard.status = perms.NEXT[from_status]
        scorecard.save(update_fields=["status"])
        comment = (comment or "").strip()
        _step(scorecard, action=Action.SUBMITTED, from_status=from_status, by=by, comment=comment)
        _notify_waiting(scorecard, scorecard.status)
    return scorecard


def send_back(
    scorecard: Scorecard, by: User, comment: str, *, expected_status: str | None = None
) -> Scorecard:
    """Return the scorecard to the previous step, with a comment (required)."""
    comment = _require(comment, _("Say why the scorecard goes back: a comment is required."))
    with transaction.atomic():
        scorecard = _lock(scorecard, expected_status)
        if not perms.can_act(by, scorecard):
            raise PermissionDenied
        if scorecard.status not in perms.PREVIOUS:
            raise ValidationError(
                _("The manager's step is the first one: nothing to send back to.")
            )
        from_status = scorecard.status
        scorecard.status = perms.PREVIOUS[from_status]
        scorecard.save(update_fields=["status"])
        _step(scorecard, action=Action.SENT_BACK, from_status=from_status, by=by, comment=comment)
        _notify_step(
            scorecard,
            scorecard.status,
            title=_("Scorecard of %(person)s (%(period)s) was sent back to you"),
            body=comment,
        )
    return scorecard


def _publish_locked(scorecard: Scorecard, by: User, comment: str) -> None:
    from_status = scorecard.status
    scorecard.status = Status.PUBLISHED
    scorecard.published_at = timezone.now()
    if comment:
        scorecard.reviewer_comment = comment
    scorecard.save(update_fields=["status", "published_at", "reviewer_comment"])
    _step(scorecard, action=Action.PUBLISHED, from_status=from_status, by=by, comment=comment)
    notify(
        scorecard.user,
        title=_("Your scorecard for %(period)s is published"),
        body=_("Total %(total)s, grade %(grade)s."),
        url=scorecard.get_absolute_url(),
        kind="scorecard_published",
        params=_result_params(scorecard),
        key=f"scorecard-published-{scorecard.pk}-{scorecard.published_at:%Y%m%d%H%M%S%f}",
    )


def publish(
    scorecard: Scorecard, by: User, comment: str = "", *, expected_status: str | None = None
) -> Scorecard:
    """HR publishes the result: the person now sees it, with the reviewer's comment."""
    with transaction.atomic():
        scorecard = _lock(scorecard, expected_status)
        if not perms.can_publish(by, scorecard):
            raise PermissionDenied
        _publish_locked(scorecard, by, (comment or "").strip())
    return scorecard


def publish_period(period: EvaluationPeriod, by: User, comment: str = "") -> int:
    """HR publishes every scorecard of the period at the HR step and marks the period published
    (its scorecards are then frozen). Refuses, changing nothing, while any scorecard is at an
    earlier step. Returns how many scorecards were published."""
    if not perms.can_publish_period(by):
        raise PermissionDenied
    with transaction.atomic():
        period = EvaluationPeriod.objects.select_for_update().get(pk=period.pk)
        if period.is_published:
            raise ValidationError(
                _("The period %(period)s is already published."), params={"period": period.key}
            )
        cards = list(
            Scorecard.objects.select_for_update(of=("self",))
            .filter(period=period)
            .select_related("user", "period", "team")
            .order_by("user__username")
        )
        if not cards:
            raise ValidationError(
                _("The period %(period)s has no scorecards to publish."),
                params={"period": period.key},
            )
        waiting = [c for c in cards if c.status not in (Status.HR, Status.PUBLISHED)]
        if waiting:
            names = ", ".join(f"{c.user} ({c.get_status_display()})" for c in waiting[:20])
            more = len(waiting) - 20
            raise ValidationError(
                _("Not yet with HR, so nothing was published: %(names)s%(more)s."),
                params={"names": names, "more": f" +{more}" if more > 0 else ""},
            )
        published = 0
        comment = (comment or "").strip()
        for card in cards:
            if card.status == Status.HR:
                _publish_locked(card, by, comment)
                published += 1
        period.status = EvaluationPeriod.Status.PUBLISHED
        period.published_at = timezone.now()
        period.published_by = by
        period.save(update_fields=["status", "published_at", "published_by"])
    return published


def appeal(scorecard: Scorecard, by: User, reason: str) -> Scorecard:
    """The person appeals a published result, once, with a reason: the manager's step reopens."""
    reason = _require(reason, _("Give the reason of your appeal."))
    with transaction.atomic():
        scorecard = _lock(scorecard)
        if scorecard.user_id != by.pk:
            raise PermissionDenied
        if scorecard.appealed_at is not None:
            raise ValidationError(
                _("You have already appealed this result: an appeal is allowed once.")
            )
        if not perms.can_appeal(by, scorecard):
            raise ValidationError(_("Only a published result can be appealed."))
        from_status = scorecard.status
        scorecard.status = Status.MANAGER
        scorecard.appeal_reason = reason
        scorecard.appealed_at = timezone.now()
        scorecard.save(update_fields=["status", "appeal_reason", "appealed_at"])
        ReviewStep.objects.create(
            scorecard=scorecard,
            action=Action.APPEALED,
            from_status=from_status,
            to_status=scorecard.status,
            actor=by,
            role="person",
            comment=reason,
        )
        _notify_step(
            scorecard,
            Status.MANAGER,
            title=_("%(person)s appealed the %(period)s scorecard"),
            body=reason,
        )
    return scorecard


# ---------------------------------------------------------------------------------------------
# Drift and recomputation of published scorecards


def _score_now(scorecard: Scorecard):
    from performance.compute.services import score_user

    return score_user(scorecard.user, scorecard.period.period, scheme=scorecard.scheme)


def result_items(result) -> dict[str, object]:
    """The items of a ScoreResult by metric key (a list of items or a mapping)."""
    items = getattr(result, "items", None)
    if callable(items):  # a mapping's .items()
        items = result
    if isinstance(items, Mapping):
        return dict(items)
    return {getattr(item, "metric", getattr(item, "key", None)): item for item in items or ()}


def _num(value) -> str | None:
    return None if value is None else str(value)


def _snapshot_card(scorecard: Scorecard) -> dict:
    return {
        "total": _num(scorecard.total),
        "grade": scorecard.grade,
        "items": {
            item.metric: {"actual": _num(item.actual), "score": _num(item.score)}
            for item in scorecard.items.all()
        },
    }


def _snapshot_result(result, scorecard: Scorecard) -> dict:
    """What the scorecard would read after the recomputation: the new figures with the
    manager's adjustments kept (as apply_result writes them), not the bare computed total."""
    from performance.compute.services import result_totals

    totals = result_totals(result, scorecard)
    return {
        "total": _num(totals.total),
        "grade": totals.grade,
        "items": {
            metric: {
                "actual": _num(getattr(item, "actual", None)),
                "score": _num(getattr(item, "score", None)),
            }
            for metric, item in result_items(result).items()
        },
    }


def drift_check(scorecard: Scorecard, result=None) -> bool:
    """Compare the frozen figures of a scorecard with the figures as they are now: sets
    `has_drift` and each item's `current_actual` (None when unchanged). Returns has_drift."""
    result = result if result is not None else _score_now(scorecard)
    now = result_items(result)
    with transaction.atomic():
        scorecard = _lock(scorecard)
        drift = False
        for item in scorecard.items.select_for_update():
            fresh = now.get(item.metric)
            current = getattr(fresh, "actual", None) if fresh is not None else None
            differs = fresh is not None and _differs(item.actual, current)
            new_current = current if differs else None
            drift = drift or differs
            if new_current != item.current_actual:
                item.current_actual = new_current
                item.save(update_fields=["current_actual"])
        scorecard.has_drift = drift
        scorecard.drift_checked_at = timezone.now()
        scorecard.save(update_fields=["has_drift", "drift_checked_at"])
    return drift


def _differs(frozen, current) -> bool:
    if frozen is None or current is None:
        return (frozen is None) != (current is None)
    return Decimal(frozen).quantize(Decimal("0.0001")) != Decimal(current).quantize(
        Decimal("0.0001")
    )


def request_recomputation(scorecard: Scorecard, by: User, reason: str) -> Recomputation:
    """Ask for a published scorecard to be recomputed with today's figures (someone else
    approves: `decide_recomputation`). Keeps the figures before and after."""
    reason = _require(reason, _("Give the reason for the recomputation."))
    with transaction.atomic():
        scorecard = _lock(scorecard)
        if not perms.can_request_recomputation(by, scorecard):
            raise PermissionDenied
        if scorecard.recomputations.filter(status=Recomputation.Status.PENDING).exists():
            raise ValidationError(
                _("A recomputation of this scorecard is already waiting for approval.")
            )
        result = _score_now(scorecard)
        rc = Recomputation.objects.create(
            scorecard=scorecard,
            reason=reason,
            requested_by=by,
            before=_snapshot_card(scorecard),
            after=_snapshot_result(result, scorecard),
        )
    for approver in User.objects.filter(is_active=True, position__kind=perms.Kind.HR).exclude(
        pk=by.pk
    ):
        notify(
            approver,
            title=_("Recomputation of %(person)s's %(period)s scorecard waits for approval"),
            body=reason,
            url=scorecard.get_absolute_url(),
            kind="scorecard_recomputation",
            params={"person": str(scorecard.user), "period": scorecard.period.key},
            key=f"recomputation-{rc.pk}-{approver.pk}",
        )
    return rc


def decide_recomputation(
    rc: Recomputation, by: User, approve: bool, comment: str = ""
) -> Recomputation:
    """HR (or an administrator), not the requester, approves or rejects. Approved: the
    scorecard is rescored with today's figures (adjustments kept) and a "recomputed" step is
    recorded; this is the only way a published scorecard's figures change."""
    comment = (comment or "").strip()
    if not approve:
        comment = _require(comment, _("Say why the recomputation is rejected."))
    with transaction.atomic():
        rc = Recomputation.objects.select_for_update().select_related("scorecard").get(pk=rc.pk)
        if not perms.can_decide_recomputation(by, rc):
            raise PermissionDenied
        scorecard = _lock(rc.scorecard)
        rc.status = Recomputation.Status.APPROVED if approve else Recomputation.Status.REJECTED
        rc.decided_by = by
        rc.decided_at = timezone.now()
        rc.decision_comment = comment
        if approve:
            from performance.compute.services import apply_result

            result = _score_now(scorecard)
            rc.after = _snapshot_result(result, scorecard)
            apply_result(scorecard, result, by=by)
            scorecard.refresh_from_db()
            scorecard.items.update(current_actual=None)
            scorecard.has_drift = False
            scorecard.drift_checked_at = timezone.now()
            scorecard.save(update_fields=["has_drift", "drift_checked_at"])
            ReviewStep.objects.create(
                scorecard=scorecard,
                action=Action.RECOMPUTED,
                from_status=scorecard.status,
                to_status=scorecard.status,
                actor=by,
                role="hr" if perms.position_kind(by) == perms.Kind.HR else "admin",
                comment=comment or rc.reason,
            )
        rc.save(update_fields=["status", "decided_by", "decided_at", "decision_comment", "after"])
    notify(
        rc.requested_by,
        title=(
            _("Recomputation of %(person)s's %(period)s scorecard approved")
            if approve
            else _("Recomputation of %(person)s's %(period)s scorecard rejected")
        ),
        body=comment,
        url=scorecard.get_absolute_url(),
        kind="scorecard_recomputation",
        params={"person": str(scorecard.user), "period": scorecard.period.key},
    )
    if approve and scorecard.status == Status.PUBLISHED:
        # The person hears of it only while the result is published: a scorecard appealed since
        # the request is back under review and they see it (and its total) once republished.
        notify(
            scorecard.user,
            title=_("Your %(period)s scorecard was recomputed"),
            body=_("Total %(total)s, grade %(grade)s."),
            url=scorecard.get_absolute_url(),
            kind="scorecard_recomputation",
            params=_result_params(scorecard),
        )
    return rc


def _results_for(cards: list[Scorecard]) -> dict[int, object]:
    """Today's ScoreResult of each scorecard, with the figures of a whole batch read in one
    pass per period and scheme (not a figures query per person)."""
    from performance.compute.services import figures_and_plans, score_user

    groups: dict[tuple[int, int], list[Scorecard]] = {}
    for card in cards:
        groups.setdefault((card.period_id, card.scheme_id), []).append(card)
    results = {}
    for group in groups.values():
        period, scheme = group[0].period.period, group[0].scheme
        users = [card.user for card in group]
        figures, plans = figures_and_plans(users, {u.position_id: scheme for u in users}, period)
        for card in group:
            results[card.pk] = score_user(
                card.user,
                period,
                scheme=scheme,
                figures=figures.get(card.user_id, {}),
                plan=plans.get(card.user_id, {}),
            )
    return results


def published_drift_check(*, batch_size: int = 200) -> tuple[int, int]:
    """Check the figures of every published scorecard, least recently checked first, in
    batches (figures read once per batch; one short transaction per scorecard). Returns
    (checked, with drift)."""
    ids = list(
        Scorecard.objects.filter(status=Status.PUBLISHED)
        .order_by(F("drift_checked_at").asc(nulls_first=True), "pk")
        .values_list("pk", flat=True)
    )
    checked = drifted = 0
    for start in range(0, len(ids), batch_size):
        cards = list(
            Scorecard.objects.filter(pk__in=ids[start : start + batch_size])
            .select_related("user", "period", "scheme", "team")
            .prefetch_related("scheme__items")
        )
        results = _results_for(cards)
        for card in cards:
            checked += 1
            drifted += drift_check(card, results[card.pk])
    return checked, drifted


def _result_params(scorecard: Scorecard) -> dict:
    """What a notification of a scorecard's result says: the period, total and grade."""
    return {
        "period": scorecard.period.key,
        "total": scorecard.total if scorecard.total is not None else "–",
        "grade": scorecard.grade or "–",
    }
