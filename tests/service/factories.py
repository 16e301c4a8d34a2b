"""Factories of the service tests."""

from __future__ import annotations

import factory
from django.utils import timezone

from service.models import CareRule, Ticket
from tests.factories import CustomerFactory


class TicketFactory(factory.django.DjangoModelFactory):
    """A ticket opened through the service (flow, first step, due time, owner snapshot)."""

    class Meta:
        model = Ticket

    customer = factory.SubFactory(CustomerFactory)
    summary = factory.Sequence(lambda n: f"Problem {n}")
    type = Ticket.Type.INQUIRY
    channel = Ticket.Channel.PHONE
    priority = Ticket.Priority.NORMAL

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from service.services import ticket_open

        return ticket_open(by=kwargs.pop("by", None), **kwargs)


class CareRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CareRule

    name = factory.Sequence(lambda n: f"Rule {n}")
    trigger = CareRule.Trigger.CONTACT_BIRTHDAY
    channel = CareRule.Channel.EMAIL
    subject_en = "Happy birthday, {contact}!"
    body_en = "Dear {contact}, all the best from your friends at Hengtai."
    subject_zh_hans = "{contact}，生日快乐！"  # noqa: RUF001
    body_zh_hans = "亲爱的{contact}，恒泰全体同仁祝您生日快乐。"
    created_at = factory.LazyFunction(lambda: timezone.now() - timezone.timedelta(days=365))
