"""Sending care messages: one attempt per call, under a row lock, with the outcome recorded.

- A message is sent only while its row is `queued`, and the row is locked (skip locked on
  PostgreSQL) while it is being sent: two workers handed the same message send it once.
- A transient failure (mail server down, network, SMS rate limit) counts an attempt, keeps the
  message queued and sets `next_attempt_at` (exponential backoff); the task retries then, and
  `care_retry` re-queues whatever a lost task left behind. After MAX_ATTEMPTS the message is
  `failed` and shows on the care messages page, where it can be resent.
- A permanent failure (an address or number the server refuses) fails at once.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from service.models import CareMessage, CareRule
from service.sms import SmsError, send_sms

logger = logging.getLogger(__name__)

# The first try and eleven retries, 1, 2, 4 ... 32 minutes then hourly: about seven hours, so a
# mail server down for a morning's maintenance delays the day's greetings but fails none.
MAX_ATTEMPTS = 12
SENT, RETRY, FAILED, SKIPPED = "sent", "retry", "failed", "skipped"
# A queued message not picked up this long after it was due is queued again by care_retry.
SWEEP_GRACE = dt.timedelta(minutes=5)
# A message the sweep queued again is not queued again for this long: a worker with a backlog
# (a mail server that times out instead of refusing) must not get the same message every run.
SWEEP_LEASE = dt.timedelta(minutes=30)
EMAIL_TIMEOUT = 30
RESEND_LIMIT = 1000


def backoff(attempts: int) -> dt.timedelta:
    """1, 2, 4, 8, 16 minutes... at most an hour."""
    return dt.timedelta(seconds=min(60 * 2 ** max(attempts - 1, 0), 3600))


class PermanentError(Exception):
    pass


def _is_permanent(exc: Exception) -> bool:
    if isinstance(exc, PermanentError):
        return True
    if isinstance(exc, SmsError):
        return not exc.transient
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _msg in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return False  # a configuration problem: fixed by the admin, then retried
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return False


def _deliver(message: CareMessage) -> None:
    if message.channel == CareRule.Channel.EMAIL:
        mail_connection = get_connection(
            timeout=getattr(settings, "EMAIL_TIMEOUT", None) or EMAIL_TIMEOUT
        )
        owner = message.customer.owner
        EmailMessage(
            subject=message.subject,
            body=message.body,
            to=[message.recipient],
            # A customer answering a greeting or a survey reaches their rep.
            reply_to=[owner.email] if owner is not None and owner.email else None,
            connection=mail_connection,
            headers={"X-CRM-Care-Message": message.idempotency_key},
        ).send()
    elif message.channel == CareRule.Channel.SMS:
        text = f"{message.subject}\n{message.body}" if message.subject else message.body
        send_sms(to=message.recipient, body=text)
    else:
        _deliver_task(message)


def _deliver_task(message: CareMessage) -> None:
    """An in-app task for the customer's owner: a notification (idempotent by key)."""
    from notifications.services import notify

    user = message.recipient_user
    if user is None or not user.is_active:
        raise PermanentError("The owner to remind is gone or inactive.")
    notify(
        user,
        title=message.subject or message.body.splitlines()[0][:200],
        body=message.body,
        url=message.url,
        kind="service.care_task",
        key=f"service.care:{message.idempotency_key}"[:200],
    )


def _lock(message_id: int):
    qs = CareMessage.objects.filter(pk=message_id, status=CareMessage.Status.QUEUED)
    if connection.features.has_select_for_update_skip_locked:
        # Another worker holding the row is sending it right now: leave it to them.
        return qs.select_for_update(skip_locked=True).first()
    return qs.select_for_update().first()


def care_message_send(*, message_id: int) -> str:
    """Try to send one message; returns SENT, RETRY, FAILED or SKIPPED (not queued, or being
    sent by another worker)."""
    with transaction.atomic():
        message = _lock(message_id)
        if message is None:
            return SKIPPED
        now = timezone.now()
        message.attempts += 1
        try:
            _deliver(message)
        except Exception as exc:  # every failure is recorded, none lost
            message.last_error = f"{type(exc).__name__}: {exc}"[:500]
            if _is_permanent(exc) or message.attempts >= MAX_ATTEMPTS:
                message.status = CareMessage.Status.FAILED
                message.next_attempt_at = None
                outcome = FAILED
            else:
                message.next_attempt_at = now + backoff(message.attempts)
                outcome = RETRY
            logger.warning("Care message %s: %s (%s)", message.pk, message.last_error, outcome)
        else:
            message.status = CareMessage.Status.SENT
            message.sent_at = now
            message.next_attempt_at = None
            outcome = SENT
        message.save(
            update_fields=["attempts", "last_error", "status", "next_attempt_at", "sent_at"]
        )
        return outcome


def seconds_to_next_attempt(message_id: int) -> float:
    """Seconds until the message's next attempt is due (0 when due now or unknown)."""
    due = (
        CareMessage.objects.filter(pk=message_id).values_list("next_attempt_at", flat=True).first()
    )
    return max((due - timezone.now()).total_seconds(), 0.0) if due else 0.0


def care_message_queue(ids: list[int]) -> list[int]:
    """Queue the sending tasks; if the broker is down the rows stay queued for care_retry.
    Returns the ids queued."""
    from service.tasks import care_message_send_task

    queued = []
    for pk in ids:
        try:
            care_message_send_task.delay(pk)
        except Exception:  # the broker is down
            logger.warning("Could not queue care message %s; care_retry will.", pk)
            break
        queued.append(pk)
    return queued


def care_retry(*, now: dt.datetime | None = None, limit: int = 500) -> list[int]:
    """Queue again the queued messages nobody sent: due for a retry that never came, or never
    picked up at all (the broker was down when they were created)."""
    now = now or timezone.now()
    ids = list(
        CareMessage.objects.filter(status=CareMessage.Status.QUEUED)
        .filter(
            Q(next_attempt_at__lt=now - SWEEP_GRACE)
            | Q(next_attempt_at__isnull=True, created_at__lt=now - SWEEP_GRACE)
        )
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    # Lease them first (a task that runs at once, eagerly or on a fast worker, sets its own
    # next attempt): the next sweeps leave them to the task queued now.
    CareMessage.objects.filter(pk__in=ids, status=CareMessage.Status.QUEUED).update(
        next_attempt_at=now + SWEEP_LEASE
    )
    queued = care_message_queue(ids)
    lost = sorted(set(ids) - set(queued))
    if lost:  # the broker is down: the next sweep tries them again
        CareMessage.objects.filter(pk__in=lost, status=CareMessage.Status.QUEUED).update(
            next_attempt_at=None
        )
    return queued


@transaction.atomic
def care_message_resend(*, ids: list[int], by) -> int:
    """Put failed messages back in the queue with a fresh set of attempts (the failure is
    kept in last_error until the next one)."""
    pks = list(
        CareMessage.objects.select_for_update()
        .filter(pk__in=ids, status=CareMessage.Status.FAILED)
        .values_list("pk", flat=True)
    )
    CareMessage.objects.filter(pk__in=pks).update(
        # next_attempt_at now: the sweep leaves them to the task queued below for a while.
        status=CareMessage.Status.QUEUED,
        attempts=0,
        next_attempt_at=timezone.now(),
    )
    logger.info("%s resent care messages %s", by, pks)
    transaction.on_commit(lambda: care_message_queue(pks))
    return len(pks)
