"""A period's scorecards as XLSX or CSV (one row per person: username, name, team, status, each
KPI's actual and score, total, grade) and one scorecard as PDF."""

from __future__ import annotations

import io
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from crm.interchange.writing import csv_chunks, file_response
from crm.pdf import render_pdf
from performance.dashboards import kpis
from performance.models import Scorecard

FORMATS = ("xlsx", "csv")


def scorecard_table(scorecards: QuerySet[Scorecard]) -> tuple[list[str], list[list[Any]]]:
    """The header and rows of an export (three queries: scorecards, their people and teams
    joined, their items)."""
    cards = list(
        scorecards.select_related("user", "team", "period")
        .prefetch_related("items")
        .order_by("team__path", "user__username")
    )
    keys: dict[str, tuple[int, int]] = {}
    for card in cards:
        for item in card.items.all():
            keys.setdefault(item.metric, (item.sort_order, len(keys)))
    ordered = sorted(keys, key=lambda k: keys[k])
    header = [_("username"), _("name"), _("team"), _("status")]
    for key in ordered:
        label = kpis.metric_label(key)
        header += [
            _("%(kpi)s actual") % {"kpi": label},
            _("%(kpi)s score") % {"kpi": label},
        ]
    header += [_("total"), _("grade")]
    rows = []
    for card in cards:
        items = {item.metric: item for item in card.items.all()}
        row: list[Any] = [
            card.user.username,
            card.user.get_full_name(),
            card.team.name if card.team_id else "",
            str(card.get_status_display()),
        ]
        for key in ordered:
            item = items.get(key)
            row += [item.actual, item.score] if item else [None, None]
        row += [card.total, card.grade]
        rows.append(row)
    return header, rows


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:f}"
    return str(value)


def _xlsx(header: list[str], rows: Iterable[list[Any]]) -> bytes:
    """Numbers stay numbers (Decimal, written exactly as their digits); text is always text,
    never a formula."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Scorecards")[:31])
    sheet.append(header)
    for row in rows:
        cells = []
        for value in row:
            if isinstance(value, Decimal):
                cells.append(WriteOnlyCell(sheet, value=value))
            else:
                cell = WriteOnlyCell(sheet, value=_text(value))
                cell.data_type = "s"
                cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def scorecards_response(scorecards: QuerySet[Scorecard], fmt: str, filename: str):
    header, rows = scorecard_table(scorecards)
    if fmt == "xlsx":
        return file_response(_xlsx(header, rows), fmt, filename)
    text_rows = ([_text(v) for v in row] for row in rows)
    return file_response(b"".join(csv_chunks(header, text_rows)), fmt, filename)


def scorecard_pdf(card: Scorecard) -> bytes:
    items = []
    for item in card.items.all():
        cell = kpis.cell_from_item(item)
        items.append({"item": item, "cell": cell})
    return render_pdf(
        "pdf/scorecard.html",
        {"card": card, "items": items, "undefined": any(i["item"].score is None for i in items)},
    )
