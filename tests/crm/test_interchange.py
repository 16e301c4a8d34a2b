"""The import/export framework (crm/interchange): reading what Excel produces, header and cell
errors by row and column, all-or-nothing writes, idempotent re-imports, rejected-rows files and
exports that re-import unchanged. Exercised through the `customers` kind."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from crm.interchange import (
    ImportFileError,
    Table,
    export_response,
    read_table,
    rejected_rows_file,
    run_import,
    template_response,
)
from customers.models import Customer
from tests.factories import CustomerFactory

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def csv_bytes(rows: list[list[str]], *, encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def table(data: bytes, name: str = "file.csv"):
    return read_table(io.BytesIO(data), name)


def import_rows(rows, *, dry_run=False, user=None, name="file.csv"):
    data = xlsx_bytes(rows) if name.endswith(".xlsx") else csv_bytes(rows)
    return run_import("customers", table(data, name), user=user, dry_run=dry_run)


HEADER = ["code", "name", "kind", "level", "phone", "birthday"]


# --- reading files -----------------------------------------------------------------------------
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig"])
def test_reads_utf8_csv_with_or_without_bom(encoding):
    result = table(
        csv_bytes([HEADER, ["C1", "恒泰机械", "company", "A", "", ""]], encoding=encoding)
    )
    assert result.header == HEADER  # the BOM does not stick to the first header
    assert result.rows == [(2, ["C1", "恒泰机械", "company", "A", "", ""])]


def test_reads_gbk_csv_saved_by_excel_with_chinese_headers(db):
    with (FIXTURES / "customers_excel_gbk.csv").open("rb") as handle:
        parsed = read_table(handle, "客户.csv")
    assert parsed.header[:3] == ["客户编号", "客户名称", "类型"]

    result = run_import("customers", parsed, user=None, dry_run=False)

    assert result.errors == []
    person = Customer.objects.get(code="GBK002")
    assert person.name == "王芳"
    assert person.address == "杭州市西湖区"
    assert person.birthday == dt.date(1988, 5, 3)  # Excel's 1988/5/3 display format
    assert Customer.objects.get(code="GBK001").name == "上海恒泰机械有限公司"


def test_reads_semicolon_and_tab_separated_csv():
    for delimiter in (";", "\t"):
        data = csv_bytes(
            [HEADER, ["C1", "Acme, Inc.", "company", "A", "", ""]], delimiter=delimiter
        )
        assert table(data).rows[0][1][1] == "Acme, Inc."


def test_reads_the_first_sheet_of_an_xlsx_with_typed_cells(db):
    rows = [
        ["code", "name", "phone", "birthday", "created_at"],
        # Excel cells hold naive dates and times: read in the company's time zone.
        ["X1", "Excel Ltd", 13800138000, dt.datetime(1990, 1, 2), dt.datetime(2024, 5, 6, 9, 30)],  # noqa: DTZ001
        [None, None, None, None, None],  # blank rows are skipped, numbering kept
        ["X2", "Second", "021-1234", None, None],
    ]
    result = import_rows(rows, name="book.xlsx")

    assert result.errors == []
    first = Customer.objects.get(code="X1")
    assert first.phone == "13800138000"  # not 13800138000.0
    assert first.birthday == dt.date(1990, 1, 2)
    assert first.created_at == dt.datetime(2024, 5, 6, 9, 30, tzinfo=SHANGHAI)
    assert [n for n, _cells in table(xlsx_bytes(rows), "b.xlsx").rows] == [2, 4]


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        (random.Random(7).randbytes(4000).replace(b"\x00", b"\x01"), "x.csv", "encoding"),  # noqa: S311
        (b"\x00\x01binary\x00", "x.csv", "not a text file"),
        (b"not a zip at all", "x.xlsx", "not a valid Excel"),
        (b"whatever", "old.xls", ".xls"),
        (b"", "empty.csv", "empty"),
        (b"a,b", "notes.txt", ".csv or .xlsx"),
        (xlsx_bytes([["code"]]), "renamed.csv", ".xlsx extension"),
    ],
)
def test_unreadable_files_get_a_clear_message(data, name, expected):
    with pytest.raises(ImportFileError) as excinfo:
        table(data, name)
    assert expected in excinfo.value.message


# --- header -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (["code", "phone"], "Required column “name” is missing."),
        (["name", "colour"], "Unknown column “colour”."),
        (["name", "名称"], "Column “name” appears twice (“名称”)."),
    ],
)
def test_header_problems_reject_the_whole_file(db, header, expected):
    with pytest.raises(ImportFileError) as excinfo:
        import_rows([header, ["x"] * len(header)])
    assert expected in excinfo.value.details
    assert not Customer.objects.exists()


def test_header_names_ignore_case_spaces_and_accept_chinese(db):
    result = import_rows([["Code", "客户名称", "Business Status"], ["C9", "Acme", "Growing"]])
    assert result.errors == []
    assert Customer.objects.get(code="C9").business_status == "Growing"


# --- cells and rows -----------------------------------------------------------------------------
def test_cell_errors_are_reported_by_row_and_column(db):
    result = import_rows(
        [
            HEADER,
            ["C1", "Good", "company", "A", "", "2001-02-03"],
            ["C2", "Bad date", "company", "A", "", "31/12/2001"],
            ["C3", "", "alien", "Z", "", "2001-02-30"],
        ]
    )
    found = {(e.row, e.column) for e in result.errors}
    assert found == {(3, "birthday"), (4, "name"), (4, "kind"), (4, "level"), (4, "birthday")}
    assert "YYYY-MM-DD" in next(e.message for e in result.errors if e.row == 3)
    assert "company, person" in next(e.message for e in result.errors if e.column == "kind")


def test_choices_accept_codes_and_labels_and_model_validation_applies(db):
    result = import_rows(
        [
            ["code", "name", "kind", "industry", "email", "website"],
            ["C1", "Acme", "Person (B2C)", "Information technology", "a@b.example", ""],
            ["C2", "Beta", "企业", "IT", "not-an-email", "ftp:/broken"],
        ]
    )
    assert {(e.row, e.column) for e in result.errors} == {(3, "email"), (3, "website")}


def test_a_naive_time_is_read_in_the_company_time_zone(db):
    import_rows([["code", "name", "created_at"], ["C1", "Acme", "2025-03-01 14:30"]])
    assert Customer.objects.get().created_at == dt.datetime(2025, 3, 1, 6, 30, tzinfo=dt.UTC)


def test_the_same_key_twice_in_a_file_is_an_error(db):
    result = import_rows([["code", "name"], ["C1", "One"], ["C2", "Two"], ["C1", "Again"]])
    assert [(e.row, e.column) for e in result.errors] == [(4, "code")]
    assert "row 2" in result.errors[0].message


def test_one_bad_row_and_nothing_is_written(db):
    result = import_rows(
        [["code", "name", "level"], ["C1", "One", "A"], ["C2", "Two", "bogus"], ["C3", "Three", ""]]
    )
    assert not result.written
    assert result.to_create == 2  # the valid rows are counted for the preview...
    assert not Customer.objects.exists()  # ...but none is written


def test_dry_run_counts_but_writes_nothing(db):
    CustomerFactory(code="C1", name="Old name", owner=None)
    result = import_rows([["code", "name"], ["C1", "New name"], ["C2", "Two"]], dry_run=True)
    assert (result.to_create, result.to_update, result.written) == (1, 1, False)
    assert Customer.objects.get().name == "Old name"


def test_reimport_updates_by_natural_key_and_is_idempotent(db):
    rows = [["code", "name", "level"], ["C1", "One", "A"], ["C2", "Two", "B"]]
    first = import_rows(rows)
    rows[2][1] = "Two (renamed)"
    second = import_rows(rows)
    third = import_rows(rows)

    assert (first.to_create, first.to_update) == (2, 0)
    assert (second.to_create, second.to_update, second.unchanged) == (0, 1, 1)
    assert (third.to_create, third.to_update, third.unchanged) == (0, 0, 2)
    assert Customer.objects.count() == 2
    assert Customer.objects.get(code="C2").name == "Two (renamed)"


def test_columns_absent_from_the_file_are_left_alone(db):
    import_rows([["code", "name", "phone"], ["C1", "One", "021-1"]])
    import_rows([["code", "name"], ["C1", "One renamed"]])
    customer = Customer.objects.get()
    assert (customer.name, customer.phone) == ("One renamed", "021-1")


# --- files written ------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_rejected_rows_file_holds_the_failed_rows_as_uploaded_plus_the_error(db, fmt):
    rows = [["code", "name", "level"], ["C1", "Fine", "A"], ["C2", "王芳", "Z"], ["C3", "", "B"]]
    data = csv_bytes(rows) if fmt == "csv" else xlsx_bytes(rows)
    parsed = table(data, f"upload.{fmt}")
    result = run_import("customers", parsed, user=None, dry_run=True)

    content = rejected_rows_file(parsed, result.errors)

    back = table(content, f"rejected.{fmt}")
    assert back.header == ["code", "name", "level", "error"]
    failed = [[cell or "" for cell in cells[:3]] for _n, cells in back.rows]
    assert failed == [["C2", "王芳", "Z"], ["C3", "", "B"]]
    assert back.rows[0][1][3].startswith("level: ")
    assert back.rows[1][1][3].startswith("name: ")
    if fmt == "csv":
        assert content.startswith(b"\xef\xbb\xbf")  # Excel needs the BOM to show Chinese


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_reimports_unchanged(org, fmt):
    CustomerFactory(
        code="E1",
        name='=HYPERLINK("http://evil")',  # formula-like text must not run in Excel...
        owner=org.rep,
        phone="+86 138 0013 8000",
        birthday=dt.date(1980, 1, 2),
        industry="it",
    )
    CustomerFactory(code="E2", name="池塘", owner=None, kind="person")
    response = export_response("customers", Customer.objects.all(), fmt, user=org.admin)
    assert response["Content-Disposition"].startswith("attachment;")

    parsed = table(response.getvalue(), f"export.{fmt}")
    result = run_import("customers", parsed, user=None, dry_run=True)

    assert result.errors == []
    assert (result.to_create, result.to_update, result.unchanged) == (0, 0, 2)  # ...and comes back
    if fmt == "xlsx":
        cell = load_workbook(io.BytesIO(response.getvalue())).active["B2"]
        assert cell.data_type == "s"


def test_export_leaves_out_what_the_user_may_not_see(org):
    CustomerFactory(code="MINE", owner=org.rep)
    CustomerFactory(code="POOL", owner=None)
    CustomerFactory(code="THEIRS", owner=org.other_team_rep)

    response = export_response("customers", Customer.objects.all(), "csv", user=org.rep)

    codes = [cells[0] for _n, cells in table(response.getvalue(), "e.csv").rows]
    assert sorted(codes) == ["MINE", "POOL"]


def test_template_has_the_header_and_an_example_that_validates(db):
    response = template_response("customers", "xlsx")
    parsed = table(response.getvalue(), "t.xlsx")
    assert parsed.header[:3] == ["code", "name", "kind"]
    result = run_import("customers", parsed, user=None, dry_run=True)
    assert [e for e in result.errors if e.column != "owner"] == []  # no such user in an empty db


def test_choices_accept_the_label_in_chinese_and_short_names(db):
    from crm.importers import UserImporter

    position = UserImporter.column("position")
    assert position.parse("销售代表") == "sales_rep"  # the Chinese label of "Sales rep"
    assert position.parse("Regional manager") == "regional_manager"
    assert position.parse("manager") == "regional_manager"
    assert position.format("regional_manager") == "manager"  # exports use the short names


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-03-01T14:30:00+08:00", dt.datetime(2025, 3, 1, 14, 30, tzinfo=SHANGHAI)),
        ("2025-03-01T06:30:00Z", dt.datetime(2025, 3, 1, 14, 30, tzinfo=SHANGHAI)),
        ("2025/3/1 14:30", dt.datetime(2025, 3, 1, 14, 30, tzinfo=SHANGHAI)),
        ("2025-03-01", dt.datetime(2025, 3, 1, tzinfo=SHANGHAI)),
    ],
)
def test_datetime_formats(text, expected):
    from customers.importers import ActivityImporter

    assert ActivityImporter.column("occurred_at").parse(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"), [("是", True), ("否", False), ("Yes", True), ("", False)]
)
def test_bool_words(text, expected):
    from customers.importers import ContactImporter

    assert ContactImporter.column("is_primary").parse(text) is expected


def test_old_import_files_are_purged_but_the_job_stays(org, settings, tmp_path):
    from django.core.files.base import ContentFile

    from crm.interchange.jobs import import_files_purge
    from crm.models import ImportJob

    settings.MEDIA_ROOT = tmp_path
    old = ImportJob.objects.create(
        kind="customers", original_name="old.csv", created_by=org.rep, status="done"
    )
    old.file.save("old.csv", ContentFile(b"code,name\n"))
    running = ImportJob.objects.create(
        kind="customers", original_name="run.csv", created_by=org.rep, status="importing"
    )
    running.file.save("run.csv", ContentFile(b"code,name\n"))
    ImportJob.objects.update(created_at=timezone.now() - dt.timedelta(days=40))
    path = old.file.path

    assert import_files_purge(older_than_days=30) == 1
    assert import_files_purge(older_than_days=30) == 0  # idempotent
    old.refresh_from_db()
    running.refresh_from_db()
    assert not old.file
    assert not Path(path).exists()
    assert running.file  # a job still running keeps its file


def test_a_validated_job_keeps_its_file_until_it_ends(org, settings, tmp_path):
    from django.core.files.base import ContentFile

    from crm.interchange.jobs import import_files_purge
    from crm.models import ImportJob

    settings.MEDIA_ROOT = tmp_path
    waiting = ImportJob.objects.create(
        kind="customers", original_name="w.csv", created_by=org.rep, status="validated"
    )
    waiting.file.save("w.csv", ContentFile(b"code,name\n"))
    ImportJob.objects.update(created_at=timezone.now() - dt.timedelta(days=90))
    assert import_files_purge(older_than_days=30) == 0
    waiting.refresh_from_db()
    assert waiting.file


def test_one_preview_lists_every_problem_of_a_row(org):
    table = Table(
        fmt="csv",
        header=["code", "name", "level", "owner", "birthday"],
        rows=[(2, ["E1", "Errors Ltd", "Z", "nobody", "1990-13-45"])],
    )
    result = run_import("customers", table, user=None, dry_run=True)
    assert {(e.row, e.column) for e in result.errors} == {
        (2, "level"),
        (2, "owner"),
        (2, "birthday"),
    }
    assert len(result.errors) == 3  # one message per cell
