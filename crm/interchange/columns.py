"""Columns of the interchange format: a header name (English, plus accepted aliases such as the
Chinese names), how a cell is parsed into a Python value and how a value is written back.

A parser raises `ValueError` with a message meant for the person who filled the spreadsheet; the
importer turns it into a row error for that column.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db.models import Choices
from django.utils import timezone, translation
from django.utils.translation import gettext as _

BLANK = ""


def normalise_header(name: Any) -> str:
    """The comparable form of a header cell: case, spaces, dashes and a trailing '*' ignored."""
    text = str(name or "").replace("\ufeff", "").strip().rstrip("*").strip()
    return re.sub(r"[\s\-]+", "_", text).casefold()


def cell_text(value: Any) -> str:
    """A cell as text: what a CSV would hold. Excel hands numbers over as floats (13800138000.0)
    and they must come back as the digits the user typed."""
    if value is None:
        return BLANK
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    text = str(value).strip()
    if text[:1] == "'" and text[1:2] in ("=", "@", "+", "-"):
        text = text[1:]  # the apostrophe our exports put before formula-like text
    return text


@dataclass(frozen=True)
class Column:
    """A text column. `field` is the model field it fills (default: the same name); `required`
    means the column must be in the header, `blank=False` that every row needs a value."""

    name: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    blank: bool = True
    field: str = ""
    example: str = ""
    help: str = ""

    @property
    def model_field(self) -> str:
        return self.field or self.name

    def header_names(self) -> set[str]:
        return {normalise_header(self.name), *(normalise_header(a) for a in self.aliases)}

    def parse(self, value: Any) -> Any:
        """The Python value of a cell; BLANK for an empty cell. Raises ValueError."""
        text = cell_text(value)
        if text == BLANK:
            if not self.blank:
                raise ValueError(_("A value is required."))
            return BLANK
        return self.parse_text(text, value)

    def parse_text(self, text: str, raw: Any) -> Any:
        return text

    def format(self, value: Any) -> str:
        """The cell written on export (and read back unchanged on import)."""
        if value is None:
            return BLANK
        return str(value)


@dataclass(frozen=True)
class ChoiceColumn(Column):
    """Accepts the code ("company"), the English label ("Company (B2B)") or the label in any
    configured language ("公司"), case-insensitively; `extra` adds more spellings. `names`
    replaces codes by shorter names in the files written ({"rep": "sales_rep"})."""

    choices: type[Choices] = None  # type: ignore[assignment]  # required, see __post_init__
    extra: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.choices is None:
            raise TypeError(f"ChoiceColumn {self.name!r} needs choices")

    def lookup(self) -> dict[str, str]:
        table: dict[str, str] = {}
        for lang, _name in settings.LANGUAGES:
            with translation.override(lang):
                for value, label in self.choices.choices:
                    table.setdefault(str(label).strip().casefold(), value)
        for value in self.choices.values:
            table[str(value).casefold()] = value
        for spelling, value in {**self.extra, **self.names}.items():
            table[spelling.casefold()] = value
        return table

    def parse_text(self, text: str, raw: Any) -> Any:
        table = _choice_tables.get(id(self))
        if table is None:
            table = _choice_tables[id(self)] = self.lookup()
        try:
            return table[text.casefold()]
        except KeyError:
            raise ValueError(
                _("“%(value)s” is not one of: %(allowed)s.")
                % {"value": text, "allowed": ", ".join(self.allowed_codes())}
            ) from None

    def allowed_codes(self) -> list[str]:
        reverse = {v: k for k, v in self.names.items()}
        return [reverse.get(v, v) for v in self.choices.values]

    def format(self, value: Any) -> str:
        reverse = {v: k for k, v in self.names.items()}
        return BLANK if value in (None, BLANK) else reverse.get(value, str(value))


# Built once per process (labels are translated lazily, so not at import time).
_choice_tables: dict[int, dict[str, str]] = {}


TRUE_WORDS = {"true", "yes", "y", "1", "t", "是", "真", "对"}
FALSE_WORDS = {"false", "no", "n", "0", "f", "否", "假", "不"}


@dataclass(frozen=True)
class BoolColumn(Column):
    """true/false, yes/no, 1/0, 是/否. A blank cell is false."""

    def parse(self, value: Any) -> Any:
        text = cell_text(value).casefold()
        if text in TRUE_WORDS:
            return True
        if text in FALSE_WORDS or text == BLANK:
            return False
        raise ValueError(_("Enter true or false (是 or 否)."))

    def format(self, value: Any) -> str:
        return "true" if value else "false"


_DATE_RE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_DATETIME_RE = re.compile(
    r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"
    r"(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?$"
)


@dataclass(frozen=True)
class DateColumn(Column):
    """YYYY-MM-DD (Excel's YYYY/M/D is accepted too, and real date cells in XLSX)."""

    def parse_text(self, text: str, raw: Any) -> Any:
        if isinstance(raw, dt.datetime):
            return raw.date()
        if isinstance(raw, dt.date):
            return raw
        match = _DATE_RE.match(text)
        if match:
            try:
                return dt.date(*(int(part) for part in match.groups()))
            except ValueError:
                pass
        raise ValueError(_("“%(value)s” is not a date: use YYYY-MM-DD.") % {"value": text})

    def format(self, value: Any) -> str:
        return value.isoformat() if value else BLANK


@dataclass(frozen=True)
class DateTimeColumn(Column):
    """ISO 8601 ("2025-03-01T14:30:00+08:00", "2025-03-01 14:30"); without an offset the time
    is read in the company's time zone (settings.TIME_ZONE)."""

    def parse_text(self, text: str, raw: Any) -> Any:
        if isinstance(raw, dt.datetime):
            value = raw
        elif isinstance(raw, dt.date):
            value = dt.datetime.combine(raw, dt.time())
        else:
            value = self._parse_string(text)
        if timezone.is_naive(value):
            value = timezone.make_aware(value, timezone.get_default_timezone())
        return value

    def _parse_string(self, text: str) -> dt.datetime:
        match = _DATETIME_RE.match(text)
        if match:
            year, month, day, hour, minute, second, fraction, offset = match.groups()
            try:
                tzinfo = None
                if offset == "Z":
                    tzinfo = dt.UTC
                elif offset:
                    sign = 1 if offset[0] == "+" else -1
                    digits = offset[1:].replace(":", "")
                    tzinfo = dt.timezone(
                        sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
                    )
                return dt.datetime(
                    int(year),
                    int(month),
                    int(day),
                    int(hour or 0),
                    int(minute or 0),
                    int(second or 0),
                    int((fraction or "0").ljust(6, "0")),
                    tzinfo=tzinfo,
                )
            except ValueError:
                pass
        raise ValueError(
            _("“%(value)s” is not a date and time: use YYYY-MM-DD HH:MM or ISO 8601.")
            % {"value": text}
        )

    def format(self, value: Any) -> str:
        if not value:
            return BLANK
        return timezone.localtime(value).isoformat()


@dataclass(frozen=True)
class DecimalColumn(Column):
    """A number; thousands separators (1,234.50) are ignored."""

    def parse_text(self, text: str, raw: Any) -> Any:
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            return Decimal(str(raw))
        try:
            return Decimal(text.replace(",", "").replace(" ", ""))
        except InvalidOperation:
            raise ValueError(_("“%(value)s” is not a number.") % {"value": text}) from None


def columns_by_header(columns: Iterable[Column]) -> dict[str, Column]:
    table: dict[str, Column] = {}
    for column in columns:
        for name in column.header_names():
            table[name] = column
    return table
