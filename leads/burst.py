"""Coalescing a burst of new leads into a few `assign_lead` tasks.

A task takes every waiting lead along (in batches), so while one is queued and not yet started
another would find nothing to do: queuing one per lead made a burst of a thousand posts a
thousand tasks, most of them empty, and the workers' per-task cost (not the assignment) was the
limit (docs/leads.md, Benchmark). With a cache shared by all processes (Redis in production) a
lead's commit queues a task only when none is pending:

- `claim()` (on commit) sets the pending flag atomically (cache.add); only the one that set it
  queues a task;
- the task calls `release()` *before* reading the waiting leads, so a lead committed before the
  release is seen by that read, and one committed after it queues a task of its own.

A lost task leaves the flag for PENDING_TTL seconds at most, and the periodic sweep assigns
anything left. With a per-process cache (locmem, the embedded setup) the flag would not be
shared, so every lead queues its own task as before. LEADS_ASSIGN_COALESCE forces either way.
"""

from __future__ import annotations

import logging
import os

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

PENDING_KEY = "leads:assign:pending"
PENDING_TTL = 30  # seconds


def coalescing() -> bool:
    forced = getattr(settings, "LEADS_ASSIGN_COALESCE", None)
    if forced is None and os.environ.get("LEADS_ASSIGN_COALESCE", "") in ("0", "1"):
        forced = os.environ["LEADS_ASSIGN_COALESCE"] == "1"  # (for the benchmark's workers)
    if forced is not None:
        return bool(forced)
    backend = settings.CACHES["default"]["BACKEND"]
    return not any(local in backend for local in ("locmem", "dummy"))


def claim() -> bool:
    """Whether the caller should queue a task (True unless one is already pending)."""
    if not coalescing():
        return True
    try:
        return bool(cache.add(PENDING_KEY, 1, timeout=PENDING_TTL))
    except Exception:  # the cache is down: queue anyway, tasks are idempotent
        logger.warning("Cache unavailable: queuing the assignment without coalescing")
        return True


def release() -> None:
    if not coalescing():
        return
    try:
        cache.delete(PENDING_KEY)
    except Exception:
        logger.warning("Cache unavailable: could not clear the pending-assignment flag")
