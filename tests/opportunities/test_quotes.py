"""Quotes: lines with products and discounts, Decimal totals, scopes, and the PDF with its
Chinese text."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from opportunities.models import Quote
from orders.models import Product
from tests.factories import ContactFactory, CustomerFactory
from tests.opportunities.factories import make_opportunity

pytestmark = pytest.mark.django_db


@pytest.fixture
def opportunity(org):
    customer = CustomerFactory(
        owner=org.rep, name="杭州恒泰精密机械有限公司", address="杭州市西湖区文三路 100 号"
    )
    opp = make_opportunity(
        owner=org.rep, customer=customer, name="数控机床升级项目", amount="80000.00"
    )
    opp.contact = ContactFactory(customer=customer, name="王芳", title="采购经理")
    opp.save(update_fields=["contact"])
    return opp


@pytest.fixture
def product(db):
    return Product.objects.create(
        sku="CNC-01", name="数控系统 CNC-01", unit="套", list_price=Decimal("12500.00")
    )


def lines_data(rows):
    data = {
        "lines-TOTAL_FORMS": str(len(rows)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"lines-{i}-{key}"] = value
    return data


def post_quote(client, opportunity, rows, **fields):
    data = {
        "title": "数控机床升级方案",
        "status": "draft",
        "issued_on": "2026-11-20",
        "valid_until": "2026-12-20",
        "tax_rate": "13",
        "terms": "付款方式：合同签订后支付 30%，发货前支付 70%。",
        **fields,
        **lines_data(rows),
    }
    return client.post(reverse("opportunities:quote-create", args=[opportunity.pk]), data)


def test_create_a_quote_with_lines_and_exact_totals(rep_client, opportunity, product):
    page = rep_client.get(reverse("opportunities:quote-create", args=[opportunity.pk]))
    assert page.status_code == 200
    response = post_quote(
        rep_client,
        opportunity,
        [
            # product's list price and name are taken when left empty
            {"product": product.pk, "quantity": "3", "discount_percent": "10"},
            {"description": "安装调试服务", "quantity": "1", "unit_price": "3333.33"},
            {"description": "", "quantity": "", "unit_price": ""},  # empty row: ignored
        ],
    )
    quote = Quote.objects.get()
    assert response.status_code == 302
    assert response["Location"] == quote.get_absolute_url()
    lines = list(quote.lines.all())
    assert [(line.description, line.unit_price, line.amount) for line in lines] == [
        ("数控系统 CNC-01", Decimal("12500.00"), Decimal("33750.00")),
        ("安装调试服务", Decimal("3333.33"), Decimal("3333.33")),
    ]
    totals = quote.totals()
    assert totals == {
        "gross": Decimal("40833.33"),
        "discount": Decimal("3750.00"),
        "net": Decimal("37083.33"),
        "tax": Decimal("4820.83"),  # 37083.33 x 13 % = 4820.8329, half up
        "total": Decimal("41904.16"),
    }
    assert quote.number.startswith("Q")
    assert quote.created_by == opportunity.owner


def test_a_quote_needs_a_line_and_a_price(rep_client, opportunity):
    response = post_quote(rep_client, opportunity, [{"description": "服务", "quantity": "1"}])
    assert response.status_code == 200
    assert not Quote.objects.exists()
    response = post_quote(rep_client, opportunity, [])
    assert response.status_code == 200
    assert not Quote.objects.exists()


def test_quotes_follow_the_opportunitys_scope(rep_client, other_team_client, opportunity):
    post_quote(
        rep_client, opportunity, [{"description": "服务", "quantity": "2", "unit_price": "100"}]
    )
    quote = Quote.objects.get()
    assert other_team_client.get(quote.get_absolute_url()).status_code == 404
    assert (
        other_team_client.get(reverse("opportunities:quote-pdf", args=[quote.pk])).status_code
        == 404
    )
    assert (
        other_team_client.get(
            reverse("opportunities:quote-create", args=[opportunity.pk])
        ).status_code
        == 404
    )
    assert rep_client.get(quote.get_absolute_url()).status_code == 200


def test_the_pdf_holds_the_chinese_text(rep_client, org, opportunity, product):
    post_quote(rep_client, opportunity, [{"product": product.pk, "quantity": "2"}])
    quote = Quote.objects.get()
    response = rep_client.get(
        reverse("opportunities:quote-pdf", args=[quote.pk]), {"lang": "zh-hans"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    text = text.replace(" ", "")
    for expected in (
        "杭州恒泰精密机械有限公司",
        "数控系统CNC-01",
        "王芳",
        "付款方式",
        "Hengtai",
        quote.number,
    ):
        assert expected in text, expected
    assert "28250.00" in text.replace(",", "")  # 2 x 12500 + 13 % tax
    # English too, same figures.
    response = rep_client.get(reverse("opportunities:quote-pdf", args=[quote.pk]), {"lang": "en"})
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Quotation" in text
    assert "28250.00" in text.replace(",", "")


def test_edit_replaces_the_lines(rep_client, opportunity):
    post_quote(rep_client, opportunity, [{"description": "A", "quantity": "1", "unit_price": "10"}])
    quote = Quote.objects.get()
    url = reverse("opportunities:quote-update", args=[quote.pk])
    assert rep_client.get(url).status_code == 200
    data = {
        "title": "v2",
        "status": "sent",
        "issued_on": "2026-11-20",
        "valid_until": "2026-12-20",
        "tax_rate": "0",
        "terms": "",
        **lines_data([{"description": "B", "quantity": "2", "unit_price": "20"}]),
    }
    assert rep_client.post(url, data).status_code == 302
    quote.refresh_from_db()
    assert quote.status == "sent"
    assert [line.description for line in quote.lines.all()] == ["B"]
    assert quote.totals()["total"] == Decimal("40.00")


def test_read_only_positions_read_quotes_but_change_none(org, rep_client, opportunity):
    from django.test import Client

    post_quote(
        rep_client, opportunity, [{"description": "服务", "quantity": "2", "unit_price": "100"}]
    )
    quote = Quote.objects.get()
    for person in (org.planner, org.hr):
        client = Client()
        client.force_login(person)
        update = reverse("opportunities:quote-update", args=[quote.pk])
        assert client.get(update).status_code in (403, 404)
        data = {
            "title": "Changed",
            "status": "accepted",
            "issued_on": "2026-11-20",
            "valid_until": "2026-12-20",
            "tax_rate": "0",
            "terms": "",
            **lines_data([{"description": "X", "quantity": "1", "unit_price": "1"}]),
        }
        assert client.post(update, data).status_code in (403, 404)
        assert post_quote(
            client, opportunity, [{"description": "X", "quantity": "1", "unit_price": "1"}]
        ).status_code in (403, 404)
    quote.refresh_from_db()
    assert (quote.title, quote.status, Quote.objects.count()) == ("数控机床升级方案", "draft", 1)
    assert quote.lines.get().description == "服务"
