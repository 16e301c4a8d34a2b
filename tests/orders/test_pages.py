"""Every page of the app: anonymous visitors go to the login page, wrong methods get 405, and a
rep gets each page."""

from __future__ import annotations

import pytest
from django.urls import reverse

PAGES = [
    "orders:order-list",
    "orders:order-create",
    "orders:product-list",
    "orders:contract-list",
    "orders:contract-create",
    "orders:receivable-list",
    "orders:receivable-overdue",
    "orders:receivable-ageing",
    "orders:payment-list",
    "orders:expense-list",
    "orders:expense-create",
]


@pytest.mark.parametrize("name", PAGES)
def test_pages(client, rep_client, name):
    url = reverse(name)
    response = client.get(url)
    assert response.status_code == 302
    assert "login" in response["Location"]
    assert rep_client.get(url).status_code == 200


@pytest.mark.parametrize(
    "name", ["orders:order-status", "orders:contract-submit", "orders:payment-create"]
)
def test_post_only(rep_client, name):
    assert rep_client.get(reverse(name, args=[1])).status_code == 405


def test_products_are_managed_by_admins(rep_client, admin_client_):
    assert rep_client.get(reverse("orders:product-create")).status_code == 403
    response = admin_client_.post(
        reverse("orders:product-create"),
        {"sku": "NEW-1", "name": "新产品", "unit": "台", "list_price": "99.90", "active": "on"},
    )
    assert response.status_code == 302
    html = rep_client.get(reverse("orders:product-list"), {"q": "NEW-1"}).content.decode()
    assert "¥99.90" in html
