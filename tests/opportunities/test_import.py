"""`import_csv opportunities`: creation with stage history, closed opportunities with a single
StageChange at closed_at, validation of every row before writing, scopes, updates."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from opportunities.models import Opportunity, StageChange
from tests.factories import CustomerFactory
from tests.opportunities.factories import make_opportunity, stage

pytestmark = pytest.mark.django_db

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
HEADER = [
    "code", "customer", "name", "pipeline", "stage", "amount", "owner",
    "expected_close", "created_at", "closed_at", "lost_reason",
]  # fmt: skip


@pytest.fixture
def write_csv(tmp_path):
    def write(rows, header=HEADER):
        path = tmp_path / "opportunities.csv"
        buffer = io.StringIO(newline="")
        csv.writer(buffer).writerows([header, *rows])
        path.write_text(buffer.getvalue(), encoding="utf-8")
        return path

    return write


def run(path, *args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_csv", "opportunities", str(path), *args, stdout=out, stderr=err)
    except CommandError as exc:
        raise CommandError(f"{exc}\n{err.getvalue()}\n{out.getvalue()}") from exc
    return out.getvalue()


def test_import_creates_open_and_closed_opportunities(org, write_csv):
    customer = CustomerFactory(owner=org.rep, code="C-1")
    path = write_csv(
        [
            ["O-1", "C-1", "Line upgrade", "ToB project sale", "Proposal", "120,000.50", "rep",
             "2026-06-30", "2026-01-05 10:00", "", ""],
            ["O-2", "C-1", "旧项目", "ToB 项目销售", "赢单", "5000", "teammate",
             "", "2025-10-01 09:00", "2025-12-15 16:30", ""],
            ["O-3", "C-1", "Lost one", "", "Lost", "800", "rep",
             "", "2025-11-01 09:00", "2025-11-20 09:00", "价格过高"],
        ]
    )  # fmt: skip
    run(path, "--as", "manager")
    open_one = Opportunity.objects.get(code="O-1")
    assert open_one.stage == stage("Proposal")
    assert open_one.status == "open"
    assert open_one.amount == Decimal("120000.50")
    assert open_one.owner == org.rep
    assert open_one.created_at == dt.datetime(2026, 1, 5, 10, 0, tzinfo=SHANGHAI)
    (change,) = open_one.stage_changes.all()
    assert (change.from_stage, change.to_stage, change.changed_at) == (
        None,
        stage("Proposal"),
        open_one.created_at,
    )

    won = Opportunity.objects.get(code="O-2")
    assert won.status == "won"
    assert won.owner == org.teammate
    closed_at = dt.datetime(2025, 12, 15, 16, 30, tzinfo=SHANGHAI)
    assert won.closed_at == closed_at
    assert list(won.stage_changes.values_list("from_stage", "to_stage", "changed_at")) == [
        (None, stage("Won").pk, closed_at)
    ]
    lost = Opportunity.objects.get(code="O-3")
    assert lost.status == "lost"
    assert lost.lost_reason.name == "Price too high"
    assert lost.stage_changes.count() == 1
    customer.refresh_from_db()
    assert customer.has_open_opportunities is True
    assert customer.last_opportunity_at == open_one.created_at


def test_every_row_is_checked_and_nothing_is_written_on_an_error(org, write_csv):
    CustomerFactory(owner=org.rep, code="C-1")
    CustomerFactory(owner=org.other_team_rep, code="C-BJ")
    path = write_csv(
        [
            ["", "C-1", "Good", "", "", "10", "rep", "", "", "", ""],
            ["", "C-BJ", "Other team", "", "", "10", "rep", "", "", "", ""],
            ["", "C-1", "Bad stage", "", "Nowhere", "10", "rep", "", "", "", ""],
            ["", "C-1", "Won no date", "", "Won", "10", "rep", "", "", "", ""],
            ["", "C-1", "Lost no reason", "", "Lost", "10", "rep", "", "", "2025-01-02", ""],
            ["", "C-1", "Open closed", "", "Visit", "10", "rep", "", "", "2025-01-02", ""],
            ["", "C-1", "Negative", "", "", "-5", "rep", "", "", "", ""],
        ]
    )
    with pytest.raises(CommandError) as excinfo:
        run(path, "--as", "rep")
    message = str(excinfo.value)
    for row in (3, 4, 5, 6, 7, 8):
        assert f"{row}" in message
    assert not Opportunity.objects.exists()
    assert not StageChange.objects.exists()


def test_reimport_updates_and_moves_the_stage(org, write_csv):
    customer = CustomerFactory(owner=org.rep, code="C-1")
    opp = make_opportunity(
        owner=org.rep,
        customer=customer,
        name="Deal",
        created_at=dt.datetime(2025, 12, 1, 9, 0, tzinfo=SHANGHAI),
    )
    path = write_csv(
        [[opp.code, "C-1", "Deal renamed", "", "Negotiation", "999", "", "", "", "", ""]]
    )
    run(path, "--as", "rep")
    opp.refresh_from_db()
    assert (opp.name, opp.amount, opp.stage) == (
        "Deal renamed",
        Decimal("999.00"),
        stage("Negotiation"),
    )
    last = opp.stage_changes.order_by("-changed_at", "-id").first()
    assert (last.from_stage, last.to_stage) == (stage("Initial contact"), stage("Negotiation"))
    # The same file again changes nothing.
    run(path, "--as", "rep")
    assert opp.stage_changes.count() == 2
    # Closing it by import resets the history to one change at closed_at.
    path = write_csv(
        [[opp.code, "C-1", "Deal renamed", "", "Won", "999", "", "", "", "2026-01-10 12:00", ""]]
    )
    run(path, "--as", "rep")
    opp.refresh_from_db()
    assert opp.status == "won"
    assert list(opp.stage_changes.values_list("to_stage", "changed_at")) == [
        (stage("Won").pk, dt.datetime(2026, 1, 10, 12, 0, tzinfo=SHANGHAI))
    ]


def test_another_teams_opportunity_code_is_not_taken_over(org, write_csv):
    theirs = make_opportunity(owner=org.other_team_rep, name="Theirs")
    CustomerFactory(owner=org.rep, code="C-1")
    path = write_csv([[theirs.code, "C-1", "Mine now", "", "", "1", "", "", "", "", ""]])
    with pytest.raises(CommandError):
        run(path, "--as", "rep")
    theirs.refresh_from_db()
    assert theirs.name == "Theirs"
