"""Reading an uploaded file into a header and rows, whatever Excel did to it.

CSV: UTF-8 (with or without the BOM Excel writes), UTF-16 ("Unicode text"), or GB18030, a
superset of the GBK that Excel on Chinese Windows uses for "CSV"; comma, semicolon or tab.
XLSX: the first sheet, read-only (a 100,000-row sheet is streamed, not loaded as objects).
Everything that goes wrong is an `ImportFileError` with a message for the user, never a 500.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any, BinaryIO

from django.conf import settings
from django.utils.translation import gettext as _

FORMATS = ("csv", "xlsx")


class ImportFileError(Exception):
    """The file as a whole cannot be imported (encoding, format, header)."""

    def __init__(self, message: str, *, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []

    def __str__(self) -> str:
        return "; ".join([self.message, *self.details])


@dataclass
class Table:
    """The header cells and the data rows, each with its row number as the spreadsheet shows it
    (the header is row 1). Fully blank rows are dropped, their numbers skipped."""

    fmt: str
    header: list[Any]
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)


def max_rows() -> int:
    return getattr(settings, "CRM_IMPORT_MAX_ROWS", 200_000)


def file_format(filename: str) -> str:
    suffix = PurePath(filename or "").suffix.lower().lstrip(".")
    if suffix == "xls":
        raise ImportFileError(
            _("Old Excel files (.xls) cannot be read: save the sheet as .xlsx or .csv.")
        )
    if suffix not in FORMATS:
        raise ImportFileError(_("Upload a .csv or .xlsx file."))
    return suffix


def read_table(fileobj: BinaryIO, filename: str) -> Table:
    fmt = file_format(filename)
    data = fileobj.read()
    if not data.strip():
        raise ImportFileError(_("The file is empty."))
    if fmt == "xlsx":
        return _read_xlsx(data)
    if data[:4] == b"PK\x03\x04":
        raise ImportFileError(
            _("This is an Excel workbook, not a CSV file: upload it with the .xlsx extension.")
        )
    return _read_csv(_decode(data))


def _decode(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ("utf-16",)
    elif b"\x00" in data:
        raise ImportFileError(_("This is not a text file: save the sheet as CSV or XLSX."))
    else:
        candidates = ("utf-8-sig", "gb18030")
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _looks_binary(text):
            break
        return text
    raise ImportFileError(
        _(
            "The file's text encoding is not recognised: save it as “CSV UTF-8” "
            "(or as an Excel .xlsx workbook)."
        )
    )


def _looks_binary(text: str) -> bool:
    """Random bytes sometimes decode as GB18030; control characters give them away."""
    sample = text[:20000]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n")
    return controls > 0 or "\ufffd" in sample


def _read_csv(text: str) -> Table:
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    if first_line.count(delimiter) == 0:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return _table("csv", enumerate(reader, start=1))
    except csv.Error as exc:
        raise ImportFileError(_("The CSV file is malformed: %(error)s") % {"error": exc}) from exc


def _read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ImportFileError(_("This is not a valid Excel (.xlsx) file.")) from exc
    except Exception as exc:  # openpyxl raises its own types for damaged parts
        raise ImportFileError(_("This is not a valid Excel (.xlsx) file.")) from exc
    try:
        sheet = workbook.worksheets[0]
        return _table("xlsx", enumerate(sheet.iter_rows(values_only=True), start=1))
    finally:
        workbook.close()


def _is_blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _table(fmt: str, numbered_rows) -> Table:
    header: list[Any] | None = None
    rows: list[tuple[int, list[Any]]] = []
    limit = max_rows()
    for number, cells in numbered_rows:
        cells = list(cells)
        if all(_is_blank(c) for c in cells):
            continue
        if header is None:
            header = cells
            continue
        rows.append((number, cells))
        if len(rows) > limit:
            raise ImportFileError(
                _("The file has more than %(limit)s rows: split it into smaller files.")
                % {"limit": limit}
            )
    if header is None:
        raise ImportFileError(_("The file is empty."))
    while header and _is_blank(header[-1]):
        header.pop()
    return Table(fmt=fmt, header=header, rows=rows)
