"""Background work of the leads app (queue `assignment`): thin tasks over leads/assignment.

All are idempotent: each locks the leads it acts on and re-checks them (still unowned, still
not contacted), so a retry, a duplicate delivery or two workers on one lead change nothing twice.
"""

from __future__ import annotations

import os

from celery import shared_task
from django.conf import settings
from django.db import OperationalError

from leads import assignment, burst
from leads.models import Lead

# A burst of new leads: each assign_lead also takes up to this many other waiting leads along,
# so a thousand posts are served in a few transactions rather than a thousand.
# Settable for benchmarks (LEADS_ASSIGN_ALONG=0: one transaction per lead).
ALONG = int(getattr(settings, "LEADS_ASSIGN_ALONG", os.environ.get("LEADS_ASSIGN_ALONG", 50)))


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def assign_lead(lead_id: int) -> dict:
    """Assign a new lead by the rules (queued on commit when a lead is created), and the other
    new leads waiting with it."""
    if not burst.coalescing():
        if not Lead.objects.filter(assignment.waiting_q(), pk=lead_id).exists():
            # Already placed (by a task that took it along, the sweep, or a manager), or
            # closed: one indexed read, no lock. A burst of tasks is mostly this.
            return {"assigned": 0, "queued": 0, "skipped": 1}
        return assignment.assign_waiting(lead_ids=[lead_id], also_waiting=ALONG).as_dict()
    # Coalesced (leads/burst.py): this task stands for every lead committed before it started.
    burst.release()
    total = {"assigned": 0, "queued": 0, "skipped": 0}
    for _ in range(1000):
        result = assignment.assign_waiting(lead_ids=[lead_id], also_waiting=max(ALONG, 1))
        for key, value in result.as_dict().items():
            total[key] += value
        if result.fresh < max(ALONG, 1):
            break  # every new lead was in this batch: none is left waiting for a first try
    return total


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def assign_sweep_task() -> dict:
    """Every minute: assign leads still waiting (after a worker outage nothing is lost; leads
    in the default queue are retried as rules and capacities change)."""
    total = {"assigned": 0, "queued": 0, "skipped": 0}
    for _ in range(20):  # at most 20 batches a run; the next run continues
        result = assignment.assign_waiting().as_dict()
        for key in total:
            total[key] += result[key]
        if result["assigned"] == 0:
            break
    return total


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def sla_check_task() -> dict:
    """Every five minutes: reassign leads not contacted within their rule's response SLA."""
    total = {"assigned": 0, "queued": 0, "skipped": 0}
    for _ in range(20):
        result = assignment.sla_reassign_due().as_dict()
        for key in total:
            total[key] += result[key]
        if not result["assigned"] and not result["queued"]:
            break
    return total
