"""Reachability of what the product depends on, for /healthz and operators."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone

from crm.celery import app as celery_app


def check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return {"ok": False, "error": exc.__class__.__name__}
    return {"ok": True, "vendor": connection.vendor}


def check_broker() -> dict:
    transport = celery_app.conf.broker_url.split("://", 1)[0]
    if transport == "filesystem":
        # kombu's "connection" to a folder always succeeds; what can fail is the folder itself.
        folder = Path(celery_app.conf.broker_transport_options.get("data_folder_in", ""))
        if not (folder.is_dir() and os.access(folder, os.W_OK)):
            return {"ok": False, "transport": transport, "error": "queue folder not writable"}
        return {"ok": True, "transport": transport}
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:
        return {"ok": False, "transport": transport, "error": exc.__class__.__name__}
    return {"ok": True, "transport": transport}


def check_worker() -> dict:
    """When a worker last ran the beat-scheduled heartbeat (informational: not part of status)."""
    from crm.models import Heartbeat

    heartbeat = Heartbeat.objects.filter(component="worker").first()
    if heartbeat is None:
        return {"ok": False, "last_seen": None}
    age = timezone.now() - heartbeat.seen_at
    return {
        "ok": age <= timedelta(seconds=settings.CRM_HEARTBEAT_STALE_AFTER),
        "last_seen": heartbeat.seen_at.isoformat(),
    }


def health_report() -> tuple[bool, dict]:
    database = check_database()
    broker = check_broker()
    worker = check_worker() if database["ok"] else {"ok": False, "last_seen": None}
    healthy = database["ok"] and broker["ok"]
    return healthy, {
        "status": "ok" if healthy else "error",
        "database": database,
        "broker": broker,
        "worker": worker,
    }
