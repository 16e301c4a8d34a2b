"""Writes of the notifications app: create, email, mark read."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from notifications.models import Notification

logger = logging.getLogger(__name__)

# A pending email older than this was not picked up by a worker (the broker was down when it was
# queued, or a worker died): the sweep queues it again.
EMAIL_SWEEP_AFTER = timedelta(minutes=2)
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


def email_send(notification_id: int) -> bool:
    """Send one pending notification email. Returns True when sent (or nothing to do); raises
    on a delivery error after recording it, so that the task retries."""
    notification = Notification.objects.select_related("user").filter(pk=notification_id).first()
    if notification is None or notification.email != Notification.Email.PENDING:
        return True
    user = notification.user
    with translation.override(user.language or settings.LANGUAGE_CODE):
        text = render_to_string(
            "notifications/email.txt",
            {
                "notification": notification,
                "link": _absolute(notification.url),
                "user": user,
            },
        )
    message = EmailMessage(notification.title, text, to=[user.email])
    try:
        message.send()
    except Exception as error:
        attempts = notification.email_attempts + 1
        Notification.objects.filter(pk=notification.pk).update(
            email_attempts=attempts,
            email_error=str(error)[:500],
            email=Notification.Email.FAILED
            if attempts >= EMAIL_MAX_ATTEMPTS
            else Notification.Email.PENDING,
        )
        raise
    Notification.objects.filter(pk=notification.pk).update(
        email=Notification.Email.SENT, email_attempts=notification.email_attempts + 1
    )
    return True


def email_sweep(now=None) -> int:
    """Queue again the emails still pending after a while (see EMAIL_SWEEP_AFTER)."""
    now = now or timezone.now()
    ids = list(
        Notification.objects.filter(
            email=Notification.Email.PENDING, created_at__lt=now - EMAIL_SWEEP_AFTER
        ).values_list("pk", flat=True)[:1000]
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
