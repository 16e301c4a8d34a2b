"""Substring search (icontains) on PostgreSQL uses trigram GIN indexes.

Django's icontains on PostgreSQL compiles to `UPPER(col::text) LIKE UPPER('%term%')`, so the
indexes are on UPPER(col). SQLite (the embedded setup) has no equivalent and scans; that setup is
for one small company.
"""

from django.db import migrations

INDEXES = [
    ("cust_name_trgm", "customers_customer", "name"),
    ("cust_phone_trgm", "customers_customer", "phone"),
    ("contact_name_trgm", "customers_contact", "name"),
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in INDEXES:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" '
            f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
