"""Exporting a period's scorecards (XLSX, CSV) within the team subtree in scope, a rep's own
published ones only; one scorecard printed to PDF with its Chinese text."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.urls import reverse

from performance.models import Scorecard
from tests.performance.factories import ScorecardFactory, ScorecardItemFactory

pytestmark = pytest.mark.django_db

EXPORT = reverse("performance:scorecard-export")


@pytest.fixture
def cards(org, rep_scheme):
    org.rep.first_name, org.rep.last_name = "芳", "王"
    org.rep.save()
    items = list(rep_scheme.items.order_by("sort_order"))
    made = {}
    for user, total, grade, status in (
        (org.rep, "92.50", "B", Scorecard.Status.PUBLISHED),
        (org.teammate, "101.00", "A", Scorecard.Status.VP),
        (org.east_rep, "70.00", "C", Scorecard.Status.PUBLISHED),
        (org.other_team_rep, "60.00", "D", Scorecard.Status.PUBLISHED),
    ):
        card = ScorecardFactory(
            user=user,
            scheme=rep_scheme,
            total=Decimal(total),
            grade=grade,
            status=status,
            reviewer_comment="继续保持",
        )
        ScorecardItemFactory(
            scorecard=card,
            scheme_item=items[0],
            actual=Decimal("3"),
            target=Decimal("2"),
            achievement=Decimal("1.5"),
            score=Decimal("120.00"),
        )
        ScorecardItemFactory(
            scorecard=card,
            scheme_item=items[1],
            actual=Decimal("0.4"),
            target=Decimal("0.5"),
            achievement=Decimal("0.8"),
            score=Decimal("80.00"),
        )
        made[user.username] = card
    return made


def _sheet(response):
    from openpyxl import load_workbook

    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_manager_exports_their_team_as_xlsx(org, clients, cards):
    response = clients.manager.get(
        EXPORT, {"period": "2026-10", "format": "xlsx", "team": org.shanghai.pk}
    )
    rows = _sheet(response)
    header = rows[0]
    assert header[:4] == ["username", "name", "team", "status"]
    assert header[4:8] == [
        "Orders (test) actual",
        "Orders (test) score",
        "Big orders (test) actual",
        "Big orders (test) score",
    ]
    assert header[-2:] == ["total", "grade"]
    by_user = {row[0]: row for row in rows[1:]}
    assert set(by_user) == {"rep", "teammate"}
    rep = by_user["rep"]
    assert rep[1] == "王芳"
    assert rep[2] == "Shanghai"
    assert rep[3] == "Published"
    assert rep[4] == 3
    assert rep[5] == 120
    assert rep[6] == pytest.approx(0.4)
    assert rep[7] == 80
    assert rep[-2:] == [92.5, "B"]
    assert by_user["teammate"][-1] == "A"


def test_export_outside_scope_is_404(org, clients, cards):
    assert clients.manager.get(EXPORT, {"team": org.beijing.pk}).status_code == 404
    assert clients.manager.get(EXPORT, {"format": "pdf"}).status_code == 404


def test_without_team_everything_in_scope(org, clients, cards):
    rows = _sheet(clients.vp.get(EXPORT, {"period": "2026-10"}))
    assert {row[0] for row in rows[1:]} == {"rep", "teammate", "east_rep", "other_team_rep"}
    rows = _sheet(clients.regional_manager.get(EXPORT, {"period": "2026-10"}))
    assert {row[0] for row in rows[1:]} == {"rep", "teammate", "east_rep"}


def test_rep_exports_only_their_own_published(org, clients, cards):
    rows = _sheet(clients.rep.get(EXPORT, {"period": "2026-10"}))
    assert [row[0] for row in rows[1:]] == ["rep"]
    rows = _sheet(clients.teammate.get(EXPORT, {"period": "2026-10"}))
    assert rows[1:] == []  # still under review: not even their own
    assert clients.rep.get(EXPORT, {"team": org.shanghai.pk}).status_code == 404


def test_csv_export(org, clients, cards):
    response = clients.hr.get(EXPORT, {"period": "2026-10", "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0].startswith("username,name,team,status,")
    rep_line = next(line for line in lines if line.startswith("rep,"))
    assert rep_line.split(",")[-2:] == ["92.50", "B"]
    assert "王芳" in rep_line
    assert ",3.0000,120.00," in rep_line


def _pdf_text(response) -> str:
    from pypdf import PdfReader

    assert response["Content-Type"] == "application/pdf"
    return PdfReader(io.BytesIO(response.content)).pages[0].extract_text()


def test_scorecard_pdf_has_the_chinese_text(org, clients, cards):
    url = reverse("performance:scorecard-pdf", args=[cards["rep"].pk])
    text = _pdf_text(clients.rep.get(url))
    assert "王芳" in text
    assert "继续保持" in text
    assert "92.50" in text
    assert "2026-10" in text


def test_scorecard_pdf_visibility(org, clients, cards):
    def url(name):
        return reverse("performance:scorecard-pdf", args=[cards[name].pk])

    assert clients.rep.get(url("teammate")).status_code == 404  # another person
    assert clients.teammate.get(url("teammate")).status_code == 404  # own, not published
    assert clients.manager.get(url("teammate")).status_code == 200  # reviewing it
    assert clients.manager.get(url("other_team_rep")).status_code == 404  # another team
    assert clients.hr.get(url("other_team_rep")).status_code == 200


def test_scorecard_pdf_shows_the_reviewers_comment_of_a_published_result_only(org, clients, cards):
    # The teammate's scorecard is with the VP (an appealed result carries its old comment):
    # like the scorecard page, the PDF keeps the comment for the published result.
    url = reverse("performance:scorecard-pdf", args=[cards["teammate"].pk])
    text = _pdf_text(clients.manager.get(url))
    assert "101.00" in text
    assert "继续保持" not in text
    url = reverse("performance:scorecard-pdf", args=[cards["east_rep"].pk])
    assert "继续保持" in _pdf_text(clients.regional_manager.get(url))
