"""Customer care: rules find who is due, CareMessage rows record every message, emails go
through a real SMTP server, exactly once per occasion, and nothing is lost when it is down."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from crm.celery import app as celery_app
from crm.dates import start_of_day
from notifications.models import Notification
from orders.models import Order, OrderStatusChange
from service import care, sending
from service.models import CareMessage, CareRule
from service.tasks import care_message_send_task, care_retry_task, care_run_task
from tests.factories import ContactFactory, CustomerFactory
from tests.service.factories import CareRuleFactory, TicketFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def _years_ago(day: dt.date, years: int) -> dt.date:
    return day.replace(year=day.year - years) if (day.month, day.day) != (2, 29) else day


def _delivered(customer, owner, *, days_ago: int) -> Order:
    order = Order.objects.create(customer=customer, owner=owner, status="delivered")
    OrderStatusChange.objects.create(
        order=order,
        from_status="shipped",
        to_status="delivered",
        changed_at=start_of_day(TODAY() - dt.timedelta(days=days_ago)) + dt.timedelta(hours=15),
    )
    return order


@pytest.fixture
def world(org):
    """A contact with a birthday today, one tomorrow; an order delivered 7 days ago, one 6."""
    today = TODAY()
    a = CustomerFactory(name="Pacific Rim Foods Ltd", owner=org.rep, language="en")
    birthday = ContactFactory(
        customer=a, name="Amy Chen", email="amy@pacific.example",
        birthday=_years_ago(today, 40),
    )  # fmt: skip
    ContactFactory(
        customer=a, name="Bob Li", email="bob@pacific.example",
        birthday=_years_ago(today + dt.timedelta(days=1), 35),
    )  # fmt: skip
    b = CustomerFactory(name="上海明辉机械有限公司", owner=org.rep, language="zh-hans")
    primary = ContactFactory(
        customer=b, name="王建国", email="wang@minghui.example", is_primary=True
    )
    ContactFactory(customer=b, name="李秀英", email="li@minghui.example")
    order = _delivered(b, org.rep, days_ago=7)
    _delivered(CustomerFactory(owner=org.rep), org.rep, days_ago=6)
    birthday_rule = CareRuleFactory(name="Birthday greeting")
    delivery_rule = CareRuleFactory(
        name="Thank you, 7 days after delivery",
        trigger=CareRule.Trigger.AFTER_DELIVERY,
        days=7,
        subject_en="How is order {order}?",
        body_en="Dear {contact}, your order {order} arrived on {date}. How are you finding it?",
        subject_zh_hans="订单{order}使用情况回访",
        body_zh_hans="尊敬的{contact}：您的订单{order}已于{date}送达，使用还满意吗？",  # noqa: RUF001
    )
    return {
        "birthday": birthday, "primary": primary, "order": order,
        "birthday_rule": birthday_rule, "delivery_rule": delivery_rule,
    }  # fmt: skip


def _run(capture, today=None):
    with capture(execute=True):
        return care.care_run(today=today)


def test_birthday_and_after_delivery_send_one_email_each(
    world, smtp_server, tasks_inline, django_capture_on_commit_callbacks
):
    _run(django_capture_on_commit_callbacks)
    assert sorted(m.rcpt_tos[0] for m in smtp_server.messages) == [
        "amy@pacific.example",
        "wang@minghui.example",
    ]
    assert all(b"Reply-To: rep@example.com" in m.content for m in smtp_server.messages)
    texts = " ".join(smtp_server.texts())
    assert "Dear Amy Chen, all the best" in texts
    order = world["order"]
    delivered_on = (TODAY() - dt.timedelta(days=7)).isoformat()
    assert f"尊敬的王建国：您的订单{order.number}已于{delivered_on}送达" in texts
    # The send log.
    log = {m.rule.name: m for m in CareMessage.objects.select_related("rule")}
    assert set(log) == {"Birthday greeting", "Thank you, 7 days after delivery"}
    for message in log.values():
        assert message.status == "sent"
        assert message.attempts == 1
        assert message.sent_at is not None
    assert log["Birthday greeting"].contact == world["birthday"]
    assert log["Birthday greeting"].subject == "Happy birthday, Amy Chen!"
    assert log["Thank you, 7 days after delivery"].subject == f"订单{order.number}使用情况回访"
    # The same day again, and the next morning (whose catch-up window covers today): nothing new.
    _run(django_capture_on_commit_callbacks)
    _run(django_capture_on_commit_callbacks, today=TODAY() + dt.timedelta(days=1))
    assert [m.rcpt_tos for m in smtp_server.messages].count(["amy@pacific.example"]) == 1
    assert [m.rcpt_tos for m in smtp_server.messages].count(["wang@minghui.example"]) == 1
    assert CareMessage.objects.filter(rule=world["delivery_rule"]).count() == 1


def test_nothing_is_due_on_other_days(world):
    assert care.care_due(world["delivery_rule"], today=TODAY() - dt.timedelta(days=5)) == []
    # Yesterday's occasions are not due yesterday-minus-3 either (window of CATCH_UP_DAYS).
    birthdays = care.care_due(world["birthday_rule"], today=TODAY() - dt.timedelta(days=5))
    assert birthdays == []


def test_a_new_rule_does_not_catch_up_before_it_existed(world):
    rule = world["birthday_rule"]
    rule.created_at = timezone.now()
    rule.save()
    tomorrow = TODAY() + dt.timedelta(days=1)
    names = {d.contact_name for d in care.care_due(rule, today=tomorrow)}
    assert names == {"Amy Chen", "Bob Li"}  # today's is caught up, as the rule existed today
    rule.created_at = start_of_day(tomorrow) + dt.timedelta(hours=1)
    rule.save()
    assert {d.contact_name for d in care.care_due(rule, today=tomorrow)} == {"Bob Li"}


def test_conditions_filter_customers(world):
    rule = world["birthday_rule"]
    rule.level = "A"
    rule.save()
    assert care.care_due(rule) == []
    rule.level = "C"
    rule.customer_kind = "company"
    rule.save()
    assert len(care.care_due(rule)) == 1


def test_mail_server_down_nothing_lost_then_back(
    world, smtp_server, tasks_inline, django_capture_on_commit_callbacks
):
    smtp_server.stop()
    with django_capture_on_commit_callbacks(execute=False):
        care.care_run()  # the broker took nothing (callbacks not run): rows are queued
    queued = list(CareMessage.objects.order_by("pk"))
    assert len(queued) == 2
    assert {m.status for m in queued} == {"queued"}
    outcome = sending.care_message_send(message_id=queued[0].pk)
    assert outcome == sending.RETRY
    queued[0].refresh_from_db()
    assert queued[0].status == "queued"
    assert queued[0].attempts == 1
    assert "Connection refused" in queued[0].last_error or "Errno" in queued[0].last_error
    assert queued[0].next_attempt_at > timezone.now()
    # The server comes back; the periodic retry picks up both (one after its backoff, one
    # never attempted).
    smtp_server.start()
    assert care_retry_task() == 0  # nothing overdue yet
    later = timezone.now() + dt.timedelta(hours=1)
    assert len(sending.care_retry(now=later)) == 2
    assert len(smtp_server.messages) == 2
    assert set(CareMessage.objects.values_list("status", flat=True)) == {"sent"}


def test_retries_with_backoff_then_failed_then_resent(
    org, world, smtp_server, tasks_inline, django_capture_on_commit_callbacks
):
    smtp_server.stop()
    with django_capture_on_commit_callbacks(execute=False):
        care.care_run()
    message = CareMessage.objects.get(rule=world["birthday_rule"])
    # The task retries (eagerly here, so at once) until the last attempt, then gives up.
    celery_app.conf.task_eager_propagates = False  # (restored by tasks_inline)
    care_message_send_task.delay(message.pk)
    message.refresh_from_db()
    assert message.status == "failed"
    assert message.attempts == sending.MAX_ATTEMPTS
    assert message.last_error
    assert [sending.backoff(n).total_seconds() for n in range(1, 6)] == [60, 120, 240, 480, 960]
    # Failed messages show on the admin page and can be resent.
    admin = Client()
    admin.force_login(org.admin)
    page = admin.get(reverse("service:care-message-list") + "?status=failed")
    assert "amy@pacific.example" in page.content.decode()
    smtp_server.start()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(reverse("service:care-message-resend"), {"ids": [message.pk]})
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.status == "sent"
    assert [m.rcpt_tos for m in smtp_server.messages] == [["amy@pacific.example"]]


def test_a_refused_recipient_fails_at_once(world, smtp_server):
    async def refuse(server, session, envelope, address, rcpt_options):
        return "550 No such user"

    smtp_server.handler.handle_RCPT = refuse  # type: ignore[attr-defined]
    care.care_run()
    message = CareMessage.objects.get(rule=world["birthday_rule"])
    assert sending.care_message_send(message_id=message.pk) == sending.FAILED
    message.refresh_from_db()
    assert message.status == "failed"
    assert message.attempts == 1


def test_a_message_is_sent_once_even_if_queued_twice(world, smtp_server):
    care.care_run()
    message = CareMessage.objects.get(rule=world["birthday_rule"])
    assert sending.care_message_send(message_id=message.pk) == sending.SENT
    assert sending.care_message_send(message_id=message.pk) == sending.SKIPPED
    assert len(smtp_server.messages) == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent transactions")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_at_once_send_each_message_once(world, smtp_server, tasks_inline):
    barrier = threading.Barrier(2)
    errors = []

    def worker():
        try:
            barrier.wait()
            care_run_task()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert CareMessage.objects.count() == 2
    assert sorted(m.rcpt_tos[0] for m in smtp_server.messages) == [
        "amy@pacific.example",
        "wang@minghui.example",
    ]


def test_in_app_task_for_the_owner(org, world, tasks_inline, django_capture_on_commit_callbacks):
    silent = CustomerFactory(name="Northwind Energy Co.", owner=org.teammate)
    silent.last_contacted_at = start_of_day(TODAY() - dt.timedelta(days=30)) + dt.timedelta(hours=9)
    silent.save()
    also_silent = CustomerFactory(name="青岛蓝海食品有限公司", owner=org.teammate)
    also_silent.last_contacted_at = silent.last_contacted_at
    also_silent.save()
    CareRuleFactory(
        name="No follow-up for 30 days",
        trigger=CareRule.Trigger.NO_FOLLOW_UP,
        days=30,
        channel=CareRule.Channel.TASK,
        subject_en="Call {customer}: no follow-up since {date}",
        body_en="Nobody has talked to {customer} for {days} days.",
        subject_zh_hans="",
        body_zh_hans="",
    )
    _run(django_capture_on_commit_callbacks)
    # One task per customer, even for one owner and one silent day.
    notes = Notification.objects.filter(user=org.teammate, kind="service.care_task")
    note = notes.get(url=silent.get_absolute_url())
    assert note.title.startswith("Call Northwind Energy Co.: no follow-up since")
    assert notes.filter(url=also_silent.get_absolute_url()).exists()
    _run(django_capture_on_commit_callbacks)
    assert notes.count() == 2


def test_ticket_closed_survey_goes_to_the_tickets_contact(org, world):
    customer = world["primary"].customer
    contact = ContactFactory(customer=customer, name="赵敏", email="zhao@minghui.example")
    ticket = TicketFactory(customer=customer, contact=contact)
    ticket.closed_at = timezone.now()
    ticket.save()
    rule = CareRuleFactory(
        trigger=CareRule.Trigger.TICKET_CLOSED, days=0,
        subject_en="How did we do on {ticket}?", body_en="Rate us, {contact}.",
        subject_zh_hans="", body_zh_hans="",
    )  # fmt: skip
    [due] = care.care_due(rule)
    assert (due.contact_name, due.email) == ("赵敏", "zhao@minghui.example")


def test_rule_pages_are_for_admins(org, world, rep_client, admin_client_):
    assert rep_client.get(reverse("service:care-rule-list")).status_code == 403
    assert rep_client.get(reverse("service:care-message-list")).status_code == 403
    assert rep_client.post(reverse("service:care-message-resend")).status_code == 403
    assert admin_client_.get(reverse("service:care-rule-list")).status_code == 200
    preview = admin_client_.get(
        reverse("service:care-rule-preview", args=[world["birthday_rule"].pk])
    )
    body = preview.content.decode()
    assert "amy@pacific.example" in body
    assert "Dear Amy Chen" in body
    assert "bob@pacific.example" not in body  # tomorrow


def test_rule_form_checks_placeholders(admin_client_):
    response = admin_client_.post(
        reverse("service:care-rule-create"),
        {"name": "Bad", "trigger": "customer_birthday", "days": 0, "channel": "email",
         "subject_en": "Hi {customer.__class__}", "body_en": "Hello {nobody}",
         "is_active": "on"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "Unknown placeholder: {nobody}" in response.content.decode()
    assert not CareRule.objects.exists()
    response = admin_client_.post(
        reverse("service:care-rule-create"),
        {"name": "Renewal", "trigger": "before_contract_end", "days": 30, "channel": "email",
         "subject_en": "Contract {contract}", "body_en": "Ends on {date}", "is_active": "on"},
    )  # fmt: skip
    rule = CareRule.objects.get()
    assert response["Location"] == reverse("service:care-rule-preview", args=[rule.pk])


def test_template_cannot_reach_attributes():
    from service.models.care import render_template

    assert render_template("{customer.__class__} {customer}", {"customer": "A"}) == (
        "{customer.__class__} A"
    )


def test_no_follow_up_counts_from_creation_when_never_contacted(org):
    today = TODAY()
    never = CustomerFactory(owner=org.rep, email="never@example.com")
    never.created_at = start_of_day(today - dt.timedelta(days=14)) + dt.timedelta(hours=10)
    never.save()
    talked = CustomerFactory(owner=org.rep, email="talked@example.com")
    talked.created_at = never.created_at
    talked.last_contacted_at = timezone.now()
    talked.save()
    rule = CareRuleFactory(
        trigger=CareRule.Trigger.NO_FOLLOW_UP, days=14, subject_en="We miss you", body_en="Hi"
    )
    assert [d.customer_id for d in care.care_due(rule)] == [never.pk]


def test_placeholders_in_customer_data_are_not_evaluated(
    org, admin_client_, smtp_server, tasks_inline, django_capture_on_commit_callbacks
):
    """A customer or contact name that looks like a template (Django's {{ }} / {% %}, our own
    {placeholder}, %-formatting) is written as it is, in the email, the owner's task and the
    preview: nothing in it is evaluated."""
    today = TODAY()
    evil = "{{ settings.SECRET_KEY }}{% debug %}{owner}%(x)s<b>"
    customer = CustomerFactory(name=evil, owner=org.rep, email="evil@example.com",
                               birthday=_years_ago(today, 30))  # fmt: skip
    email_rule = CareRuleFactory(
        trigger=CareRule.Trigger.CUSTOMER_BIRTHDAY, subject_en="Hi {customer}",
        body_en="Dear {customer}, from {owner}.", subject_zh_hans="", body_zh_hans="",
    )  # fmt: skip
    CareRuleFactory(
        trigger=CareRule.Trigger.CUSTOMER_BIRTHDAY, channel=CareRule.Channel.TASK,
        subject_en="Call {customer}", body_en="{customer} 100%", subject_zh_hans="",
        body_zh_hans="",
    )  # fmt: skip
    _run(django_capture_on_commit_callbacks)
    [text] = smtp_server.texts()
    owner = org.rep.get_full_name() or org.rep.username
    assert text.strip() == f"Dear {evil}, from {owner}."
    assert set(CareMessage.objects.values_list("status", flat=True)) == {"sent"}
    note = Notification.objects.get(user=org.rep, kind="service.care_task")
    assert (note.title, note.body) == (f"Call {evil}", f"{evil} 100%")
    preview = admin_client_.get(reverse("service:care-rule-preview", args=[email_rule.pk]))
    body = preview.content.decode()
    assert "{{ settings.SECRET_KEY }}{% debug %}{owner}%(x)s&lt;b&gt;" in body
    assert customer.name == evil


def test_a_long_mail_outage_fails_nothing_for_hours():
    # Every attempt but the last is followed by a wait: together they span several hours.
    waited = sum(sending.backoff(n).total_seconds() for n in range(1, sending.MAX_ATTEMPTS))
    assert waited >= 6 * 3600


def test_the_sweep_does_not_queue_a_message_again_and_again(world, monkeypatch):
    care.care_run()  # (no on-commit callbacks run: nothing was queued)
    queued = []
    monkeypatch.setattr(sending, "care_message_queue", lambda ids: queued.extend(ids) or ids)
    later = timezone.now() + dt.timedelta(hours=1)
    assert len(sending.care_retry(now=later)) == 2
    # The worker has not got to them yet: the next sweeps leave them alone for a while.
    assert sending.care_retry(now=later + dt.timedelta(minutes=10)) == []
    assert len(sending.care_retry(now=later + dt.timedelta(hours=1))) == 2
    assert len(queued) == 4


def test_the_sweep_tries_again_when_the_broker_is_down(world, monkeypatch):
    care.care_run()
    monkeypatch.setattr(sending, "care_message_queue", lambda ids: [])  # broker down
    later = timezone.now() + dt.timedelta(hours=1)
    assert sending.care_retry(now=later) == []
    monkeypatch.setattr(sending, "care_message_queue", lambda ids: ids)
    assert len(sending.care_retry(now=later + dt.timedelta(minutes=10))) == 2
