"""Celery tasks of the computation (queue reports): thin, idempotent, retried when the database
is briefly unavailable."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from performance.compute import services
from performance.periods import Period

RETRY = {"autoretry_for": (OperationalError,), "retry_backoff": True, "max_retries": 5}
# A whole company's month takes a while on big data: above the default 5 minutes.
LIMITS = {"soft_time_limit": 60 * 60, "time_limit": 60 * 60 + 60}

__all__ = ["scorecard_compute_task", "scorecard_run_task", "scorecards_nightly_task"]


@shared_task(name="performance.tasks.scorecard_run_task", bind=True, **RETRY, **LIMITS)
def scorecard_run_task(self, run_id: int) -> None:
    """Compute a ScorecardRun (a company or a team subtree), moving its progress."""
    try:
        services.scorecard_run_execute(run_id)
    except OperationalError as exc:
        if self.request.retries >= self.max_retries:
            # The last attempt: the run must not show as running forever.
            services.scorecard_run_fail(run_id, f"{type(exc).__name__}: {exc}")
        raise  # retried while attempts remain
    except Exception as exc:
        services.scorecard_run_fail(run_id, f"{type(exc).__name__}: {exc}")
        raise


@shared_task(name="performance.tasks.scorecards_nightly_task", **RETRY, **LIMITS)
def scorecards_nightly_task() -> int:
    """Nightly: the current month for everyone with an active scheme for their position."""
    run = services.scorecards_nightly()
    return run.done if run else 0


@shared_task(name="performance.tasks.scorecard_compute_task", **RETRY)
def scorecard_compute_task(user_id: int, period_key: str) -> int | None:
    """One person's scorecard for one period (created or updated)."""
    from crm.models import User

    user = User.objects.select_related("team", "position").filter(pk=user_id).first()
    if user is None:
        return None
    scorecard = services.scorecard_compute(user, Period.parse(period_key))
    return scorecard.pk if scorecard else None
