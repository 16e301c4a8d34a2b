"""Celery tasks of the review chain (queue reports)."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

__all__ = ["published_drift_check_task"]


@shared_task(
    name="performance.tasks.published_drift_check_task",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def published_drift_check_task(batch_size: int = 200) -> dict:
    """Daily: compare the frozen figures of published scorecards with today's (has_drift)."""
    from performance.review.services import published_drift_check

    checked, drifted = published_drift_check(batch_size=batch_size)
    return {"checked": checked, "drifted": drifted}
