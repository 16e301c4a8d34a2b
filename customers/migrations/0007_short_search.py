"""Search terms of two characters (common in Chinese: 凯鑫, 王伟) use a GIN index of bigrams.

pg_trgm needs three characters to look anything up: `LIKE '%凯鑫%'` scanned every customer and
contact (2.5-3 s at a million customers, docs/performance.md). `crm_bigrams(text)` is the set of
upper-cased two-character substrings of a text; `crm_bigrams(name) @> ARRAY['凯鑫']` finds the
names containing 凯鑫 through an expression index on it. PostgreSQL only (the embedded SQLite
setup scans, as for longer terms).
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION crm_bigrams(value text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT substr(upper(value), i, 2)), '{}')
    FROM generate_series(1, char_length(value) - 1) AS i
$$
"""

INDEXES = [
    ("cust_name_bigrams", "customers_customer"),
    ("contact_name_bigrams", "customers_contact"),
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION)
    for name, table in INDEXES:
        schema_editor.execute(
            f'CREATE INDEX CONCURRENTLY IF NOT EXISTS "{name}" ON "{table}" '
            'USING gin (crm_bigrams("name"))'
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table in INDEXES:
        schema_editor.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"')
    schema_editor.execute("DROP FUNCTION IF EXISTS crm_bigrams(text)")


class Migration(migrations.Migration):
    # CONCURRENTLY: the build takes ~1.5 min at a million customers and two million contacts
    # (bench/generate.py --scale large); the tables stay writable meanwhile.
    atomic = False
    dependencies = [("customers", "0006_activity_opportunity")]

    operations = [migrations.RunPython(forwards, backwards)]
