"""Contracts: numbering, manager approval above the threshold, signing, expiry, and the PDF
generated from the admin-editable template (Chinese text checked with pypdf)."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from orders import services
from orders.models import Contract, ContractApproval, ContractCounter, ContractDocument
from orders.tasks import contracts_expire_task
from tests.factories import (
    CustomerFactory,
    client_for,
)
from tests.orders.factories import make_order

S = Contract.Status


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def new_contract(owner, amount="150000.00", customer=None, **kwargs):
    return services.contract_create(
        by=owner,
        customer=customer or CustomerFactory(owner=owner, name="杭州西湖电子有限公司"),
        owner=owner,
        title=kwargs.pop("title", "年度供货合同"),
        amount=Decimal(amount),
        **kwargs,
    )


def test_numbers_follow_the_pattern_per_year(org, settings):
    year = timezone.localdate().year
    first, second = new_contract(org.rep), new_contract(org.rep)
    assert first.number == f"HT-{year}-00001"
    assert second.number == f"HT-{year}-00002"
    assert services.contract_number_next(on=date(2030, 1, 5)) == "HT-2030-00001"
    settings.CRM_CONTRACT_NUMBER_PATTERN = "C{yy}{mm}-{seq:03d}"
    assert services.contract_number_next(on=date(2030, 2, 1)) == "C3002-002"
    assert ContractCounter.objects.get(year=2030).last == 2


def test_contract_above_threshold_approved_by_manager_and_pdf_downloaded(org, pump):
    """The 'Done when' journey, through the real views."""
    rep, manager = client_for(org.rep), client_for(org.manager)
    customer = CustomerFactory(owner=org.rep, name="上海恒泰机械有限公司")
    order = make_order(
        customer=customer, owner=org.rep, lines=[(pump, 15, "10000.00")], status="confirmed"
    )
    page = rep.get(reverse("orders:contract-create") + f"?order={order.pk}")
    assert page.status_code == 200
    assert order.number in page.content.decode()
    response = rep.post(
        reverse("orders:contract-create") + f"?order={order.pk}",
        {
            "customer": customer.code,
            "order_number": order.number,
            "owner": org.rep.pk,
            "title": "离心泵年度供货合同",
            "amount": "150000.00",
            "start_on": "2026-11-01",
            "end_on": "2027-10-31",
            "terms": "",
        },
    )
    assert response.status_code == 302
    contract = Contract.objects.get()
    assert contract.order == order
    assert contract.needs_approval
    # Above the threshold it cannot be signed without approval.
    rep.post(reverse("orders:contract-sign", args=[contract.pk]), {"signed_on": "2026-11-02"})
    contract.refresh_from_db()
    assert contract.status == S.DRAFT

    rep.post(reverse("orders:contract-submit", args=[contract.pk]))
    contract.refresh_from_db()
    assert (contract.status, contract.approver) == (S.PENDING, org.manager)
    from notifications.models import Notification

    assert Notification.objects.filter(user=org.manager, kind="contract_approval").exists()
    # The rep cannot approve their own contract; another manager in sight cannot either.
    assert (
        rep.post(
            reverse("orders:contract-decide", args=[contract.pk]), {"decision": "approve"}
        ).status_code
        == 403
    )
    assert (
        client_for(org.regional_manager)
        .post(reverse("orders:contract-decide", args=[contract.pk]), {"decision": "approve"})
        .status_code
        == 403
    )
    assert (
        client_for(org.other_team_rep)
        .post(reverse("orders:contract-decide", args=[contract.pk]), {"decision": "approve"})
        .status_code
        == 404
    )
    detail = manager.get(contract.get_absolute_url()).content.decode()
    assert 'id="decision-form"' in detail
    response = manager.post(
        reverse("orders:contract-decide", args=[contract.pk]),
        {"decision": "approve", "comment": "同意 Agreed"},
    )
    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.status == S.APPROVED
    approval = ContractApproval.objects.get()
    assert (approval.decided_by, approval.decision, approval.comment) == (
        org.manager,
        "approved",
        "同意 Agreed",
    )
    assert Notification.objects.filter(user=org.rep, kind="contract_decision").exists()

    rep.post(reverse("orders:contract-sign", args=[contract.pk]), {"signed_on": "2026-11-02"})
    contract.refresh_from_db()
    assert (contract.status, contract.signed_on) == (S.SIGNED, date(2026, 11, 2))

    response = rep.post(reverse("orders:contract-pdf", args=[contract.pk]))
    assert response.status_code == 302
    document = ContractDocument.objects.get()
    download = rep.get(response["Location"])
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    pdf = b"".join(download.streaming_content)
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "销售合同" in text
    assert "上海恒泰机械有限公司" in text
    assert contract.number in text
    assert "150,000.00" in text
    # Kept per generation; out of scope: 404.
    rep.post(reverse("orders:contract-pdf", args=[contract.pk]))
    assert ContractDocument.objects.filter(contract=contract).count() == 2
    url = reverse("orders:contract-document", args=[document.pk])
    assert client_for(org.other_team_rep).get(url).status_code == 404
    assert Client().get(url).status_code == 302


def test_owner_who_is_the_manager_goes_up_the_tree(org):
    contract = new_contract(org.manager)
    services.contract_submit(contract=contract, by=org.manager)
    contract.refresh_from_db()
    assert contract.approver == org.regional_manager
    top = new_contract(org.vp)
    services.contract_submit(contract=top, by=org.vp)
    top.refresh_from_db()
    assert top.approver is None  # nobody above the VP: administrators decide
    client_for(org.admin).post(
        reverse("orders:contract-decide", args=[top.pk]), {"decision": "approve"}
    )
    top.refresh_from_db()
    assert top.status == S.APPROVED


def test_reject_needs_a_comment_and_returns_to_draft(org):
    contract = new_contract(org.rep)
    services.contract_submit(contract=contract, by=org.rep)
    with pytest.raises(ValidationError):
        services.contract_reject(contract=contract, by=org.manager, comment=" ")
    client_for(org.manager).post(
        reverse("orders:contract-decide", args=[contract.pk]),
        {"decision": "reject", "comment": "价格太低 Price too low"},
    )
    contract.refresh_from_db()
    assert contract.status == S.DRAFT
    assert contract.approvals.get().decision == "rejected"


def test_threshold_from_settings(org, settings):
    settings.CRM_CONTRACT_APPROVAL_THRESHOLD = "1000"
    small = new_contract(org.rep, amount="1000.00")
    assert not small.needs_approval
    services.contract_sign(contract=small, by=org.rep, signed_on=date(2026, 11, 1))
    small.refresh_from_db()
    assert small.status == S.SIGNED
    big = new_contract(org.rep, amount="1000.01")
    assert big.needs_approval
    with pytest.raises(ValidationError, match="approval"):
        services.contract_sign(contract=big, by=org.rep, signed_on=date(2026, 11, 1))


def test_expiry_task(org):
    ended = new_contract(org.rep, amount="10.00", end_on=date(2026, 1, 31))
    running = new_contract(org.rep, amount="10.00", end_on=date(2099, 1, 31))
    draft = new_contract(org.rep, amount="10.00", end_on=date(2026, 1, 31))
    for c in (ended, running):
        services.contract_sign(contract=c, by=org.rep, signed_on=date(2026, 1, 1))
    assert contracts_expire_task() == 1
    assert contracts_expire_task() == 0  # idempotent
    statuses = dict(Contract.objects.values_list("pk", "status"))
    assert statuses == {ended.pk: S.EXPIRED, running.pk: S.SIGNED, draft.pk: S.DRAFT}


def test_contract_pages_are_scoped(org):
    contract = new_contract(org.rep)
    assert client_for(org.other_team_rep).get(contract.get_absolute_url()).status_code == 404
    assert client_for(org.manager).get(contract.get_absolute_url()).status_code == 200
    assert (
        client_for(org.other_team_rep)
        .post(reverse("orders:contract-submit", args=[contract.pk]))
        .status_code
        == 404
    )
    html = client_for(org.rep).get(reverse("orders:contract-list")).content.decode()
    assert contract.number in html


def test_contract_for_another_customers_order_is_refused(org, pump):
    customer = CustomerFactory(owner=org.rep)
    order = make_order(
        customer=customer, owner=org.rep, lines=[(pump, 1, None)], status="confirmed"
    )
    other = CustomerFactory(owner=org.rep)
    response = client_for(org.rep).post(
        reverse("orders:contract-create"),
        {"customer": other.code, "order_number": order.number, "owner": org.rep.pk,
         "title": "x", "amount": "10.00"},
    )  # fmt: skip
    assert "another customer" in response.content.decode()
    assert not Contract.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_numbers_are_unique(org):
    import threading

    from django.db import connections

    numbers, barrier = [], threading.Barrier(4)

    def take():
        try:
            barrier.wait()
            from django.db import transaction

            with transaction.atomic():
                numbers.append(services.contract_number_next(on=date(2031, 1, 1)))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=take) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(numbers) == [f"HT-2031-0000{i}" for i in range(1, 5)]


def test_contract_list_query_count(org, django_assert_max_num_queries):
    for _ in range(20):
        new_contract(org.rep, amount="10.00")
    manager = client_for(org.manager)
    with django_assert_max_num_queries(12):
        response = manager.get(reverse("orders:contract-list"))
    assert response.content.decode().count("<code>HT-") == 20


def test_broken_template_shows_an_error(org):
    from orders.models import ContractTemplate

    ContractTemplate.objects.update(source="{% if %}")
    contract = new_contract(org.rep)
    response = client_for(org.rep).post(
        reverse("orders:contract-pdf", args=[contract.pk]), follow=True
    )
    assert response.status_code == 200
    assert not ContractDocument.objects.exists()
    # Read-only positions download, they do not generate.
    assert (
        client_for(org.planner).post(reverse("orders:contract-pdf", args=[contract.pk])).status_code
        == 403
    )


def test_contract_from_an_opportunity_and_its_schedule(org):
    from opportunities.models import Opportunity, Stage

    stage = Stage.objects.select_related("pipeline").order_by("pk").first()
    customer = CustomerFactory(owner=org.rep)
    opportunity = Opportunity.objects.create(
        customer=customer,
        owner=org.rep,
        name="三期改造",
        amount=Decimal("80000.00"),
        pipeline=stage.pipeline,
        stage=stage,
    )
    rep = client_for(org.rep)
    url = reverse("orders:contract-create") + f"?opportunity={opportunity.pk}"
    html = rep.get(url).content.decode()
    assert "三期改造" in html
    assert "80000.00" in html
    response = rep.post(
        url,
        {"customer": customer.code, "owner": org.rep.pk, "title": "三期改造合同",
         "amount": "80000.00", "order_number": ""},
    )  # fmt: skip
    assert response.status_code == 302
    contract = Contract.objects.get()
    assert contract.opportunity == opportunity
    rep.post(reverse("orders:contract-sign", args=[contract.pk]), {"signed_on": "2026-11-02"})
    schedule = reverse("orders:contract-schedule", args=[contract.pk])
    assert rep.get(schedule).status_code == 200
    rep.post(
        schedule,
        {
            "installments-TOTAL_FORMS": "3",
            "installments-INITIAL_FORMS": "0",
            "installments-0-percent": "33.33",
            "installments-0-due_date": "2026-11-10",
            "installments-1-percent": "33.33",
            "installments-1-due_date": "2026-12-10",
            "installments-2-percent": "33.34",
            "installments-2-due_date": "2027-01-10",
        },
    )
    amounts = list(contract.receivables.order_by("due_date").values_list("amount", flat=True))
    assert [str(a) for a in amounts] == ["26664.00", "26664.00", "26672.00"]
    assert sum(amounts) == contract.amount
