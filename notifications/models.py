"""In-app notifications: what the CRM tells one person (a lead assigned to them, a contract
waiting for their approval, a follow-up due today). Shown under the bell in the top bar; some
are also emailed (the email goes out from the `notifications` queue, and a sweep re-queues any
that never left, so nothing is lost when the broker or the mail server is down)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    class Email(models.TextChoices):
        NONE = "", _("not emailed")
        PENDING = "pending", _("email pending")
        SENT = "sent", _("emailed")
        FAILED = "failed", _("email failed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("kind"), max_length=40, blank=True)
    # Rendered in the recipient's language when created (a notification is read by one person).
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    # The same key for the same person never notifies twice (a task that runs twice, a retry).
    key = models.CharField(_("key"), max_length=200, blank=True, default="")
    email = models.CharField(
        _("email"), max_length=10, choices=Email.choices, default=Email.NONE, blank=True
    )
    email_attempts = models.PositiveSmallIntegerField(_("email attempts"), default=0)
    email_error = models.CharField(_("email error"), max_length=500, blank=True)
    # When a worker last took the email on (queued or tried): the sweep leaves alone an email
    # whose task chain is alive (waiting out its backoff), and re-queues only forgotten ones.
    email_touched_at = models.DateTimeField(_("email last queued"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key"], condition=~Q(key=""), name="notification_key"
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notification_user_recent"),
            models.Index(
                fields=["user"], condition=Q(read_at__isnull=True), name="notification_unread"
            ),
            models.Index(
                fields=["created_at"],
                condition=Q(email="pending"),
                name="notification_email_pending",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
