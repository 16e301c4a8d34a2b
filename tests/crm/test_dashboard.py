"""The home page's "your work" cards count what the signed-in person must act on."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.services.finance import Installment, receivables_schedule
from tests.factories import CustomerFactory
from tests.leads.factories import LeadFactory
from tests.opportunities.factories import make_opportunity
from tests.orders.factories import ProductFactory, make_order
from tests.service.factories import TicketFactory

pytestmark = pytest.mark.django_db


def test_home_counts_my_leads_deals_overdue_money_and_tickets(org, rep_client):
    LeadFactory(owner=org.rep, status="new")
    LeadFactory(owner=org.rep, status="contacted")  # already worked on
    LeadFactory(owner=org.teammate, status="new")  # someone else's
    # 10,000.00 at 30 % (visit) + 5,000.00 at 10 % (initial contact) = 3,500.00 weighted
    make_opportunity(owner=org.rep, amount="10000.00", stage_name="Visit")
    make_opportunity(owner=org.rep, amount="5000.00")
    make_opportunity(owner=org.teammate, amount="99999.00")
    customer = CustomerFactory(owner=org.rep)
    product = ProductFactory(list_price=Decimal("1000.00"))
    order = make_order(
        customer=customer, owner=org.rep, lines=[(product, 3, None)], status="confirmed"
    )
    today = timezone.localdate()
    receivables_schedule(
        by=org.rep,
        order=order,
        installments=[
            Installment(percent=Decimal(30), due_date=today - dt.timedelta(days=5)),  # 900.00
            Installment(percent=Decimal(70), due_date=today + dt.timedelta(days=5)),  # not yet
        ],
    )
    TicketFactory(customer=customer, assignee=org.rep)
    TicketFactory(customer=customer, assignee=org.teammate)

    response = rep_client.get(reverse("home"))
    html = response.content.decode()
    assert response.context["new_leads"] == 1
    assert response.context["open_opportunities"] == 2
    assert response.context["weighted_pipeline"] == Decimal("3500.00")
    assert response.context["overdue_receivables"] == 1
    assert response.context["overdue_amount"] == Decimal("900.00")
    assert response.context["my_open_tickets"] == 1
    assert 'data-testid="new-leads">1<' in html
    assert "900.00" in html
