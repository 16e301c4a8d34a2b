"""In-app notifications: in the recipient's language, once per key, emailed with retries, and
only ever visible to their recipient."""

from __future__ import annotations

import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from notifications import services
from notifications.models import Notification
from notifications.tasks import notification_email_task

pytestmark = pytest.mark.django_db


def test_notification_is_written_in_the_recipients_language(org):
    org.rep.language = "zh-hans"
    org.rep.save()
    note = services.notify(org.rep, title=_("Customers"), url="/customers/")
    assert note.title == "客户"
    org.teammate.language = "en"
    org.teammate.save()
    assert services.notify(org.teammate, title=_("Customers")).title == "Customers"


def test_params_fill_the_placeholders(org):
    note = services.notify(org.rep, title="New lead: %(name)s", params={"name": "Acme"})
    assert note.title == "New lead: Acme"


def test_same_key_notifies_once(org):
    first = services.notify(org.rep, title="Due today", key="follow-up:1:2026-11-27")
    second = services.notify(org.rep, title="Due today", key="follow-up:1:2026-11-27")
    assert first is not None
    assert second is None
    assert Notification.objects.filter(user=org.rep).count() == 1
    # the key is per person
    assert services.notify(org.teammate, title="Due today", key="follow-up:1:2026-11-27")


def test_inactive_user_is_not_notified(org):
    org.rep.is_active = False
    org.rep.save()
    assert services.notify(org.rep, title="x") is None


def test_email_is_sent_after_commit(org, django_capture_on_commit_callbacks, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from crm.celery import app

    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            note = services.notify(
                org.rep, title="Contract waiting for you", url="/orders/", email=True
            )
    finally:
        app.conf.task_always_eager = False
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "Contract waiting for you"
    assert mail.outbox[0].to == [org.rep.email]
    assert "http://127.0.0.1:8000/orders/" in mail.outbox[0].body
    note.refresh_from_db()
    assert note.email == Notification.Email.SENT


def test_failed_email_stays_pending_with_the_error_then_is_sent(org, settings, monkeypatch):
    note = services.notify(org.rep, title="Reminder", email=True)

    def refuse(*args, **kwargs):
        raise smtplib.SMTPServerDisconnected("mail server down")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    with pytest.raises(services.EmailDeliveryError):
        services.email_send(note.pk)
    note.refresh_from_db()
    assert (note.email, note.email_attempts) == (Notification.Email.PENDING, 1)
    assert "mail server down" in note.email_error
    monkeypatch.undo()
    assert notification_email_task(note.pk)
    note.refresh_from_db()
    assert note.email == Notification.Email.SENT
    assert len(mail.outbox) == 1
    # a duplicate delivery of the task sends nothing more
    notification_email_task(note.pk)
    assert len(mail.outbox) == 1


def test_sweep_requeues_only_forgotten_pending_emails(org, monkeypatch):
    hours_ago = timezone.now() - timedelta(hours=3)
    forgotten = services.notify(org.rep, title="never queued (broker down)", email=True)
    Notification.objects.filter(pk=forgotten.pk).update(created_at=hours_ago)
    backing_off = services.notify(org.rep, title="a retry is waiting", email=True)
    Notification.objects.filter(pk=backing_off.pk).update(
        created_at=hours_ago, email_touched_at=timezone.now() - timedelta(minutes=50)
    )
    services.notify(org.rep, title="fresh", email=True)
    queued = []
    monkeypatch.setattr(services, "email_queue", queued.append)
    assert services.email_sweep() == 1
    assert queued == [forgotten.pk]


def test_the_last_failed_attempt_gives_up(org, monkeypatch):
    note = services.notify(org.rep, title="Reminder", email=True)
    Notification.objects.filter(pk=note.pk).update(email_attempts=services.EMAIL_MAX_ATTEMPTS - 1)

    def refuse(*args, **kwargs):
        raise smtplib.SMTPServerDisconnected("still down")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    assert services.email_send(note.pk) is False
    note.refresh_from_db()
    assert note.email == Notification.Email.FAILED


def test_bell_counts_only_my_unread(org, rep_client):
    services.notify(org.rep, title="one")
    services.notify(org.rep, title="two")
    read = services.notify(org.rep, title="read")
    services.mark_read(org.rep, ids=[read.pk])
    services.notify(org.teammate, title="not mine")
    response = rep_client.get(reverse("notifications:bell"))
    assert 'data-unread="2"' in response.content.decode()


def test_opening_marks_read_and_follows_the_link(org, rep_client):
    note = services.notify(org.rep, title="Go", url="/customers/")
    response = rep_client.post(reverse("notifications:notification-open", args=[note.pk]))
    assert response.status_code == 302
    assert response["Location"] == "/customers/"
    note.refresh_from_db()
    assert note.read_at is not None


def test_a_foreign_link_is_not_followed(org, rep_client):
    note = services.notify(org.rep, title="Go", url="https://evil.example.com/")
    response = rep_client.post(reverse("notifications:notification-open", args=[note.pk]))
    assert response["Location"] == reverse("notifications:notification-list")


def test_nobody_opens_someone_elses_notification(org, other_team_client):
    note = services.notify(org.rep, title="private")
    response = other_team_client.post(reverse("notifications:notification-open", args=[note.pk]))
    assert response.status_code == 404
    note.refresh_from_db()
    assert note.read_at is None


def test_mark_all_read_touches_only_mine(org, rep_client):
    services.notify(org.rep, title="a")
    theirs = services.notify(org.teammate, title="b")
    rep_client.post(reverse("notifications:notification-read-all"))
    assert not Notification.objects.filter(user=org.rep, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_list_has_a_fixed_number_of_queries(org, rep_client, django_assert_max_num_queries):
    for i in range(60):
        services.notify(org.rep, title=f"n{i}")
    with django_assert_max_num_queries(8):
        response = rep_client.get(reverse("notifications:notification-list"))
    assert response.status_code == 200
    assert "n59" in response.content.decode()
    assert "n9<" not in response.content.decode()  # page 2
