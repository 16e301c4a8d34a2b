"""Tickets: opened from the customer's page, worked through the ToB flow by customer service,
seen by whoever sees the customer and by nobody else."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from notifications.models import Notification
from service.models import ServiceFlow, ServiceSettings, Ticket, TicketEvent
from tests.factories import ContactFactory, CustomerFactory
from tests.service.factories import TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def service_client(org) -> Client:
    client = Client()
    client.force_login(org.service)
    return client


@pytest.fixture
def customer(org):
    return CustomerFactory(name="上海明辉机械有限公司", owner=org.rep, kind="company")


def _step(ticket: Ticket, position: int):
    return ticket.flow.steps.get(position=position)


def test_default_flows_are_seeded():
    tob = ServiceFlow.objects.get(kind="tob", is_default=True)
    toc = ServiceFlow.objects.get(kind="toc", is_default=True)
    assert [s.name.split(" ", 1)[1] for s in tob.steps.order_by("position")] == [
        "Received", "Assigned", "On site", "Resolved", "Confirmed by customer",
    ]  # fmt: skip
    assert [s.is_final for s in toc.steps.order_by("position")] == [False, False, True]


def test_ticket_goes_through_the_tob_flow_in_the_browser(
    org, customer, service_client, only_service_section
):
    contact = ContactFactory(customer=customer, name="王建国")
    # Opened from the customer's page: the section links to the form for this customer.
    page = service_client.get(customer.get_absolute_url())
    create_url = reverse("service:ticket-create") + f"?customer={customer.pk}"
    assert create_url in page.content.decode()
    response = service_client.post(
        create_url,
        {
            "type": "complaint",
            "channel": "phone",
            "priority": "high",
            "contact": contact.pk,
            "summary": "设备运行十分钟后停机",
            "description": "Since Monday.",
        },
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == ticket.get_absolute_url()
    assert ticket.flow.kind == "tob"
    assert ticket.step.position == 1
    assert ticket.customer_owner == org.rep  # the complaint KPI's rep
    assert ticket.due_at == ticket.opened_at + dt.timedelta(hours=24)  # high priority
    # The customer's owner hears about the complaint.
    assert Notification.objects.filter(user=org.rep, kind="service.complaint").exists()

    url = ticket.get_absolute_url()
    move = reverse("service:ticket-move", args=[ticket.pk])
    # "Assigned" needs an assignee.
    response = service_client.post(move, {"to_step": _step(ticket, 2).pk})
    assert response.status_code == 400
    assert "Assign the ticket to someone first." in response.content.decode()
    service_client.post(reverse("service:ticket-assign", args=[ticket.pk]), {"take": "1"})
    for position in (2, 3):
        response = service_client.post(move, {"to_step": _step(ticket, position).pk, "note": "ok"})
        assert response.status_code == 302
    # "Resolved" asks for the resolution; without it nothing moves.
    response = service_client.post(move, {"to_step": _step(ticket, 4).pk})
    assert response.status_code == 400
    ticket.refresh_from_db()
    assert ticket.step.position == 3
    service_client.post(move, {"to_step": _step(ticket, 4).pk, "resolution": "更换了电机"})
    # The customer confirms, with their satisfaction: the ticket is closed.
    response = service_client.post(move, {"to_step": _step(ticket, 5).pk, "satisfaction": "4"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.step.name.endswith("Confirmed by customer")
    assert ticket.closed_at is not None
    assert ticket.resolution == "更换了电机"
    assert ticket.satisfaction == 4
    assert list(ticket.events.values_list("kind", flat=True)) == [
        "opened", "assigned", "moved", "moved", "moved", "moved",
    ]  # fmt: skip
    page = service_client.get(url).content.decode()
    assert "更换了电机" in page
    assert "4/5" in page
    # Reopening goes back one step.
    response = service_client.post(move, {"to_step": _step(ticket, 4).pk, "note": "again"})
    ticket.refresh_from_db()
    assert ticket.closed_at is None
    assert ticket.events.last().kind == TicketEvent.Kind.REOPENED


def test_a_step_cannot_be_skipped(org, customer, service_client):
    ticket = TicketFactory(customer=customer, assignee=org.service)
    response = service_client.post(
        reverse("service:ticket-move", args=[ticket.pk]), {"to_step": _step(ticket, 4).pk}
    )
    assert response.status_code == 400
    ticket.refresh_from_db()
    assert ticket.step.position == 1


def test_person_customers_use_the_toc_flow(org):
    person = CustomerFactory(kind="person", owner=org.rep)
    ticket = TicketFactory(customer=person)
    assert ticket.flow.kind == "toc"


def test_priority_hours_are_configurable(org, customer):
    settings = ServiceSettings.current()
    settings.hours_normal = 10
    settings.save()
    ticket = TicketFactory(customer=customer)
    assert ticket.due_at - ticket.opened_at == dt.timedelta(hours=10)


def test_scopes(org, customer, rep_client, other_team_client, manager_client):
    ticket = TicketFactory(customer=customer)
    other = TicketFactory(customer=CustomerFactory(owner=org.other_team_rep))
    url = ticket.get_absolute_url()
    assert Client().get(url).status_code == 302  # anonymous: to the login page
    assert rep_client.get(url).status_code == 200
    assert manager_client.get(url).status_code == 200
    assert other_team_client.get(url).status_code == 404
    assert (
        other_team_client.post(
            reverse("service:ticket-move", args=[ticket.pk]), {"to_step": _step(ticket, 2).pk}
        ).status_code
        == 404
    )
    assert rep_client.get(reverse("service:ticket-move", args=[ticket.pk])).status_code == 405
    listing = rep_client.get(reverse("service:ticket-list") + "?view=all").content.decode()
    assert ticket.number in listing
    assert other.number not in listing
    # Read-only positions see tickets but cannot work them.
    planner = Client()
    planner.force_login(org.planner)
    assert planner.get(url).status_code == 200
    assert (
        planner.post(reverse("service:ticket-comment", args=[ticket.pk]), {"note": "x"}).status_code
        == 403
    )
    # Reps do not assign tickets (service does); the customer's owner may comment.
    assert (
        rep_client.post(
            reverse("service:ticket-assign", args=[ticket.pk]), {"take": "1"}
        ).status_code
        == 403
    )
    assert (
        rep_client.post(
            reverse("service:ticket-comment", args=[ticket.pk]), {"note": "客户很着急"}
        ).status_code
        == 302
    )


def test_customer_service_sees_every_ticket(org, customer, service_client):
    other = TicketFactory(customer=CustomerFactory(owner=org.other_team_rep))
    assert service_client.get(other.get_absolute_url()).status_code == 200


def test_open_by_customer_code_only_for_visible_customers(org, rep_client):
    hidden = CustomerFactory(owner=org.other_team_rep)
    response = rep_client.post(
        reverse("service:ticket-create"),
        {"customer_code": hidden.code, "type": "inquiry", "channel": "phone",
         "priority": "normal", "summary": "x"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "Unknown customer code." in response.content.decode()
    assert not Ticket.objects.exists()


def test_queue_mine_and_overdue(org, customer, service_client):
    queued = TicketFactory(customer=customer, summary="in the queue")
    mine = TicketFactory(customer=customer, summary="mine", assignee=org.service)
    late = TicketFactory(
        customer=customer,
        summary="late",
        assignee=org.teammate,
        opened_at=timezone.now() - dt.timedelta(days=10),
    )
    url = reverse("service:ticket-list")

    def numbers(view):
        page = service_client.get(f"{url}?view={view}").context["page"]
        return {t.number for t in page}

    assert numbers("queue") == {queued.number}
    assert numbers("mine") == {mine.number}
    assert numbers("overdue") == {late.number}
    assert numbers("all") == {queued.number, mine.number, late.number}


def test_list_query_count_is_fixed(org, customer, service_client, django_assert_max_num_queries):
    for _ in range(30):
        TicketFactory(customer=CustomerFactory(owner=org.rep), assignee=org.service)
    with django_assert_max_num_queries(8):
        response = service_client.get(reverse("service:ticket-list") + "?view=all")
    assert len(response.context["page"].object_list) == 30


def test_customer_page_section(org, customer, rep_client, only_service_section):
    TicketFactory(customer=customer, summary="报修：打印机卡纸")
    page = rep_client.get(customer.get_absolute_url()).content.decode()
    assert "报修：打印机卡纸" in page
    assert "1 open / 1" in page


def test_edit_priority_moves_the_due_time(org, customer, service_client):
    ticket = TicketFactory(customer=customer)
    response = service_client.post(
        reverse("service:ticket-update", args=[ticket.pk]),
        {"type": "repair", "channel": "email", "priority": "urgent", "summary": "Broken"},
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.type, ticket.priority) == ("repair", "urgent")
    assert ticket.due_at - ticket.opened_at == dt.timedelta(hours=4)
    assert ticket.events.filter(kind="changed").exists()


def test_complaints_count_against_the_owner_when_opened(org):
    from service.selectors import complaints_by_owner

    customer = CustomerFactory(owner=org.rep)
    now = timezone.now()
    TicketFactory(customer=customer, type="complaint", opened_at=now - dt.timedelta(days=3))
    TicketFactory(customer=customer, type="inquiry", opened_at=now - dt.timedelta(days=3))
    TicketFactory(customer=customer, type="complaint", opened_at=now - dt.timedelta(days=40))
    # The customer moves to the teammate: complaints already opened stay the rep's.
    customer.owner = org.teammate
    customer.save()
    TicketFactory(customer=customer, type="complaint", opened_at=now - dt.timedelta(days=1))
    counts = complaints_by_owner(start=now - dt.timedelta(days=30), end=now)
    assert counts == {org.rep.pk: 1, org.teammate.pk: 1}
    assert complaints_by_owner(
        start=now - dt.timedelta(days=30), end=now, user_ids=[org.rep.pk]
    ) == {org.rep.pk: 1}
