"""Writes of one lead: create (queuing its assignment), edit, follow-ups and first contact,
status, disqualify, reopen."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import User
from customers.models import Activity
from leads.models import AssignmentLog, Lead

logger = logging.getLogger(__name__)

EDITABLE_FIELDS = frozenset(
    {"name", "company", "title", "phone", "email", "source", "region", "industry", "notes"}
)


class LeadError(Exception):
    def __init__(self, message: str, *, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def queue_assignment(lead_ids: list[int]) -> None:
    """After the caller's transaction commits, ask a worker to assign these leads. If the broker
    is down the leads simply wait: the periodic sweep assigns them."""

    def send() -> None:
        from leads import burst
        from leads.tasks import assign_lead

        if not burst.claim():
            return  # a task is pending: it takes these leads along (leads/burst.py)
        for lead_id in lead_ids[:1] if burst.coalescing() else lead_ids:
            try:
                assign_lead.delay(lead_id)
            except Exception:  # broker unreachable: the sweep will do it
                logger.warning("Could not queue the assignment of lead %s", lead_id)
                burst.release()
                return

    if lead_ids:
        transaction.on_commit(send)


def _log_owner(
    lead: Lead, *, to_user: User | None, reason: str, by: User | None, note: str = ""
) -> AssignmentLog:
    return AssignmentLog.objects.create(
        lead=lead,
        from_user_id=lead.owner_id,
        to_user=to_user,
        reason=reason,
        changed_by=by,
        note=note[:255],
    )


@transaction.atomic
def lead_create(
    *,
    by: User | None,
    owner: User | None = None,
    reason: str = AssignmentLog.Reason.CREATED,
    **fields: Any,
) -> Lead:
    """Create a lead. With an owner it is theirs at once; without, a worker assigns it by the
    rules right after the commit."""
    unknown = set(fields) - EDITABLE_FIELDS - {"created_at", "api_source", "fingerprint"}
    if unknown:
        raise ValueError(f"not settable here: {sorted(unknown)}")
    lead = Lead(created_by=by, **fields)
    lead.full_clean()
    lead.save()
    if owner is not None:
        _log_owner(lead, to_user=owner, reason=reason, by=by)
        lead.owner = owner
        lead.assigned_at = timezone.now()
        lead.save(update_fields=["owner", "assigned_at"])
        if by is None or owner.pk != by.pk:
            from leads.notify import notify_assigned

            notify_assigned([(lead.pk, owner.pk)], reclaimed_from={})
    else:
        queue_assignment([lead.pk])
    return lead


@transaction.atomic
def lead_update(*, lead: Lead, by: User, **fields: Any) -> Lead:
    if not set(fields) <= EDITABLE_FIELDS:
        raise ValueError(f"not editable here: {sorted(set(fields) - EDITABLE_FIELDS)}")
    fresh = Lead.objects.select_for_update().get(pk=lead.pk)
    for name, value in fields.items():
        setattr(fresh, name, value)
    fresh.full_clean()
    fresh._change_reason = f"edited by {by.username}"
    fresh.save(update_fields=[*fields, "updated_at"])
    lead.refresh_from_db()
    return lead


@transaction.atomic
def lead_activity_log(
    *,
    lead: Lead,
    by: User,
    kind: str,
    outcome: str,
    summary: str,
    occurred_at: dt.datetime | None = None,
    next_follow_up_on: dt.date | None = None,
) -> Activity:
    """Log a follow-up on a lead. The owner's first one is the lead's first contact: it stops
    the SLA clock and moves a new lead to "contacted"."""
    now = timezone.now()
    locked = Lead.objects.select_for_update().get(pk=lead.pk)
    activity = Activity(
        lead=locked,
        customer=locked.converted_customer,
        owner=by,
        kind=kind,
        outcome=outcome,
        summary=summary,
        occurred_at=occurred_at or now,
        next_follow_up_on=next_follow_up_on,
    )
    activity.full_clean()
    activity.save()
    if locked.first_contacted_at is None and locked.owner_id == by.pk:
        at = activity.occurred_at
        if locked.assigned_at and at < locked.assigned_at:
            at = locked.assigned_at  # backdated before the lead was theirs: counts from then
        locked.first_contacted_at = min(at, now)
        locked.sla_due_at = None
        fields = ["first_contacted_at", "sla_due_at", "updated_at"]
        if locked.status == Lead.Status.NEW:
            locked.status = Lead.Status.CONTACTED
            fields.append("status")
        locked._change_reason = "first contact"
        locked.save(update_fields=fields)
    lead.refresh_from_db()
    return activity


@transaction.atomic
def lead_set_status(*, lead: Lead, by: User, status: str) -> Lead:
    """Move an open lead between new, contacted and qualified."""
    if status not in (Lead.Status.CONTACTED, Lead.Status.QUALIFIED, Lead.Status.NEW):
        raise LeadError(_("Use disqualify or convert for that."), code="status")
    locked = Lead.objects.select_for_update().get(pk=lead.pk)
    if not locked.is_open:
        raise LeadError(_("This lead is closed."), code="closed")
    locked.status = status
    locked._change_reason = f"status set by {by.username}"
    locked.save(update_fields=["status", "updated_at"])
    lead.refresh_from_db()
    return lead


@transaction.atomic
def lead_disqualify(*, lead: Lead, by: User, reason: str, note: str = "") -> Lead:
    locked = Lead.objects.select_for_update().get(pk=lead.pk)
    if not locked.is_open:
        raise LeadError(_("Only an open lead can be disqualified."), code="closed")
    if reason not in Lead.DisqualifyReason.values:
        raise LeadError(_("Choose a reason."), code="reason")
    locked.status = Lead.Status.DISQUALIFIED
    locked.disqualify_reason = reason
    locked.disqualify_note = note[:255]
    locked.sla_due_at = None
    locked._change_reason = f"disqualified by {by.username}"
    locked.save(
        update_fields=[
            "status",
            "disqualify_reason",
            "disqualify_note",
            "sla_due_at",
            "updated_at",
        ]
    )
    lead.refresh_from_db()
    return lead


@transaction.atomic
def lead_reopen(*, lead: Lead, by: User) -> Lead:
    """Undo a disqualification (a mistake, or the prospect came back)."""
    locked = Lead.objects.select_for_update().get(pk=lead.pk)
    if locked.status != Lead.Status.DISQUALIFIED:
        raise LeadError(_("Only a disqualified lead can be reopened."), code="status")
    locked.status = Lead.Status.CONTACTED if locked.first_contacted_at else Lead.Status.NEW
    locked.disqualify_reason = ""
    locked.disqualify_note = ""
    locked._change_reason = f"reopened by {by.username}"
    locked.save(update_fields=["status", "disqualify_reason", "disqualify_note", "updated_at"])
    if locked.owner_id is None:
        queue_assignment([locked.pk])
    lead.refresh_from_db()
    return lead
