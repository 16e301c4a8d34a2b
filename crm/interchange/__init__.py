"""Import and export of records as CSV / XLSX in one interchange format per kind of record.

Apps declare an `Importer` per kind (crm/importers.py, customers/importers/) and `register` it
in their AppConfig.ready(). Then:

- `run_import(kind, read_table(f, name), user=..., dry_run=...)` validates and writes;
- `export_response(kind, queryset, fmt, user=...)` downloads a list in the same format;
- crm/interchange/jobs.py runs uploads as ImportJobs (preview, then import, in Celery);
- docs/imports.md documents the columns for users.
"""

from crm.interchange.base import (
    CREATE,
    UNCHANGED,
    UPDATE,
    Importer,
    ImportResult,
    Row,
    RowError,
    get_importer,
    register,
    registered_importers,
    run_import,
)
from crm.interchange.columns import (
    BoolColumn,
    ChoiceColumn,
    Column,
    DateColumn,
    DateTimeColumn,
    DecimalColumn,
)
from crm.interchange.reading import FORMATS, ImportFileError, Table, read_table
from crm.interchange.writing import (
    XLSX_MAX_ROWS,
    ExportTooLargeError,
    export_response,
    export_rows,
    rejected_rows_file,
    template_response,
    write_table,
)

__all__ = [
    "CREATE",
    "FORMATS",
    "UNCHANGED",
    "UPDATE",
    "XLSX_MAX_ROWS",
    "BoolColumn",
    "ChoiceColumn",
    "Column",
    "DateColumn",
    "DateTimeColumn",
    "DecimalColumn",
    "ExportTooLargeError",
    "ImportFileError",
    "ImportResult",
    "Importer",
    "Row",
    "RowError",
    "Table",
    "export_response",
    "export_rows",
    "get_importer",
    "read_table",
    "register",
    "registered_importers",
    "rejected_rows_file",
    "run_import",
    "template_response",
    "write_table",
]
