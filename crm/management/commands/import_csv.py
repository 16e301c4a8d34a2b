"""`manage.py import_csv KIND FILE [--dry-run] [--as USERNAME]`: the same import as the web
page, run in the foreground. Without --as it runs with full rights, like an administrator."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from crm.interchange import ImportFileError, read_table, registered_importers, run_import
from crm.models import User


class Command(BaseCommand):
    help = "Import a CSV or XLSX file of one kind of record (all rows or none)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("kind", choices=[i.kind for i in registered_importers()])
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--dry-run", action="store_true", help="Validate every row, write nothing."
        )
        parser.add_argument(
            "--as",
            dest="as_user",
            metavar="USERNAME",
            help="Apply this user's data scope (default: full rights).",
        )

    def handle(self, *args, kind: str, file: Path, dry_run: bool, as_user: str | None, **opts):
        user = None
        if as_user:
            user = User.objects.filter(username=as_user, is_active=True).first()
            if user is None:
                raise CommandError(f"No active user {as_user!r}.")
        if not file.is_file():
            raise CommandError(f"{file}: no such file.")
        try:
            with file.open("rb") as handle:
                table = read_table(handle, file.name)
            result = run_import(kind, table, user=user, dry_run=dry_run)
        except ImportFileError as exc:
            raise CommandError("\n".join([f"{file}: {exc.message}", *exc.details])) from exc
        except PermissionDenied as exc:
            raise CommandError(f"{as_user} may not import {kind}.") from exc

        if result.errors:
            for error in result.errors:
                self.stderr.write(f"row {error.row}, {error.column or '-'}: {error.message}")
            raise CommandError(
                f"{len(result.errors)} error(s) in {len({e.row for e in result.errors})} row(s) "
                f"of {result.rows}: nothing was written."
            )
        verb = "would be" if dry_run else "were"
        self.stdout.write(
            f"{result.rows} rows: {result.to_create} {verb} created, {result.to_update} "
            f"{verb} updated, {result.unchanged} unchanged."
            + (" Dry run: nothing was written." if dry_run else "")
        )
