"""The demo data: care rules and tickets, created once."""

from __future__ import annotations

import pytest

from customers.demo import seed_customers
from service import care, demo
from service.models import CareRule, Ticket

pytestmark = pytest.mark.django_db


def test_demo_is_idempotent(org):
    seed_customers(reps=[org.rep, org.teammate], admin=org.admin)
    demo.seed(reps=[org.rep, org.teammate], admin=org.admin)
    rules, tickets = CareRule.objects.count(), Ticket.objects.count()
    assert rules == 4
    assert tickets == 5
    assert CareRule.objects.filter(channel="sms", is_active=False).exists()
    assert Ticket.objects.filter(closed_at__isnull=False).exists()
    assert Ticket.objects.filter(closed_at__isnull=True, assignee__isnull=True).exists()
    demo.seed(reps=[org.rep, org.teammate], admin=org.admin)
    assert (CareRule.objects.count(), Ticket.objects.count()) == (rules, tickets)
    for rule in CareRule.objects.all():  # every demo rule's query runs
        care.care_due(rule)
