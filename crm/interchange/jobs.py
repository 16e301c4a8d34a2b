"""Writes of ImportJob: an upload is validated (the dry-run preview), then, once the user
confirms, imported. Both steps run in Celery tasks (crm/tasks.py) that call the functions here;
each re-checks the job's status first, so a task delivered twice does no harm.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crm.interchange.base import RowError, run_import
from crm.interchange.reading import ImportFileError, Table, read_table
from crm.models import ImportJob, User

logger = logging.getLogger(__name__)
Status = ImportJob.Status


def _move(job: ImportJob, to: str, **fields: Any) -> bool:
    """Move `job` to status `to` if its current status allows it (checked in the UPDATE itself,
    so two workers cannot both take the same step)."""
    allowed_from = [s for s, targets in ImportJob.TRANSITIONS.items() if to in targets]
    moved = ImportJob.objects.filter(pk=job.pk, status__in=allowed_from).update(status=to, **fields)
    if moved:
        job.status = to
        for name, value in fields.items():
            setattr(job, name, value)
    return bool(moved)


def import_job_create(*, kind: str, uploaded_file: UploadedFile, by: User) -> ImportJob:
    """Store the upload and queue its validation."""
    from crm.tasks import import_validate_task

    with transaction.atomic():
        job = ImportJob(kind=kind, created_by=by, original_name=uploaded_file.name[:255])
        job.file.save(uploaded_file.name, uploaded_file, save=False)
        job.save()
        transaction.on_commit(lambda: import_validate_task.delay(job.pk))
    return job


def import_job_confirm(*, job: ImportJob, by: User) -> bool:
    """Queue the import of a validated job; False if it is not (or no longer) importable."""
    from crm.tasks import import_run_task

    with transaction.atomic():
        if not _move(job, Status.IMPORTING, processed_rows=0):
            return False
        transaction.on_commit(lambda: import_run_task.delay(job.pk))
    return True


def import_job_table(job: ImportJob) -> Table:
    with job.file.open("rb") as handle:
        return read_table(handle, job.original_name)


def import_job_validate(*, job_id: int) -> ImportJob | None:
    job = ImportJob.objects.select_related("created_by").filter(pk=job_id).first()
    if job is None or not _move(job, Status.VALIDATING):
        return job
    return _execute(job, dry_run=True)


def import_job_run(*, job_id: int) -> ImportJob | None:
    """Import the job's file. Every row is validated again (the data may have changed since the
    preview) and nothing is written if any row fails now."""
    job = ImportJob.objects.select_related("created_by").filter(pk=job_id).first()
    # Only a confirmed job (import_job_confirm moved it to IMPORTING) is imported; IMPORTING
    # again after a lost worker is fine: the import is idempotent.
    if job is None or job.status != Status.IMPORTING:
        return job
    return _execute(job, dry_run=False)


def _execute(job: ImportJob, *, dry_run: bool) -> ImportJob:
    # The messages stored on the job are read by the uploader: write them in their language.
    with translation.override(job.created_by.language or settings.LANGUAGE_CODE):
        return _execute_in_language(job, dry_run=dry_run)


def _execute_in_language(job: ImportJob, *, dry_run: bool) -> ImportJob:
    def progress(done: int) -> None:
        ImportJob.objects.filter(pk=job.pk).update(processed_rows=done)

    try:
        table = import_job_table(job)
        ImportJob.objects.filter(pk=job.pk).update(total_rows=len(table.rows), processed_rows=0)
        job.total_rows = len(table.rows)
        result = run_import(
            job.kind, table, user=job.created_by, dry_run=dry_run, progress=progress
        )
    except ImportFileError as exc:
        _move(
            job,
            Status.INVALID,
            message=exc.message,
            errors=[RowError(0, "", detail).as_dict() for detail in exc.details],
            finished_at=timezone.now(),
        )
        return job
    except PermissionDenied:
        _move(
            job,
            Status.INVALID,
            message=_("You may not import this kind of record."),
            finished_at=timezone.now(),
        )
        return job
    except Exception:
        # Nothing was written (the write is one transaction); the details go to the log.
        logger.exception("Import job %s failed", job.pk)
        _move(
            job,
            Status.FAILED,
            message=_("The import failed unexpectedly. Nothing was written."),
            finished_at=timezone.now(),
        )
        return job
    to = Status.INVALID if result.errors else (Status.VALIDATED if dry_run else Status.DONE)
    _move(
        job,
        to,
        total_rows=result.rows,
        processed_rows=result.rows,
        to_create=result.to_create,
        to_update=result.to_update,
        unchanged=result.unchanged,
        errors=[e.as_dict() for e in result.errors],
        message="",
        finished_at=timezone.now(),
    )
    return job


def import_files_purge(*, older_than_days: int = 30, now: dt.datetime | None = None) -> int:
    """Delete the uploaded files of finished jobs older than `older_than_days`: they hold raw
    customer data that nobody needs once the import is done (the job row, its counts and errors
    stay; the rejected-rows download then answers 404). Idempotent."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=older_than_days)
    # Ended jobs only: a validated job still waits for its "Import now".
    ended = [ImportJob.Status.DONE, ImportJob.Status.INVALID, ImportJob.Status.FAILED]
    purged = 0
    jobs = (
        ImportJob.objects.filter(status__in=ended)
        .filter(Q(finished_at__lt=cutoff) | Q(finished_at__isnull=True, created_at__lt=cutoff))
        .exclude(file="")
    )
    for job in jobs.iterator():
        job.file.delete(save=False)
        ImportJob.objects.filter(pk=job.pk).update(file="")
        purged += 1
    return purged
