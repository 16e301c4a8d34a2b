"""Staff reminders: follow-ups due today, contracts ending soon and overdue receivables show up
as notifications of their owner, once a day, with one digest email per person."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from notifications.models import Notification
from orders.models import Contract, Receivable
from service import reminders
from service.tasks import reminders_task
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def due(org):
    today = timezone.localdate()
    followed = CustomerFactory(name="杭州云启科技有限公司", owner=org.rep)
    followed.next_follow_up_on = today
    followed.save()
    later = CustomerFactory(owner=org.rep)
    later.next_follow_up_on = today + dt.timedelta(days=1)
    later.save()
    contract = Contract.objects.create(
        customer=followed, owner=org.rep, title="年度维保合同", amount=Decimal("120000.00"),
        status="signed", end_on=today + dt.timedelta(days=30),
    )  # fmt: skip
    receivable = Receivable.objects.create(
        customer=followed, owner=org.teammate, amount=Decimal("5000.00"),
        due_date=today - dt.timedelta(days=1),
    )  # fmt: skip
    Receivable.objects.create(  # paid: nothing to remind
        customer=followed, owner=org.teammate, amount=Decimal("100.00"),
        paid_amount=Decimal("100.00"), status="paid", due_date=today - dt.timedelta(days=1),
    )  # fmt: skip
    return {"customer": followed, "contract": contract, "receivable": receivable}


def test_reminders_become_notifications_once(org, due):
    result = reminders_task()
    assert result == {"users": 2, "notified": 3, "digests": 2}
    rep_notes = Notification.objects.filter(user=org.rep).exclude(kind="service.digest")
    assert sorted(rep_notes.values_list("kind", flat=True)) == [
        "service.contract_ending",
        "service.follow_up",
    ]
    follow_up = rep_notes.get(kind="service.follow_up")
    assert follow_up.title == "Follow up 杭州云启科技有限公司 today"
    assert follow_up.url == due["customer"].get_absolute_url()
    owed = Notification.objects.get(user=org.teammate, kind="service.receivable_overdue")
    assert "5000.00" in owed.title
    assert "1 days late" in owed.title
    # Run twice (a retried task, two schedulers): nobody is told twice.
    assert reminders_task() == {"users": 2, "notified": 0, "digests": 0}
    assert Notification.objects.filter(user=org.rep).count() == 3  # two + the digest


def test_digest_lists_the_day_and_is_emailed(org, due):
    reminders.reminders_send()
    digest = Notification.objects.get(user=org.rep, kind="service.digest")
    assert digest.title.startswith("Your reminders for")
    assert digest.title.endswith(": 2")
    assert "Follow up 杭州云启科技有限公司 today" in digest.body
    assert "年度维保合同" not in digest.body  # the title names the number, not the title
    assert due["contract"].number in digest.body
    assert digest.email == Notification.Email.PENDING  # the notifications queue emails it


def test_digest_in_the_users_language(org, due):
    org.rep.language = "zh-hans"
    org.rep.save()
    reminders.reminders_send()
    digest = Notification.objects.get(user=org.rep, kind="service.digest")
    assert digest.body.count("•") == 2


def test_overdue_receivables_remind_weekly_and_catch_up_a_missed_day(org, due):
    today = timezone.localdate()

    def run(day) -> int:
        reminders.reminders_send(today=day)
        return Notification.objects.filter(
            user=org.teammate, kind="service.receivable_overdue"
        ).count()

    assert run(today) == 1  # 1 day late
    assert run(today + dt.timedelta(days=1)) == 1  # 2 days late: nothing new
    # The task did not run on day 8 (8 days late); the next day catches the weekly reminder up.
    assert run(today + dt.timedelta(days=8)) == 2
    assert run(today + dt.timedelta(days=9)) == 2


def test_contract_renewal_reminders_catch_up_a_missed_day(org, due):
    contract = due["contract"]
    end = contract.end_on
    days = lambda d: end - dt.timedelta(days=d)  # noqa: E731

    def reminded(day) -> int:
        reminders.reminders_send(today=day)
        return Notification.objects.filter(
            user=contract.owner, kind="service.contract_ending"
        ).count()

    Notification.objects.filter(kind="service.contract_ending").delete()
    assert reminded(days(31)) == 0
    assert reminded(days(28)) == 1  # 30 days left was missed: reminded at 28
    assert reminded(days(27)) == 1
    assert reminded(days(5)) == 2  # then the 7-day reminder, also caught up
    assert reminded(days(1)) == 2


def test_inactive_owner_gets_nothing(org, due):
    org.rep.is_active = False
    org.rep.save()
    reminders.reminders_send()
    assert not Notification.objects.filter(user=org.rep).exists()


def test_assignee_is_reminded_of_tickets_due(org):
    from tests.service.factories import TicketFactory

    customer = CustomerFactory(owner=org.rep)
    late = TicketFactory(
        customer=customer, assignee=org.service, summary="late",
        opened_at=timezone.now() - dt.timedelta(days=5),
    )  # fmt: skip
    TicketFactory(customer=customer, assignee=org.service, summary="next week", priority="low")
    reminders.reminders_send()
    [note] = Notification.objects.filter(user=org.service, kind="service.ticket_due")
    assert note.title.startswith(f"Ticket {late.number} for {customer.name} is due")
    assert note.url == late.get_absolute_url()
