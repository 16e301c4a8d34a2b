"""Background tasks of the shared core."""

import os
import socket

from celery import shared_task

from crm import services


@shared_task(ignore_result=False)
def ping() -> dict:
    """Answer with who ran it: proves a worker consumes from the broker."""
    return {"pong": True, "hostname": socket.gethostname(), "pid": os.getpid()}


@shared_task
def heartbeat() -> None:
    """Scheduled by beat every minute: records that beat and a worker are alive (see /healthz)."""
    services.heartbeat_record(component="worker", detail=f"{socket.gethostname()}:{os.getpid()}")
