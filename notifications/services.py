"""Writes of the notifications app: create, email, mark read."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from crm.models import User
from notifications.models import Notification

logger = logging.getLogger(__name__)

# A pending email that no worker took on for this long was lost (the broker was down when it was
# queued, or a worker died): the sweep queues it again. Longer than the longest retry backoff
# (tasks.py), so that an email waiting out its backoff is not queued a second time.
EMAIL_SWEEP_AFTER = timedelta(hours=2)
EMAIL_MAX_ATTEMPTS = 8


def _render(text: Any, params: dict | None) -> str:
    text = str(text)
    return text % params if params else text


def notify(
    user,
    *,
    title,
    body="",
    url: str = "",
    kind: str = "",
    params: dict | None = None,
    key: str | None = None,
    email: bool = False,
) -> Notification | None:
    """Tell `user` something, in their language. Returns the new notification, or None when the
    user is inactive or already has one with this `key`. With `email`, the notification is also
    emailed (after the caller's transaction commits) if the user has an address."""
    if user is None or not user.is_active:
        return None
    with translation.override(user.language or settings.LANGUAGE_CODE):
        fields = {
            "kind": kind,
            "title": _render(title, params)[:300],
            "body": _render(body, params),
            "url": url,
            "email": Notification.Email.PENDING if email and user.email else "",
        }
    try:
        with transaction.atomic():
            notification = Notification.objects.create(user=user, key=key or "", **fields)
    except IntegrityError:
        if not key:
            raise
        return None  # already notified under this key
    if notification.email == Notification.Email.PENDING:
        transaction.on_commit(lambda: email_queue(notification.pk))
    return notification


def email_queue(notification_id: int) -> None:
    """Queue the email; if the broker is unreachable the row stays pending for the sweep."""
    from notifications.tasks import notification_email_task

    try:
        notification_email_task.delay(notification_id)
    except Exception:  # the broker is down: the sweep will queue it later
        logger.warning("Could not queue the email of notification %s", notification_id)
        return
    Notification.objects.filter(pk=notification_id).update(email_touched_at=timezone.now())


class EmailDeliveryError(Exception):
    """The mail server refused or was unreachable; the attempt is recorded, the task retries."""


def email_send(notification_id: int) -> bool:
    """Send one pending notification email. Returns True when sent (or nothing to do), False
    when it gave up; raises EmailDeliveryError after recording a failed attempt, so that the
    task retries.

    The row is locked while sending (`skip_locked`: a second task for the same email, from a
    sweep or a duplicate delivery, finds it taken and does nothing), so an email goes out once.
    """
    error = None
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True)
            .filter(pk=notification_id, email=Notification.Email.PENDING)
            .first()
        )
        if notification is None:
            return True
        user = User.objects.get(pk=notification.user_id)
        with translation.override(user.language or settings.LANGUAGE_CODE):
            text = render_to_string(
                "notifications/email.txt",
                {"notification": notification, "link": _absolute(notification.url), "user": user},
            )
        attempts = notification.email_attempts + 1
        try:
            EmailMessage(notification.title, text, to=[user.email]).send()
        except Exception as exc:  # SMTP refusals, connection errors, timeouts
            error = exc
        failed = error is not None and attempts >= EMAIL_MAX_ATTEMPTS
        Notification.objects.filter(pk=notification.pk).update(
            email_attempts=attempts,
            email_error=str(error)[:500] if error else "",
            email_touched_at=timezone.now(),
            email=Notification.Email.SENT
            if error is None
            else (Notification.Email.FAILED if failed else Notification.Email.PENDING),
        )
    if error is None:
        return True
    if failed:
        logger.error("Gave up emailing notification %s: %s", notification_id, error)
        return False
    raise EmailDeliveryError(str(error)) from error


def email_sweep(now=None) -> int:
    """Queue again the emails still pending after a while (see EMAIL_SWEEP_AFTER)."""
    now = now or timezone.now()
    forgotten = now - EMAIL_SWEEP_AFTER
    ids = list(
        Notification.objects.filter(email=Notification.Email.PENDING, created_at__lt=forgotten)
        .filter(Q(email_touched_at__isnull=True) | Q(email_touched_at__lt=forgotten))
        .values_list("pk", flat=True)[:1000]
    )
    for pk in ids:
        email_queue(pk)
    return len(ids)


def mark_read(user, ids=None) -> int:
    """Mark the user's notifications read (all unread ones when `ids` is None)."""
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())


def _absolute(url: str) -> str:
    if not url or url.startswith(("http://", "https://")):
        return url
    return settings.CRM_SITE_URL.rstrip("/") + url
