"""Writing files in the interchange format: exports, import templates and rejected rows.

CSV is written as UTF-8 with a BOM so that Excel shows Chinese correctly when the file is
double-clicked; XLSX with openpyxl's write-only mode. Text that a spreadsheet would run as a
formula (=, +, -, @ first) is neutralised: a CSV cell gets a leading apostrophe (removed again on
import), an XLSX cell is stored as a string.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.interchange.base import RowError, get_importer
from crm.interchange.columns import cell_text
from crm.interchange.reading import Table

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
ERROR_COLUMN = "error"
XLSX_MAX_ROWS = 50_000


class ExportTooLargeError(Exception):
    """An Excel export over XLSX_MAX_ROWS; `message` (translated) says what to do instead."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


_NUMBER_LIKE = re.compile(r"[+\-][\d\s().\-]*")


def _csv_safe(value: str) -> str:
    if value[:1] in ("=", "@") or (value[:1] in ("+", "-") and not _NUMBER_LIKE.fullmatch(value)):
        return f"'{value}"
    return value


def csv_chunks(header: list[str], rows: Iterable[list[Any]], *, every: int = 500):
    """CSV bytes (UTF-8 with BOM) in chunks of `every` rows, for streaming large exports."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(header)
    for count, row in enumerate(rows, 1):
        writer.writerow([_csv_safe(cell_text(v)) for v in row])
        if count % every == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def write_table(fmt: str, header: list[str], rows: Iterable[list[Any]]) -> bytes:
    if fmt == "csv":
        return b"".join(csv_chunks(header, rows))
    if fmt == "xlsx":
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet()
        sheet.append(header)
        for row in rows:
            cells = []
            for value in row:
                text = value if isinstance(value, str) else cell_text(value)
                cell = WriteOnlyCell(sheet, value=text)
                cell.data_type = "s"  # never a formula, never a number that loses its zeros
                cells.append(cell)
            sheet.append(cells)
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()
    raise ValueError(f"Unknown format {fmt!r}")


def file_response(content, fmt: str, filename: str) -> HttpResponse:
    """A download; `content` is bytes, or an iterator of bytes (streamed)."""
    if isinstance(content, bytes):
        response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    else:
        response = StreamingHttpResponse(content, content_type=CONTENT_TYPES[fmt])
    ascii_name = filename.encode("ascii", "ignore").decode() or f"download.{fmt}"
    ascii_name = ascii_name.replace('"', "").replace("\\", "")
    response["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    )
    return response


def export_rows(kind: str, queryset, *, user: Any | None) -> tuple[list[str], Iterable[list]]:
    """The header and rows of an export of `queryset` (narrowed to what `user` may see)."""
    importer_class = get_importer(kind)
    if user is not None and not importer_class.may_export(user):
        raise PermissionDenied
    importer = importer_class(user=user)
    queryset = importer.export_queryset(importer.visible(queryset))
    columns = importer_class.columns

    def rows():
        for obj in queryset.iterator(chunk_size=2000):
            values = importer.export_row(obj)
            yield [column.format(values.get(column.name)) for column in columns]

    return importer_class.header(), rows()


def export_response(
    kind: str, queryset, fmt: str, *, user: Any, filename: str | None = None
) -> HttpResponse:
    """Download `queryset` (e.g. the filtered list) as CSV or XLSX in the interchange format of
    `kind`, with exactly the import's columns, so the file re-imports unchanged. Rows outside
    what `user` may see are left out whatever the queryset holds; PermissionDenied if `user` may
    not export this kind at all."""
    if fmt not in CONTENT_TYPES:
        raise ValueError(f"Unknown format {fmt!r}")
    if fmt == "xlsx":
        # CSV streams row by row; an Excel file is built whole inside the request.
        importer = get_importer(kind)(user=user)
        visible = importer.visible(queryset).order_by()
        if visible[: XLSX_MAX_ROWS + 1].count() > XLSX_MAX_ROWS:
            raise ExportTooLargeError(
                _("Excel exports hold at most %(max)s rows: narrow the list or export CSV.")
                % {"max": f"{XLSX_MAX_ROWS:,}"}
            )
    header, rows = export_rows(kind, queryset, user=user)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    # CSV streams row by row (a million-row export never sits in memory); XLSX is a zip that
    # openpyxl writes in one go.
    content = csv_chunks(header, rows) if fmt == "csv" else write_table(fmt, header, rows)
    return file_response(content, fmt, filename or f"{kind}-{stamp}.{fmt}")


def template_response(kind: str, fmt: str) -> HttpResponse:
    """An empty file to fill in: the header row and one example row."""
    importer_class = get_importer(kind)
    content = write_table(fmt, importer_class.header(), [importer_class.example_row()])
    return file_response(content, fmt, f"{kind}-template.{fmt}")


def rejected_rows_file(table: Table, errors: Iterable[RowError | dict]) -> bytes:
    """The rows of `table` that failed, as they were uploaded, plus an "error" column saying
    what is wrong with each (same format as the upload), to fix and upload again."""
    by_row: dict[int, list[str]] = {}
    file_level: list[str] = []
    for error in errors:
        if isinstance(error, dict):
            error = RowError.from_dict(error)
        text = f"{error.column}: {error.message}" if error.column else error.message
        if error.row:
            by_row.setdefault(error.row, []).append(text)
        else:
            file_level.append(text)
    width = len(table.header)
    header = [cell_text(h) for h in table.header] + [ERROR_COLUMN]
    rows = []
    for number, cells in table.rows:
        if number in by_row:
            padded = [*cells[:width], *([None] * (width - len(cells)))]
            rows.append([*padded, "; ".join(by_row[number])])
    if file_level and not rows:
        rows = [[*([None] * width), "; ".join(file_level)]]
    return write_table(table.fmt, header, rows)


def rejected_rows_filename(original_name: str, fmt: str) -> str:
    stem = re.sub(r"[^\w\-. ]", "_", original_name.rsplit(".", 1)[0])[:80] or "import"
    return f"{stem}-{_('rejected')}.{fmt}"
