"""Every service page renders for the people it is for, with a fixed number of queries."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from service import care
from service.models import CareMessage
from tests.factories import ContactFactory, CustomerFactory
from tests.service.factories import CareRuleFactory, TicketFactory

pytestmark = pytest.mark.django_db


def test_ticket_pages_render(org, rep_client):
    customer = CustomerFactory(owner=org.rep)
    ContactFactory(customer=customer, name="陈静")
    ticket = TicketFactory(customer=customer)
    service = Client()
    service.force_login(org.service)
    for url in (
        reverse("service:ticket-list"),
        reverse("service:ticket-list") + "?view=all&status=open&type=inquiry&q=Problem",
        reverse("service:ticket-create"),
        reverse("service:ticket-create") + f"?customer={customer.pk}",
        ticket.get_absolute_url(),
        reverse("service:ticket-update", args=[ticket.pk]),
    ):
        assert service.get(url).status_code == 200, url
    # A rep opens tickets for the customers they see, not for another team's.
    hidden = CustomerFactory(owner=org.other_team_rep)
    url = reverse("service:ticket-create") + f"?customer={hidden.pk}"
    assert rep_client.get(url).status_code == 404
    hr = Client()
    hr.force_login(org.hr)
    assert hr.get(reverse("service:ticket-create")).status_code == 403


def test_care_pages_render_with_fixed_queries(org, admin_client_, django_assert_max_num_queries):
    rule = CareRuleFactory()
    for i in range(40):
        customer = CustomerFactory(owner=org.rep)
        CareMessage.objects.create(
            rule=rule, customer=customer, channel="email", recipient=f"c{i}@example.com",
            occasion=f"x{i}", body="Hello", status="failed" if i % 2 else "sent",
            idempotency_key=f"{rule.pk}:x{i}",
        )  # fmt: skip
    with django_assert_max_num_queries(10):
        page = admin_client_.get(reverse("service:care-message-list") + "?status=failed")
    assert len(page.context["page"].object_list) == 20
    with django_assert_max_num_queries(10):
        assert admin_client_.get(reverse("service:care-rule-list")).status_code == 200
    for url in (
        reverse("service:care-rule-create"),
        reverse("service:care-rule-update", args=[rule.pk]),
        reverse("service:care-rule-preview", args=[rule.pk]) + "?day=2026-02-30",
    ):
        assert admin_client_.get(url).status_code == 200, url
    # Resend every failed message at once.
    response = admin_client_.post(reverse("service:care-message-resend"), {"all_failed": "1"})
    assert response.status_code == 302
    assert not CareMessage.objects.filter(status="failed").exists()
    assert care.care_due(rule) == []


def test_ticket_list_exports_what_the_viewer_sees(org, rep_client):
    mine = TicketFactory(customer=CustomerFactory(owner=org.rep), summary="mine")
    TicketFactory(customer=CustomerFactory(owner=org.other_team_rep), summary="theirs")
    response = rep_client.get(reverse("service:ticket-list") + "?view=all&export=csv")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert body.splitlines()[0] == "customer,type,channel,opened_at,status,owner,summary"
    assert mine.customer.code in body
    assert "theirs" not in body
