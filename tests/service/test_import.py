"""`import_csv tickets`: customer by code, type, channel, opened_at, status, owner, summary;
all rows are checked before anything is written."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import CommandError, call_command

from service.models import Ticket
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _write(tmp_path, rows) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    path = tmp_path / "tickets.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return str(path)


def _import(*args) -> str:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_csv", *args, stdout=out, stderr=err)
    except CommandError as exc:
        raise CommandError(f"{exc}\n{err.getvalue()}") from exc
    return out.getvalue()


def test_import_tickets_with_chinese_headers(org, tmp_path):
    company = CustomerFactory(owner=org.rep, kind="company")
    person = CustomerFactory(owner=org.rep, kind="person")
    path = _write(tmp_path, [
        ["客户编号", "类型", "渠道", "受理时间", "状态", "负责人", "摘要"],
        [company.code, "顾客意见", "phone", "2025-03-05 14:30", "open", "service", "送货延迟"],
        [company.code, "repair", "visit", "2025-03-06 09:00", "On site", "service", "上门维修"],
        [person.code, "inquiry", "wechat", "2025-03-07 10:00", "closed", "", "咨询保修"],
    ])  # fmt: skip
    _import("tickets", path, "--as", "service")
    tickets = {t.summary: t for t in Ticket.objects.select_related("step", "assignee")}
    assert tickets["送货延迟"].type == "complaint"
    assert tickets["送货延迟"].assignee == org.service
    assert tickets["送货延迟"].customer_owner == org.rep
    assert tickets["上门维修"].step.name.endswith("On site")
    assert tickets["咨询保修"].flow.kind == "toc"
    assert tickets["咨询保修"].closed_at is not None
    assert all(t.events.filter(kind="opened").count() == 1 for t in tickets.values())
    # The same file again changes nothing.
    _import("tickets", path, "--as", "service")
    assert Ticket.objects.count() == 3


def test_a_bad_row_stops_the_whole_file(org, tmp_path):
    mine = CustomerFactory(owner=org.rep)
    hidden = CustomerFactory(owner=org.other_team_rep)
    path = _write(tmp_path, [
        ["customer", "type", "channel", "opened_at", "status", "owner", "summary"],
        [mine.code, "inquiry", "phone", "2025-03-05 14:30", "", "", "ok"],
        [hidden.code, "inquiry", "phone", "2025-03-05 14:30", "", "", "not mine"],
        [mine.code, "inquiry", "phone", "2025-03-05 15:30", "nowhere", "rep", "bad"],
    ])  # fmt: skip
    with pytest.raises(CommandError) as exc:
        _import("tickets", path, "--as", "rep")
    message = str(exc.value)
    assert f"row 3, customer: Unknown customer code “{hidden.code}”" in message
    assert "row 4, owner: “rep” is not a customer service user." in message
    assert "row 4, status: Unknown status “nowhere”" in message
    assert not Ticket.objects.exists()
