"""The audit page lists sign-ins newest first: index django-axes' log tables by time (axes does
not), so the page stays fast after years of logins."""

from django.db import migrations

TABLES = ("axes_accesslog", "axes_accessfailurelog")


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0005_single_company"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [
        migrations.RunSQL(
            sql=f"CREATE INDEX IF NOT EXISTS crm_{table}_time ON {table} (attempt_time)",
            reverse_sql=f"DROP INDEX IF EXISTS crm_{table}_time",
        )
        for table in TABLES
    ]
