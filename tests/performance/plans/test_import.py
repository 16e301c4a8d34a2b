"""`import_csv plans`: validated whole, written all or nothing, upserted by (user, month);
the export re-imports unchanged."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from crm.interchange import read_table, run_import
from performance.models import SalesPlan
from tests.performance.plans.factories import OCT, SEP, plan

pytestmark = pytest.mark.django_db

HEADER = ["user", "month", "revenue_target", "new_customer_target", "visit_target"]


def csv_table(rows):
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    return read_table(io.BytesIO(buffer.getvalue().encode()), "plans.csv")


def errors_of(result) -> list[tuple[int, str]]:
    return [(e.row, e.column) for e in result.errors]


def test_command_imports_and_updates_plans(org, tmp_path):
    plan(org.rep, revenue="1", customers=1, visits=1)
    path = tmp_path / "plans.csv"
    path.write_text(
        "用户,月份,销售额目标,新客户目标,拜访目标\n"
        'rep,2026-10,"120,000.50",4,30\n'
        "teammate,2026/10,80000,3,\n"
        "east_rep,2026-09,50000,2,20\n",
        encoding="utf-8",
    )
    out = io.StringIO()
    call_command("import_csv", "plans", str(path), "--as", "planner", stdout=out)
    rep = SalesPlan.objects.get(user=org.rep, month=OCT)
    assert (rep.revenue_target, rep.new_customer_target, rep.visit_target) == (
        Decimal("120000.50"),
        4,
        30,
    )
    assert rep.updated_by == org.planner
    assert rep.history.count() == 2
    teammate = SalesPlan.objects.get(user=org.teammate, month=OCT)
    assert teammate.visit_target == 0  # blank cell of a new plan
    assert SalesPlan.objects.get(user=org.east_rep).month == SEP


def test_a_bad_file_writes_nothing_and_reports_every_problem(org):
    plan(org.rep, revenue="1")
    table = csv_table(
        [
            HEADER,
            ["rep", "2026-10", "5000", "1", "1"],  # fine on its own
            ["nobody", "2026-10", "1", "1", "1"],  # unknown user
            ["teammate", "2026-13", "1", "1", "1"],  # bad month
            ["east_rep", "2026-10", "-5", "1", "1"],  # negative money
            ["other_team_rep", "2026-10", "abc", "1.5", "-2"],  # not numbers
            ["rep", "2026-10", "6000", "1", "1"],  # same user and month twice
            ["hr", "2026-10", "1.234", "1", "1"],  # more than two decimals
            ["vp", "1999-12", "1", "1", "1"],  # a year the grid cannot open
        ]
    )
    result = run_import("plans", table, user=org.planner, dry_run=False)
    assert not result.written
    assert errors_of(result) == [
        (3, "user"),
        (4, "month"),
        (5, "revenue_target"),
        (6, "revenue_target"),
        (6, "new_customer_target"),
        (6, "visit_target"),
        (7, "user"),
        (8, "revenue_target"),
        (9, "month"),
    ]
    assert SalesPlan.objects.get().revenue_target == Decimal("1")


def test_command_rejects_the_file_and_writes_nothing(org, tmp_path):
    path = tmp_path / "plans.csv"
    path.write_text("user,month,revenue_target\nrep,2026-10,100\nrep,oct,100\n", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import_csv", "plans", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    assert not SalesPlan.objects.exists()


def test_a_manager_imports_only_their_reps_plans(org):
    table = csv_table(
        [HEADER, ["rep", "2026-10", "1", "1", "1"], ["other_team_rep", "2026-10", "1", "1", "1"]]
    )
    result = run_import("plans", table, user=org.manager, dry_run=False)
    assert errors_of(result) == [(3, "user")]
    assert "other_team_rep" in result.errors[0].message
    own = csv_table([HEADER, ["manager", "2026-10", "1", "1", "1"]])
    assert errors_of(run_import("plans", own, user=org.manager, dry_run=False)) == [(2, "user")]
    assert not SalesPlan.objects.exists()


@pytest.mark.parametrize("who", ["rep", "hr", "vp"])
def test_read_only_people_may_not_import(org, who):
    from django.core.exceptions import PermissionDenied

    table = csv_table([HEADER, ["rep", "2026-10", "1", "1", "1"]])
    with pytest.raises(PermissionDenied):
        run_import("plans", table, user=getattr(org, who), dry_run=False)


def test_xlsx_with_date_cells(org):
    import datetime as dt

    workbook = Workbook()
    workbook.active.append(["用户", "月份", "销售额目标", "新客户目标", "拜访目标"])
    workbook.active.append(["rep", dt.date(2026, 10, 1), 1000.5, 2, 10])
    buffer = io.BytesIO()
    workbook.save(buffer)
    table = read_table(io.BytesIO(buffer.getvalue()), "plans.xlsx")
    result = run_import("plans", table, user=org.admin, dry_run=False)
    assert result.written, result.errors
    assert SalesPlan.objects.get(user=org.rep, month=OCT).revenue_target == Decimal("1000.50")


def test_export_reimports_unchanged_and_leaves_out_team_rows(org, planner_client):
    plan(org.rep, revenue="12345.60", customers=2, visits=9)
    plan(org.teammate, revenue="0")
    plan(org.shanghai, revenue="99")
    plan(org.other_team_rep, revenue="5")  # outside the Shanghai subtree
    response = planner_client.get(
        f"/performance/plans/export/?team={org.shanghai.pk}&month=2026-10&fmt=csv"
    )
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    text = content.decode("utf-8-sig")
    assert text.splitlines()[0] == ",".join(HEADER)
    assert "rep,2026-10,12345.60,2,9" in text
    assert "other_team_rep" not in text
    assert len(text.strip().splitlines()) == 3
    result = run_import("plans", read_table(io.BytesIO(content), "p.csv"), user=org.planner,
                        dry_run=False)  # fmt: skip
    assert (result.to_create, result.to_update, result.unchanged) == (0, 0, 2)


def test_manager_export_shows_only_their_subtree_and_rep_export_only_their_own(org, manager_client):
    from crm.interchange import export_rows

    plan(org.rep, revenue="1")
    plan(org.east_rep, revenue="2")
    _header, rows = export_rows("plans", SalesPlan.objects.all(), user=org.manager)
    assert [r[0] for r in rows] == ["rep"]
    _header, rows = export_rows("plans", SalesPlan.objects.all(), user=org.east_rep)
    assert [r[0] for r in rows] == ["east_rep"]


def test_import_page_is_open_to_planners_and_managers_only(org, planner_client, manager_client,
                                                          rep_client, hr_client):  # fmt: skip
    assert planner_client.get("/imports/plans/").status_code == 200
    assert manager_client.get("/imports/plans/").status_code == 200
    assert rep_client.get("/imports/plans/").status_code == 403
    assert hr_client.get("/imports/plans/").status_code == 403
    template = planner_client.get("/imports/plans/template.csv")
    assert template.status_code == 200
    assert template.content.decode("utf-8-sig").splitlines()[0] == ",".join(HEADER)
