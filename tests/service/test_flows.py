"""The service flows page: administrators define the steps of the ToB and ToC flows without
Django admin; a step tickets have used stays, and everyone else is turned away."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from service.models import FlowStep, ServiceFlow
from tests.factories import CustomerFactory
from tests.service.factories import TicketFactory

pytestmark = pytest.mark.django_db


def _post_data(flow: ServiceFlow | None, steps: list[dict], **fields) -> dict:
    data = {
        "name": fields.get("name", flow.name if flow else "New"),
        "kind": fields.get("kind", flow.kind if flow else "tob"),
        "steps-TOTAL_FORMS": str(len(steps)),
        "steps-INITIAL_FORMS": str(sum(1 for s in steps if s.get("id"))),
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "1000",
    }
    if fields.get("is_default", flow.is_default if flow else False):
        data["is_default"] = "on"
    if fields.get("is_active", True):
        data["is_active"] = "on"
    for i, step in enumerate(steps):
        for key, value in step.items():
            if value is True:
                data[f"steps-{i}-{key}"] = "on"
            elif value is not False:
                data[f"steps-{i}-{key}"] = value
    return data


def _existing(flow: ServiceFlow) -> list[dict]:
    return [
        {"id": s.pk, "flow": flow.pk, "position": s.position, "name": s.name,
         "is_final": s.is_final, "needs_assignee": s.needs_assignee,
         "needs_resolution": s.needs_resolution,
         "needs_customer_confirmation": s.needs_customer_confirmation}
        for s in flow.steps.order_by("position")
    ]  # fmt: skip


def test_only_administrators_edit_flows(org, rep_client, admin_client_):
    flow = ServiceFlow.objects.get(kind="toc", is_default=True)
    service = Client()
    service.force_login(org.service)
    for client in (rep_client, service):
        assert client.get(reverse("service:flow-list")).status_code == 403
        response = client.post(
            reverse("service:flow-update", args=[flow.pk]),
            _post_data(flow, _existing(flow), name="hijacked"),
        )
        assert response.status_code == 403
    flow.refresh_from_db()
    assert flow.name != "hijacked"
    page = admin_client_.get(reverse("service:flow-list")).content.decode()
    assert flow.name in page
    assert (
        reverse("service:flow-list")
        in admin_client_.get(reverse("service:ticket-list")).content.decode()
    )


def test_admin_adds_a_step_and_swaps_two(org, admin_client_):
    flow = ServiceFlow.objects.get(kind="toc", is_default=True)
    steps = _existing(flow)  # received > resolved > closed
    steps[0]["position"], steps[1]["position"] = 2, 1
    steps.append({"flow": flow.pk, "position": 4, "name": "回访 Follow-up call"})
    steps[2]["is_final"] = False
    steps[3]["is_final"] = True
    response = admin_client_.post(
        reverse("service:flow-update", args=[flow.pk]), _post_data(flow, steps)
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    names = [s.name.split(" ", 1)[1] for s in flow.steps.order_by("position")]
    assert names == ["Resolved", "Received", "Closed", "Follow-up call"]
    assert [s.is_final for s in flow.steps.order_by("position")] == [False, False, False, True]


def test_bad_flows_are_refused_with_errors(org, admin_client_):
    flow = ServiceFlow.objects.get(kind="toc", is_default=True)
    ticket = TicketFactory(customer=CustomerFactory(owner=org.rep, kind="person"))
    assert ticket.flow == flow
    url = reverse("service:flow-update", args=[flow.pk])
    # No final step.
    steps = _existing(flow)
    for s in steps:
        s["is_final"] = False
    response = admin_client_.post(url, _post_data(flow, steps))
    assert response.status_code == 200
    assert "Mark at least one step as final" in response.content.decode()
    # Two steps at one position.
    steps = _existing(flow)
    steps[1]["position"] = steps[0]["position"]
    response = admin_client_.post(url, _post_data(flow, steps))
    assert "Please correct the duplicate data for position." in response.content.decode()
    # The step a ticket is on cannot be removed.
    steps = _existing(flow)
    steps[0]["DELETE"] = True
    response = admin_client_.post(url, _post_data(flow, steps))
    assert "Tickets have used these steps" in response.content.decode()
    assert flow.steps.count() == 3
    assert FlowStep.objects.filter(pk=ticket.step_id).exists()


def test_a_new_default_flow_takes_over(org, admin_client_):
    old = ServiceFlow.objects.get(kind="tob", is_default=True)
    response = admin_client_.post(
        reverse("service:flow-create"),
        _post_data(
            None,
            [{"position": 1, "name": "受理 Received"}, {"position": 2, "name": "完成 Done",
              "is_final": True}],
            name="ToB quick", kind="tob", is_default=True,
        ),
    )  # fmt: skip
    assert response.status_code == 302, (
        response.context["form"].errors,
        response.context["formset"].errors,
        response.context["formset"].non_form_errors(),
    )
    new = ServiceFlow.objects.get(name="ToB quick")
    old.refresh_from_db()
    assert new.is_default
    assert not old.is_default
    ticket = TicketFactory(customer=CustomerFactory(owner=org.rep, kind="company"))
    assert ticket.flow == new
    assert ticket.step.name == "受理 Received"
