"""Holes found in review: who decides on a contract, where a decision redirects, and what an
import may do to existing orders (transitions, cancellation, the receivables' owner)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from orders import services
from orders.models import Contract, Expense, Order, Receivable
from orders.services.finance import Installment
from tests.factories import (
    CustomerFactory,
    client_for,
)
from tests.orders.factories import make_order
from tests.orders.test_imports import errors, imp

D = Decimal
S = Contract.Status


def pending_contract(owner) -> Contract:
    contract = services.contract_create(
        by=owner,
        customer=CustomerFactory(owner=owner, name="杭州西湖电子有限公司"),
        owner=owner,
        title="年度供货合同",
        amount=D("150000.00"),
    )
    services.contract_submit(contract=contract, by=owner)
    contract.refresh_from_db()
    return contract


def test_an_administrator_cannot_approve_their_own_contract(org):
    contract = pending_contract(org.admin)
    assert contract.approver == org.vp  # the manager of the admin's team
    response = client_for(org.admin).post(
        reverse("orders:contract-decide", args=[contract.pk]), {"decision": "approve"}
    )
    assert response.status_code == 403
    contract.refresh_from_db()
    assert contract.status == S.PENDING
    assert not contract.approvals.exists()
    with pytest.raises(PermissionDenied):
        services.contract_approve(contract=contract, by=org.admin)
    client_for(org.vp).post(
        reverse("orders:contract-decide", args=[contract.pk]), {"decision": "approve"}
    )
    contract.refresh_from_db()
    assert contract.status == S.APPROVED


def test_only_the_named_approver_decides(org):
    contract = pending_contract(org.rep)
    assert contract.approver == org.manager
    # The regional manager sees the contract but is not its approver; the rep owns it.
    for user in (org.regional_manager, org.rep):
        response = client_for(user).post(
            reverse("orders:contract-decide", args=[contract.pk]),
            {"decision": "reject", "comment": "no"},
        )
        assert response.status_code == 403
        with pytest.raises(PermissionDenied):
            services.contract_reject(contract=contract, by=user, comment="no")
    assert (
        client_for(org.other_team_rep)
        .post(reverse("orders:contract-decide", args=[contract.pk]), {"decision": "approve"})
        .status_code
        == 404
    )
    contract.refresh_from_db()
    assert contract.status == S.PENDING


def test_a_manager_does_not_approve_a_contract_they_wrote_for_their_rep(org):
    contract = services.contract_create(
        by=org.manager,
        customer=CustomerFactory(owner=org.rep),
        owner=org.rep,
        title="代签合同",
        amount=D("150000.00"),
    )
    services.contract_submit(contract=contract, by=org.manager)
    contract.refresh_from_db()
    # Four eyes: the approval goes one level up, past the manager who wrote it.
    assert contract.approver == org.regional_manager
    response = client_for(org.manager).post(
        reverse("orders:contract-decide", args=[contract.pk]), {"decision": "approve"}
    )
    assert response.status_code == 403
    with pytest.raises(PermissionDenied):
        services.contract_approve(contract=contract, by=org.manager)
    contract.refresh_from_db()
    assert contract.status == S.PENDING
    client_for(org.regional_manager).post(
        reverse("orders:contract-decide", args=[contract.pk]), {"decision": "approve"}
    )
    contract.refresh_from_db()
    assert contract.status == S.APPROVED


def test_expense_decision_does_not_redirect_off_site(manager_client, org):
    expense = services.expense_create(
        by=org.rep, owner=org.rep, spent_on=date(2026, 10, 3), category="travel", amount=D("9")
    )
    url = reverse("orders:expense-decide", args=[expense.pk])
    response = manager_client.post(url, {"decision": "approve", "next": "https://evil.example/"})
    assert response.status_code == 302
    assert response["Location"] == reverse("orders:expense-list")
    expense.refresh_from_db()
    assert expense.status == Expense.Status.APPROVED
    local = manager_client.post(url, {"decision": "approve", "next": "/orders/expenses/?page=2"})
    assert local["Location"] == "/orders/expenses/?page=2"


HEADER = ["number", "customer", "owner", "order_date", "status"]


def test_import_moves_existing_orders_only_along_the_transitions(org, pump):
    customer = CustomerFactory(owner=org.rep, code="C-MINE")
    done = make_order(customer=customer, owner=org.rep, lines=[(pump, 1, None)], status="confirmed")
    for status in ("shipped", "delivered", "completed"):
        services.order_change_status(order=done, to=status, by=org.rep)
    bad = imp(
        "orders",
        [HEADER, [done.number, "C-MINE", "rep", str(done.order_date), "draft"]],
        org.rep,
    )
    assert errors(bad) == [(2, "status")]
    done.refresh_from_db()
    assert done.status == "completed"

    confirmed = make_order(
        customer=customer, owner=org.rep, lines=[(pump, 1, None)], status="confirmed"
    )
    good = imp(
        "orders",
        [HEADER, [confirmed.number, "C-MINE", "rep", str(confirmed.order_date), "shipped"]],
        org.rep,
    )
    assert good.written
    assert not good.errors
    confirmed.refresh_from_db()
    assert confirmed.status == "shipped"
    other = CustomerFactory(owner=org.rep, code="C-OTHER")
    moved = imp(
        "orders",
        [HEADER, [confirmed.number, "C-OTHER", "rep", str(confirmed.order_date), "shipped"]],
        org.rep,
    )
    assert errors(moved) == [(2, "customer")]
    assert Order.objects.get(pk=confirmed.pk).customer == customer != other


def test_import_does_not_cancel_an_order_with_receivables(org, pump):
    customer = CustomerFactory(owner=org.rep, code="C-MINE")
    order = make_order(
        customer=customer, owner=org.rep, lines=[(pump, 1, None)], status="confirmed"
    )
    services.receivables_schedule(
        by=org.rep,
        order=order,
        installments=[services.finance.Installment(D(100), date(2026, 12, 1))],
    )
    bad = imp(
        "orders",
        [HEADER, [order.number, "C-MINE", "rep", str(order.order_date), "cancelled"]],
        org.rep,
    )
    assert errors(bad) == [(2, "status")]
    order.refresh_from_db()
    assert order.status == "confirmed"


def test_receivables_follow_their_orders_owner_on_import(org, pump):
    customer = CustomerFactory(owner=org.rep, code="C-MINE")
    order = make_order(
        customer=customer, owner=org.rep, lines=[(pump, 1, None)], status="confirmed"
    )
    services.receivables_schedule(
        by=org.rep,
        order=order,
        installments=[
            services.finance.Installment(D(30), date(2026, 12, 1)),
            services.finance.Installment(D(70), date(2027, 1, 1)),
        ],
    )
    result = imp(
        "orders",
        [HEADER, [order.number, "C-MINE", "teammate", str(order.order_date), "confirmed"]],
        org.manager,
    )
    assert result.written
    assert not result.errors
    assert set(
        Receivable.objects.filter(order=order).values_list("owner__username", flat=True)
    ) == {"teammate"}


def test_a_contract_and_its_order_never_bill_the_same_money_twice(org, pump):
    from django.core.exceptions import ValidationError

    from orders.services.finance import Installment

    customer = CustomerFactory(owner=org.rep, code="C-MINE")
    order = make_order(
        customer=customer, owner=org.rep, lines=[(pump, 5, "1000.00")], status="confirmed"
    )
    contract = services.contract_create(
        by=org.rep, customer=customer, owner=org.rep, title="供货合同", amount=D("5000.00"),
        order=order,
    )  # fmt: skip
    services.contract_sign(contract=contract, by=org.rep, signed_on=date(2026, 11, 2))
    created = services.receivables_schedule(
        by=org.rep,
        contract=contract,
        installments=[Installment(D(30), date(2026, 11, 2)), Installment(D(70), date(2026, 12, 2))],
    )
    assert [str(r.amount) for r in created] == ["1500.00", "3500.00"]
    assert {(r.order_id, r.owner_id) for r in created} == {(order.pk, org.rep.pk)}
    with pytest.raises(ValidationError, match="already scheduled"):
        services.receivables_schedule(
            by=org.rep, order=order, installments=[Installment(D(100), date(2026, 12, 2))]
        )
    assert Receivable.objects.filter(order=order).count() == 2


def test_a_contract_takes_only_an_order_its_author_may_change(org, pump):
    customer = CustomerFactory(owner=org.teammate, code="C-TEAM")
    order = make_order(customer=customer, owner=org.teammate, lines=[(pump, 1, None)])
    # The rep sees his teammate's customer and order (team scope) but may not bill them.
    position = org.rep.position
    position.view_scope = "team"
    position.save()
    response = client_for(org.rep).post(
        reverse("orders:contract-create"),
        {"customer": "C-TEAM", "order_number": order.number, "owner": org.rep.pk,
         "title": "合同", "amount": "100.00"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "No order with this number." in response.content.decode()
    assert not Contract.objects.exists()


def test_receivables_follow_a_draft_orders_new_owner(org, pump):
    customer = CustomerFactory(owner=org.rep, code="C-MINE")
    order = make_order(customer=customer, owner=org.rep, lines=[(pump, 1, None)])
    # A draft's receivables come from a contract signed before the order is confirmed.
    contract = services.contract_create(
        by=org.rep, customer=customer, owner=org.rep, title="合同", amount=D("100.00"), order=order
    )
    services.contract_sign(contract=contract, by=org.rep, signed_on=date(2026, 11, 2))
    (receivable,) = services.receivables_schedule(
        by=org.rep, contract=contract, installments=[Installment(D(100), date(2026, 12, 1))]
    )
    assert receivable.order == order
    services.order_update(order=order, by=org.manager, owner=org.teammate)
    receivable.refresh_from_db()
    assert receivable.owner == org.teammate


def test_nobody_approves_their_own_expense_not_even_a_superuser(admin_client_, org):
    own = services.expense_create(
        by=org.admin, owner=org.admin, spent_on=date(2026, 10, 3), category="meals", amount=D("88")
    )
    response = admin_client_.post(
        reverse("orders:expense-decide", args=[own.pk]), {"decision": "approve"}
    )
    assert response.status_code == 403
    own.refresh_from_db()
    assert own.status == Expense.Status.SUBMITTED


@pytest.mark.parametrize("bad", ["NaN", "Infinity", "-inf", "1e999999"])
def test_lines_preview_survives_non_numbers(rep_client, pump, bad):
    response = rep_client.post(
        reverse("orders:order-lines"),
        {"lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0", "lines-0-product": pump.pk,
         "lines-0-quantity": bad, "lines-0-unit_price": bad},
    )  # fmt: skip
    assert response.status_code == 200
    assert "¥0.00" in response.content.decode()


def test_an_amount_beyond_the_money_columns_is_refused(org, customer, pump):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="too large"):
        make_order(customer=customer, owner=org.rep, lines=[(pump, "999999999", "999999999.00")])
    assert not Order.objects.exists()


def test_generated_pdfs_are_not_served_from_media(org, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    contract = pending_contract(org.rep)
    document = services.contract_document_generate(contract=contract, by=org.rep)
    assert (tmp_path / "media" / document.file.name).exists()
    # Only the scoped download view hands the file out, never a URL under MEDIA_URL.
    url = "/" + settings.MEDIA_URL + document.file.name
    for user in (org.rep, org.other_team_rep):
        assert client_for(user).get(url).status_code == 404
    download = reverse("orders:contract-document", args=[document.pk])
    assert client_for(org.rep).get(download).status_code == 200
    assert client_for(org.other_team_rep).get(download).status_code == 404
