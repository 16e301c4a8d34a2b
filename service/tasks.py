"""Background work of the service app (queue `notifications`): thin, each calls one service."""

from __future__ import annotations

from celery import shared_task

from service import care, reminders, sending


@shared_task
def care_run_task() -> int:
    """Daily: create the care messages due today and queue them."""
    return len(care.care_run())


@shared_task(bind=True, max_retries=sending.MAX_ATTEMPTS - 1)
def care_message_send_task(self, message_id: int) -> str:
    """Send one care message. A transient failure retries with exponential backoff (the row
    counts the attempts and fails itself after the last one; care_retry_task is the net under a
    retry lost with its worker)."""
    outcome = sending.care_message_send(message_id=message_id)
    if outcome == sending.RETRY and self.request.retries < self.max_retries:
        # The row's own next attempt (its attempts may be ahead of this task's retries, e.g.
        # after the sweep queued it): the backoff is the row's, whoever runs it.
        raise self.retry(countdown=sending.seconds_to_next_attempt(message_id))
    return outcome


@shared_task
def care_retry_task() -> int:
    """Every 10 minutes: queue again the queued messages no worker sent."""
    return len(sending.care_retry())


@shared_task
def reminders_task() -> dict:
    """Daily: staff reminders as notifications, and one digest email per person."""
    return reminders.reminders_send()
