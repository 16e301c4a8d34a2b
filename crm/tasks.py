"""Background tasks of the shared core."""

import os
import socket

from celery import shared_task
from django.conf import settings

from crm import services
from crm.interchange import jobs


@shared_task(ignore_result=False)
def ping() -> dict:
    """Answer with who ran it: proves a worker consumes from the broker."""
    return {"pong": True, "hostname": socket.gethostname(), "pid": os.getpid()}


@shared_task
def heartbeat() -> None:
    """Scheduled by beat every minute: records that beat and a worker are alive (see /healthz)."""
    services.heartbeat_record(component="worker", detail=f"{socket.gethostname()}:{os.getpid()}")


# Imports of large files outlive the default time limit (settings: 5 minutes).
IMPORT_TIME_LIMITS = {"soft_time_limit": 60 * 60, "time_limit": 60 * 60 + 60}


@shared_task(**IMPORT_TIME_LIMITS)
def import_validate_task(job_id: int) -> None:
    """The dry run of an uploaded file: fills the job's preview (counts and row errors)."""
    jobs.import_job_validate(job_id=job_id)


@shared_task(**IMPORT_TIME_LIMITS)
def import_run_task(job_id: int) -> None:
    """The confirmed import of a validated file: all rows or nothing."""
    jobs.import_job_run(job_id=job_id)


@shared_task
def import_files_purge_task() -> int:
    """Daily: remove uploaded import files past their retention (settings.CRM_IMPORT_FILE_DAYS)."""
    return jobs.import_files_purge(older_than_days=settings.CRM_IMPORT_FILE_DAYS)
