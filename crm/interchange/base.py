"""The import pipeline shared by every kind of record.

    header mapping > parse every cell > duplicate keys inside the file > `prepare` (preload the
    natural keys of all rows in a few queries) > `check` every row (stage a create or an update,
    or report errors) > if no row failed and this is not a dry run: `write` in one transaction.

An importer subclass names its columns and implements prepare / check / write (batched: no query
per row), plus `export_queryset` / `export_row` so that an export re-imports unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.interchange.columns import BLANK, Column, columns_by_header, normalise_header
from crm.interchange.reading import ImportFileError, Table

CREATE, UPDATE, UNCHANGED = "create", "update", "unchanged"
PROGRESS_EVERY = 500


@dataclass(frozen=True)
class RowError:
    """A problem with one cell (or, column "", with the row as a whole). `row` is the row number
    the spreadsheet shows (the header is row 1)."""

    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RowError:
        return cls(int(data["row"]), str(data.get("column", "")), str(data["message"]))


@dataclass
class Row:
    number: int
    values: dict[str, Any]
    errors: list[RowError] = field(default_factory=list)

    def has(self, name: str) -> bool:
        """Whether the file has this column at all (absent columns leave fields alone)."""
        return name in self.values

    def get(self, name: str, default: Any = BLANK) -> Any:
        return self.values.get(name, default)

    def error(self, column: str, message: str) -> None:
        if column and any(e.column == column for e in self.errors):
            return  # one message per cell: the first says what is wrong with it
        self.errors.append(RowError(self.number, column, str(message)))


@dataclass
class ImportResult:
    kind: str
    dry_run: bool
    rows: int = 0
    to_create: int = 0
    to_update: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    written: bool = False

    @property
    def is_valid(self) -> bool:
        return not self.errors


class Importer:
    """One kind of record in the interchange format. Instances live for one run."""

    kind: ClassVar[str]
    label: ClassVar[Any]
    model: ClassVar[type[models.Model]]
    columns: ClassVar[tuple[Column, ...]]
    # Columns whose values identify a record: the same key twice in one file is an error.
    key: ClassVar[tuple[str, ...]] = ()
    batch_size: ClassVar[int] = 1000
    change_reason: ClassVar[str] = "import"
    # Templates list importer classes: they must not try to instantiate them.
    do_not_call_in_templates: ClassVar[bool] = True

    def __init__(self, *, user: Any | None) -> None:
        # user None: full rights (the management command without --as).
        self.user = user
        self.now = timezone.now()

    # --- access ---------------------------------------------------------------------------
    @classmethod
    def may_import(cls, user: Any) -> bool:
        return bool(getattr(user, "is_authenticated", False))

    @classmethod
    def may_export(cls, user: Any) -> bool:
        return bool(getattr(user, "is_authenticated", False))

    def editable(self, queryset: models.QuerySet) -> models.QuerySet:
        return queryset if self.user is None else queryset.editable_by(self.user)

    def visible(self, queryset: models.QuerySet) -> models.QuerySet:
        return queryset if self.user is None else queryset.visible_to(self.user)

    # --- hooks ----------------------------------------------------------------------------
    def prepare(self, rows: list[Row]) -> None:
        """Preload whatever `check` needs for all rows, in a few queries."""

    def check(self, row: Row) -> str:
        """Validate one row against the database and stage its write; returns CREATE, UPDATE or
        UNCHANGED. Report problems with `row.error(column, message)`."""
        raise NotImplementedError

    def write(self) -> None:
        """Write everything staged by `check`, batched. Runs inside one transaction."""
        raise NotImplementedError

    def export_queryset(self, queryset: models.QuerySet) -> models.QuerySet:
        return queryset

    def export_row(self, obj: Any) -> dict[str, Any]:
        raise NotImplementedError

    # --- helpers for subclasses -------------------------------------------------------------
    @classmethod
    def column(cls, name: str) -> Column:
        return next(c for c in cls.columns if c.name == name)

    @classmethod
    def header(cls) -> list[str]:
        return [c.name for c in cls.columns]

    @classmethod
    def example_row(cls) -> list[str]:
        return [c.example for c in cls.columns]

    def file_key(self, row: Row) -> tuple | None:
        if not self.key or not all(row.get(name) not in (BLANK, None) for name in self.key):
            return None
        return tuple(row.get(name) for name in self.key)

    def clean_fields(self, obj: models.Model, row: Row, *, extra: Iterable[str] = ()) -> None:
        """Run the model's field validation (lengths, email, URL...) on the columns present in
        the file, reporting each problem under its column."""
        by_field = {c.model_field: c.name for c in self.columns if row.has(c.name)}
        checked = set(by_field) | set(extra)
        # Relations are resolved by the importer from preloaded keys (validating them here would
        # cost a query per row).
        exclude = [f.name for f in obj._meta.fields if f.name not in checked or f.is_relation]
        try:
            obj.clean_fields(exclude=exclude)
        except ValidationError as exc:
            for field_name, messages in exc.message_dict.items():
                for message in messages:
                    row.error(by_field.get(field_name, ""), message)

    @staticmethod
    def batches(items: list, size: int = 2000) -> Iterable[list]:
        for start in range(0, len(items), size):
            yield items[start : start + size]


_registry: dict[str, type[Importer]] = {}


def register(importer: type[Importer]) -> type[Importer]:
    """Class decorator: make `importer` available under its `kind` (call from AppConfig.ready)."""
    _registry[importer.kind] = importer
    return importer


def get_importer(kind: str) -> type[Importer]:
    try:
        return _registry[kind]
    except KeyError:
        raise LookupError(f"No importer for {kind!r}") from None


def registered_importers() -> list[type[Importer]]:
    return list(_registry.values())


def map_header(importer: type[Importer], header: list[Any]) -> list[Column | None]:
    """The column of each header cell (None for a blank header cell), or an ImportFileError
    listing every unknown, duplicate and missing column at once."""
    by_header = columns_by_header(importer.columns)
    mapped: list[Column | None] = []
    problems: list[str] = []
    seen: set[str] = set()
    for cell in header:
        text = str(cell or "").strip()
        if not text:
            mapped.append(None)
            continue
        column = by_header.get(normalise_header(text))
        if column is None:
            problems.append(_("Unknown column “%(name)s”.") % {"name": text})
        elif column.name in seen:
            problems.append(
                _("Column “%(name)s” appears twice (“%(header)s”).")
                % {"name": column.name, "header": text}
            )
        else:
            seen.add(column.name)
        mapped.append(column)
    for column in importer.columns:
        if column.required and column.name not in seen:
            problems.append(_("Required column “%(name)s” is missing.") % {"name": column.name})
    if problems:
        raise ImportFileError(
            _("The header row does not match the %(kind)s format.") % {"kind": importer.label},
            details=problems,
        )
    return mapped


def parse_rows(mapped: list[Column | None], table: Table) -> list[Row]:
    rows = []
    present = [c for c in mapped if c is not None]
    for number, cells in table.rows:
        row = Row(number=number, values={})
        for index, column in enumerate(mapped):
            if column is None:
                continue
            raw = cells[index] if index < len(cells) else None
            try:
                row.values[column.name] = column.parse(raw)
            except ValueError as exc:
                row.error(column.name, str(exc))
        if len(cells) > len(mapped) and any(
            c not in (None, "") and str(c).strip() for c in cells[len(mapped) :]
        ):
            row.error("", _("This row has more cells than the header has columns."))
        # A column missing from a short row (CSV) still counts as present, with a blank value.
        for column in present:
            row.values.setdefault(column.name, BLANK)
        rows.append(row)
    return rows


def run_import(
    kind: str,
    table: Table,
    *,
    user: Any | None,
    dry_run: bool,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Validate every row of `table`; unless `dry_run` or a row failed, write them all in one
    transaction. Raises ImportFileError for a file that cannot be read as this kind."""
    importer_class = get_importer(kind)
    if user is not None and not importer_class.may_import(user):
        raise PermissionDenied
    importer = importer_class(user=user)
    rows = parse_rows(map_header(importer_class, table.header), table)
    result = ImportResult(kind=kind, dry_run=dry_run, rows=len(rows))

    first_seen: dict[tuple, int] = {}
    for row in rows:
        key = importer.file_key(row)
        if key is None or row.errors:
            continue
        if key in first_seen:
            row.error(
                importer.key[0],
                _("Same key as row %(row)s: each record may appear only once in a file.")
                % {"row": first_seen[key]},
            )
        else:
            first_seen[key] = row.number

    # Rows whose cells failed to parse are checked too (their bad cells read as blank), so that
    # one preview lists every problem of a row, an unknown owner next to a bad date, instead of
    # revealing them one round of fixes at a time. One message per cell (Row.error).
    importer.prepare(rows)
    counts = {CREATE: 0, UPDATE: 0, UNCHANGED: 0}
    for done, row in enumerate(rows, start=1):
        had_errors = bool(row.errors)
        action = importer.check(row)
        if not had_errors and not row.errors:
            counts[action] += 1
        if progress and done % PROGRESS_EVERY == 0:
            progress(done)
    if progress:
        progress(len(rows))
    result.to_create, result.to_update, result.unchanged = (
        counts[CREATE],
        counts[UPDATE],
        counts[UNCHANGED],
    )
    result.errors = [e for r in rows for e in r.errors]
    if result.errors or dry_run:
        return result
    with transaction.atomic():
        importer.write()
    result.written = True
    return result
