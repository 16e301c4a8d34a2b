"""The six kinds of the orders app in the shared import framework, with good and bad files:
nothing is written when a row fails, a second import of the same file changes nothing."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command

from crm.interchange import ImportFileError, read_table, run_import
from customers.models import Customer
from orders.models import Expense, Order, OrderLine, OrderStatusChange, Payment, Product, Receivable
from tests.factories import CustomerFactory

D = Decimal


def table(rows: list[list[str]]):
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return read_table(io.BytesIO(out.getvalue().encode("utf-8")), "data.csv")


def imp(kind, rows, user, dry_run=False):
    return run_import(kind, table(rows), user=user, dry_run=dry_run)


def errors(result) -> list[tuple[int, str]]:
    return [(e.row, e.column) for e in result.errors]


@pytest.fixture
def book(org):
    """Products, a customer of the rep and one of another team, via imports."""
    result = imp(
        "products",
        [
            ["sku", "name", "unit", "list_price"],
            ["PUMP-200", "离心泵 Centrifugal pump", "台", "12,000.00"],
            ["VALVE-50", "球阀 Ball valve", "个", "33.33"],
        ],
        org.admin,
    )
    assert result.written
    assert result.to_create == 2
    return {
        "mine": CustomerFactory(owner=org.rep, code="C-MINE"),
        "theirs": CustomerFactory(owner=org.other_team_rep, code="C-THEIRS"),
    }


def test_products(org, book):
    assert Product.objects.get(sku="PUMP-200").list_price == D("12000.00")
    again = imp(
        "products",
        [["sku", "name", "list_price"], ["PUMP-200", "离心泵 Centrifugal pump", "12000"]],
        org.admin,
    )
    assert (again.to_update, again.unchanged) == (0, 1)
    # Chinese headers, an update, and a bad file that writes nothing.
    result = imp(
        "products", [["产品编号", "产品名称", "价格"], ["PUMP-200", "离心泵", "13000"]], org.admin
    )
    assert result.to_update == 1
    assert Product.objects.get(sku="PUMP-200").list_price == D("13000")
    bad = imp(
        "products",
        [
            ["sku", "name", "list_price"],
            ["NEW-1", "ok", "1.00"],
            ["NEW-2", "", "abc"],
            ["NEW-3", "x", "-5"],
        ],
        org.admin,
    )
    assert errors(bad) == [(3, "name"), (3, "list_price"), (4, "list_price")]
    assert not bad.written
    assert not Product.objects.filter(sku__startswith="NEW").exists()
    # Reps may not change the catalogue.
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        imp("products", [["sku", "name", "list_price"], ["X", "x", "1"]], org.rep)


def test_orders_lines_receivables_payments(org, book):
    orders = imp(
        "orders",
        [
            ["number", "customer", "owner", "order_date", "status"],
            ["SO-1", "C-MINE", "rep", "2026-10-05", "confirmed"],
            ["SO-2", "C-MINE", "rep", "2026-10-20", "已取消"],
        ],
        org.rep,
    )
    assert orders.written, orders.errors
    assert Order.objects.get(number="SO-2").status == "cancelled"
    assert OrderStatusChange.objects.filter(order__number="SO-1", to_status="confirmed").exists()
    assert Customer.objects.get(code="C-MINE").last_order_on == date(2026, 10, 5)

    lines = imp(
        "order_lines",
        [
            ["order", "product", "quantity", "unit_price", "list_price"],
            ["SO-1", "PUMP-200", "2", "10000.00", ""],
            ["SO-1", "VALVE-50", "3", "33.33", "35.00"],
        ],
        org.rep,
    )
    assert lines.written, lines.errors
    order = Order.objects.get(number="SO-1")
    assert (order.total, order.list_total) == (D("20099.99"), D("24105.00"))
    assert OrderLine.objects.get(order=order, product__sku="PUMP-200").list_price == D("12000.00")
    # The same file again: nothing changes.
    again = imp(
        "order_lines",
        [["order", "product", "quantity", "unit_price"], ["SO-1", "PUMP-200", "2", "10000.00"]],
        org.rep,
    )
    assert (again.to_create, again.to_update, again.unchanged) == (0, 0, 1)

    recv = imp(
        "receivables",
        [["code", "order", "amount", "due_date"], ["AR-1", "SO-1", "6030.00", "2026-10-15"],
         ["AR-2", "SO-1", "14069.99", "2026-11-30"]],
        org.rep,
    )  # fmt: skip
    assert recv.written, recv.errors
    r1 = Receivable.objects.get(code="AR-1")
    assert (r1.owner, r1.customer.code) == (org.rep, "C-MINE")

    pay = imp(
        "payments",
        [["receivable", "amount", "paid_on", "method", "reference"],
         ["AR-1", "3000.00", "2026-10-14", "bank_transfer", "BOC-1"],
         ["AR-1", "3030.00", "2026-10-20", "现金", ""]],
        org.rep,
    )  # fmt: skip
    assert pay.written, pay.errors
    r1.refresh_from_db()
    assert (r1.paid_amount, r1.status) == (D("6030.00"), "paid")
    again = imp(
        "payments",
        [
            ["receivable", "amount", "paid_on", "reference"],
            ["AR-1", "3000.00", "2026-10-14", "BOC-1"],
        ],
        org.rep,
    )
    assert (again.to_create, again.unchanged) == (0, 1)
    assert Payment.objects.count() == 2


def test_bad_files_write_nothing(org, book):
    bad = imp(
        "orders",
        [
            ["number", "customer", "owner", "order_date", "status"],
            ["SO-9", "C-MINE", "rep", "2026-10-05", "confirmed"],
            ["SO-10", "C-THEIRS", "rep", "2026-10-05", "confirmed"],  # another team's customer
            ["SO-11", "C-MINE", "other_team_rep", "2026-13-05", "shipping"],
        ],
        org.rep,
    )
    assert errors(bad) == [(3, "customer"), (4, "order_date"), (4, "status"), (4, "owner")]
    assert not Order.objects.exists()

    imp(
        "orders",
        [["number", "customer", "owner", "order_date", "status"],
         ["SO-1", "C-MINE", "rep", "2026-10-05", "confirmed"],
         ["SO-2", "C-MINE", "rep", "2026-10-05", "draft"]],
        org.rep,
    )  # fmt: skip
    bad_lines = imp(
        "order_lines",
        [["order", "product", "quantity", "unit_price"],
         ["SO-1", "PUMP-200", "0", "1.00"],
         ["SO-X", "NOPE", "1", "1"],
         ["SO-1", "VALVE-50", "1", "1"]],
        org.rep,
    )  # fmt: skip
    assert errors(bad_lines) == [(2, "quantity"), (3, "order"), (3, "product")]
    assert not OrderLine.objects.exists()
    imp(
        "order_lines",
        [["order", "product", "quantity", "unit_price"], ["SO-1", "PUMP-200", "1", "100.00"]],
        org.rep,
    )

    # Receivables: not for a draft, never more than the order's total (100.00).
    bad_receivables = imp(
        "receivables",
        [["code", "order", "amount", "due_date"],
         ["AR-1", "SO-1", "60.00", "2026-11-01"],
         ["AR-2", "SO-1", "40.01", "2026-12-01"],
         ["AR-3", "SO-2", "1.00", "2026-12-01"]],
        org.rep,
    )  # fmt: skip
    assert errors(bad_receivables) == [(3, "amount"), (4, "order")]
    assert "more than its total of ¥100.00" in bad_receivables.errors[0].message
    assert not Receivable.objects.exists()
    imp(
        "receivables",
        [["code", "order", "amount", "due_date"], ["AR-1", "SO-1", "100.00", "2026-11-01"]],
        org.rep,
    )
    # A receivable restated by a file is not counted twice against the order's total.
    restated = imp(
        "receivables",
        [["code", "order", "amount", "due_date"], ["AR-1", "SO-1", "100.00", "2026-11-15"]],
        org.rep,
    )
    assert not restated.errors
    assert Receivable.objects.get(code="AR-1").due_date == date(2026, 11, 15)
    over = imp(
        "payments",
        [["receivable", "amount", "paid_on"],
         ["AR-1", "60.00", "2026-11-01"],
         ["AR-1", "40.01", "2026-11-02"],
         ["AR-9", "1.00", "2026-11-02"]],
        org.rep,
    )  # fmt: skip
    assert errors(over) == [(3, "amount"), (4, "receivable")]
    assert "still due" in over.errors[0].message
    assert not Payment.objects.exists()
    with pytest.raises(ImportFileError) as missing:
        imp("receivables", [["code", "amount"], ["AR-2", "1"]], org.rep)
    assert "Required column" in str(missing.value.details)


def test_expenses(org):
    good = imp(
        "expenses",
        [["owner", "date", "category", "amount", "note"],
         ["rep", "2026-10-03", "travel", "860.00", "上海-杭州 高铁"],
         ["rep", "2026-10-04", "招待", "1,200.50", "客户晚餐"]],
        org.manager,
    )  # fmt: skip
    assert good.written, good.errors
    assert list(Expense.objects.order_by("spent_on").values_list("amount", "status")) == [
        (D("860.00"), "submitted"),
        (D("1200.50"), "submitted"),
    ]
    header = ["owner", "date", "category", "amount", "note"]
    again = imp(
        "expenses",
        [header, ["rep", "2026-10-03", "travel", "860.00", "上海-杭州 高铁"]],
        org.manager,
    )
    assert again.unchanged == 1
    assert Expense.objects.count() == 2
    bad = imp(
        "expenses",
        [
            ["owner", "date", "amount"],
            ["other_team_rep", "2026-10-03", "1"],
            ["rep", "2026-10-03", "0"],
        ],
        org.manager,
    )
    assert errors(bad) == [(2, "owner"), (3, "amount")]
    assert Expense.objects.count() == 2


def test_management_command_and_export_roundtrip(org, book, tmp_path, rep_client):
    path = tmp_path / "orders.csv"
    path.write_text(
        "number,customer,owner,order_date,status\nSO-7,C-MINE,rep,2026-10-05,completed\n",
        encoding="utf-8",
    )
    call_command("import_csv", "orders", str(path), "--as", "rep", stdout=io.StringIO())
    assert Order.objects.get(number="SO-7").status == "completed"
    response = rep_client.get("/orders/", {"export": "csv"})
    body = b"".join(response.streaming_content) if response.streaming else response.content
    exported = read_table(io.BytesIO(body), "orders.csv")
    result = run_import("orders", exported, user=org.rep, dry_run=True)
    assert result.is_valid
    assert result.unchanged == 1


def test_order_lines_load_history_once_and_never_rewrite_it(org, book):
    header = ["number", "customer", "owner", "order_date", "status"]
    result = imp(
        "orders",
        [header, ["SO-HIST-1", "C-MINE", "rep", "2026-03-01", "completed"]],
        org.admin,
    )
    assert result.written
    lines = [
        ["order", "product", "quantity", "unit_price"],
        ["SO-HIST-1", "PUMP-200", "2", "11000"],
    ]
    assert imp("order_lines", lines, org.admin).written  # a completed order's history: loaded
    order = Order.objects.get(number="SO-HIST-1")
    assert order.total == D("22000.00")
    again = imp("order_lines", lines, org.admin)  # the same file again: nothing to change
    assert again.written
    assert again.to_update == again.to_create == 0

    changed = imp(
        "order_lines",
        [lines[0], ["SO-HIST-1", "PUMP-200", "3", "11000"], ["SO-HIST-1", "VALVE-50", "1", "1"]],
        org.admin,
    )
    assert not changed.written
    assert errors(changed) == [(2, "order"), (3, "order")]
    assert "completed" in changed.errors[0].message.lower()
    order.refresh_from_db()
    assert order.total == D("22000.00")
    assert OrderLine.objects.filter(order=order).count() == 1
