"""Expenses: reps enter them, their managers approve or reject them, within the data scope."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from orders import services
from orders.models import Expense
from tests.factories import client_for

D = Decimal


def expense(owner, amount="100.00", **kwargs):
    return services.expense_create(
        by=owner,
        owner=owner,
        spent_on=kwargs.pop("spent_on", date(2026, 10, 3)),
        category=kwargs.pop("category", "travel"),
        amount=D(amount),
        note=kwargs.pop("note", "高铁"),
    )


def test_rep_enters_manager_approves(rep_client, manager_client, org):
    response = rep_client.post(
        reverse("orders:expense-create"),
        {"spent_on": "2026-10-03", "category": "meals", "amount": "1200.50", "note": "客户晚餐"},
    )
    assert response.status_code == 302
    e = Expense.objects.get()
    assert (e.owner, e.status, e.amount) == (org.rep, "submitted", D("1200.50"))
    # The rep cannot approve their own expense.
    assert (
        rep_client.post(
            reverse("orders:expense-decide", args=[e.pk]), {"decision": "approve"}
        ).status_code
        == 403
    )
    html = manager_client.get(reverse("orders:expense-list")).content.decode()
    assert "1,200.50" in html
    assert 'value="approve"' in html
    manager_client.post(reverse("orders:expense-decide", args=[e.pk]), {"decision": "approve"})
    e.refresh_from_db()
    assert (e.status, e.decided_by) == ("approved", org.manager)
    # Decided: no longer editable by the rep.
    assert (
        rep_client.post(
            reverse("orders:expense-update", args=[e.pk]),
            {"spent_on": "2026-10-03", "category": "meals", "amount": "1.00"},
        ).status_code
        == 302
    )
    e.refresh_from_db()
    assert e.amount == D("1200.50")


def test_reject_needs_a_comment(manager_client, org):
    e = expense(org.rep)
    manager_client.post(reverse("orders:expense-decide", args=[e.pk]), {"decision": "reject"})
    e.refresh_from_db()
    assert e.status == "submitted"
    manager_client.post(
        reverse("orders:expense-decide", args=[e.pk]), {"decision": "reject", "comment": "无发票"}
    )
    e.refresh_from_db()
    assert (e.status, e.decision_comment) == ("rejected", "无发票")


def test_scopes(other_team_client, org):
    e = expense(org.rep)
    assert (
        other_team_client.post(
            reverse("orders:expense-decide", args=[e.pk]), {"decision": "approve"}
        ).status_code
        == 404
    )
    assert other_team_client.get(reverse("orders:expense-update", args=[e.pk])).status_code == 404
    # A teammate (a rep) sees nothing of it and decides nothing.
    teammate = client_for(org.teammate)
    assert (
        teammate.post(
            reverse("orders:expense-decide", args=[e.pk]), {"decision": "approve"}
        ).status_code
        == 404
    )
    # The regional manager above the team may decide.
    client_for(org.regional_manager).post(
        reverse("orders:expense-decide", args=[e.pk]), {"decision": "approve"}
    )
    e.refresh_from_db()
    assert e.status == "approved"


def test_bad_input_changes_nothing(rep_client):
    response = rep_client.post(
        reverse("orders:expense-create"),
        {"spent_on": "2026-10-03", "category": "x", "amount": "-3"},
    )
    assert response.status_code == 200
    assert not Expense.objects.exists()


def test_list_filters_totals_and_query_count(manager_client, org, django_assert_max_num_queries):
    for i in range(25):
        expense(org.rep, amount="10.00", spent_on=date(2026, 10, 1 + i))
    rejected = expense(org.teammate, amount="99.99")
    services.expense_decide(expense=rejected, by=org.manager, approve=False, comment="no")
    with django_assert_max_num_queries(14):
        response = manager_client.get(reverse("orders:expense-list"))
    html = response.content.decode()
    assert "26 expenses" in html
    assert "¥349.99" in html
    assert "¥250.00" in html
    html = manager_client.get(
        reverse("orders:expense-list"), {"owner": org.teammate.pk, "status": "rejected"}
    ).content.decode()
    assert "1 expense" in html


@pytest.mark.parametrize("amount", ["0", "-1"])
def test_service_refuses_non_positive_amounts(org, amount):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        expense(org.rep, amount=amount)
