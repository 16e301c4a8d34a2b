"""Demo data of the service app for `seed_demo`: default care rules (a birthday greeting, a
thank-you survey 7 days after delivery, a renewal reminder 30 days before a contract ends, an
inactive SMS rule) and a few tickets at different steps. Idempotent: a second run adds nothing."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from crm.models import Position, User
from customers.models import Contact, Customer
from service import services
from service.models import CareRule, Ticket

RULES = [
    {
        "name": "生日祝福 Birthday greeting",
        "trigger": CareRule.Trigger.CONTACT_BIRTHDAY,
        "channel": CareRule.Channel.EMAIL,
        "subject_en": "Happy birthday, {contact}!",
        "body_en": "Dear {contact},\n\nall of us at Hengtai wish you a happy birthday and a "
        "wonderful year ahead.\n\n{owner}",
        "subject_zh_hans": "{contact}，生日快乐！",  # noqa: RUF001
        "body_zh_hans": "尊敬的{contact}：\n\n恒泰全体同仁祝您生日快乐，万事如意！\n\n{owner}",  # noqa: RUF001
    },
    {
        "name": "交付7天回访 Thank-you survey 7 days after delivery",
        "trigger": CareRule.Trigger.AFTER_DELIVERY,
        "days": 7,
        "channel": CareRule.Channel.EMAIL,
        "subject_en": "How is order {order} working for you?",
        "body_en": "Dear {contact},\n\nyour order {order} was delivered on {date}. Thank you for "
        "your trust! Is everything working as expected? Simply reply to this email.\n\n{owner}",
        "subject_zh_hans": "订单{order}使用回访",
        "body_zh_hans": "尊敬的{contact}：\n\n您的订单{order}已于{date}交付，感谢您的信任！"  # noqa: RUF001
        "产品使用是否顺利？如有任何问题，请直接回复本邮件。\n\n{owner}",  # noqa: RUF001
    },
    {
        "name": "合同到期前30天续约提醒 Renewal 30 days before contract end",
        "trigger": CareRule.Trigger.BEFORE_CONTRACT_END,
        "days": 30,
        "channel": CareRule.Channel.TASK,
        "subject_en": "Renewal: contract {contract} with {customer} ends on {date}",
        "body_en": "Call {contact} about renewing contract {contract}.",
        "subject_zh_hans": "续约：{customer}的合同{contract}将于{date}到期",
        "body_zh_hans": "请联系{contact}商谈合同{contract}的续约。",
    },
    {
        "name": "个人客户生日短信 Birthday SMS (ToC)",
        "trigger": CareRule.Trigger.CUSTOMER_BIRTHDAY,
        "customer_kind": "person",
        "channel": CareRule.Channel.SMS,
        "body_en": "Happy birthday, {customer}! Best wishes from Hengtai.",
        "body_zh_hans": "{customer}，恒泰祝您生日快乐！",  # noqa: RUF001
        "is_active": False,  # turned on once an SMS provider is configured (SMS_URL)
    },
]

TICKETS = [
    # summary, type, channel, priority, steps to advance, days ago
    ("设备运行十分钟后自动停机", "repair", "phone", "high", 2, 1),
    ("发票抬头开错，需要重开", "inquiry", "email", "normal", 0, 0),
    ("送货延迟三天，客户不满", "complaint", "wechat", "urgent", 0, 3),
    ("Request for the maintenance manual", "inquiry", "web", "low", 4, 12),
    ("安装后噪音偏大", "complaint", "visit", "normal", 4, 20),
]


def seed(*, reps: list[User], admin: User, stdout=None) -> None:
    rules = _seed_rules()
    if rules:
        _seed_birthday_today()
    tickets = _seed_tickets(admin=admin)
    if stdout is not None:
        stdout.write(f"Service: {rules} care rules, {tickets} tickets.")


def _seed_rules() -> int:
    created = 0
    for spec in RULES:
        if CareRule.objects.filter(name=spec["name"]).exists():
            continue
        rule = CareRule(**spec)
        rule.full_clean()
        rule.save()
        created += 1
    return created


def _seed_birthday_today() -> None:
    """One demo contact with an email has their birthday today, so that the birthday rule's
    preview shows someone on the day the demo is built."""
    contact = (
        Contact.objects.filter(customer__code__startswith="DEMO-", birthday__isnull=True)
        .order_by("-is_primary", "pk")
        .first()
    )
    if contact is not None:
        today = timezone.localdate()
        day = 28 if (today.month, today.day) == (2, 29) else today.day
        contact.birthday = dt.date(today.year - 35, today.month, day)
        contact.email = contact.email or f"contact{contact.pk}@demo.example.com"
        contact.save(update_fields=["birthday", "email"])


def _seed_tickets(*, admin: User) -> int:
    customers = list(
        Customer.objects.filter(code__startswith="DEMO-", owner__isnull=False).order_by("code")[
            : len(TICKETS)
        ]
    )
    if not customers or Ticket.objects.filter(customer__code__startswith="DEMO-").exists():
        return 0
    staff = list(
        User.objects.filter(position__kind=Position.Kind.CUSTOMER_SERVICE, is_active=True).order_by(
            "username"
        )
    ) or [admin]
    now = timezone.now()
    created = 0
    for i, (summary, type_, channel, priority, advance, days_ago) in enumerate(TICKETS):
        customer = customers[i % len(customers)]
        by = staff[i % len(staff)]
        contact = Contact.objects.filter(customer=customer).order_by("-is_primary", "pk").first()
        ticket = services.ticket_open(
            customer=customer,
            by=by,
            summary=summary,
            type=type_,
            channel=channel,
            priority=priority,
            contact=contact,
            assignee=by if advance else None,
            opened_at=now - dt.timedelta(days=days_ago, hours=2),
        )
        steps = list(ticket.flow.steps.order_by("position"))
        for step in steps[1 : advance + 1]:
            ticket = services.ticket_move(
                ticket=ticket,
                to_step=step,
                by=by,
                resolution="已远程指导客户完成处理。" if step.needs_resolution else "",
                satisfaction=5 if step.needs_customer_confirmation else None,
            )
        created += 1
    return created
