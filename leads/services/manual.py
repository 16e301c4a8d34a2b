"""Managers' moves: assign leads by hand (bulk), and a leaving rep's hand-over."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import User
from customers.pool import assignable_users, can_manage_pool
from leads.models import AssignmentLog, Lead
from leads.services.core import LeadError

MAX_BULK = 500


def leads_assign(*, lead_ids: list[int], to_user: User, by: User, note: str = "") -> list[int]:
    """A manager gives leads (from the queue or from another rep) to someone they manage.

    Only open leads the manager may change move; the others are left alone. Returns the ids
    moved. A manual assignment stops the rule's SLA clock: the manager chose this rep.
    """
    if not can_manage_pool(by):
        raise LeadError(_("Only managers may assign leads."), code="forbidden")
    if not assignable_users(by).filter(pk=to_user.pk).exists():
        raise LeadError(
            _("%(user)s is not an active member of your teams.") % {"user": to_user},
            code="receiver",
        )
    ids = sorted({int(pk) for pk in lead_ids})
    if len(ids) > MAX_BULK:
        raise LeadError(_("Select at most %(max)d leads at once.") % {"max": MAX_BULK})
    moved = []
    with transaction.atomic():
        leads = list(
            Lead.objects.editable_by(by)
            .select_for_update(of=("self",))
            .filter(pk__in=ids, status__in=Lead.OPEN_STATUSES)
            .exclude(owner=to_user)
            .order_by("pk")
        )
        now = timezone.now()
        logs = []
        for lead in leads:
            logs.append(
                AssignmentLog(
                    lead=lead,
                    from_user_id=lead.owner_id,
                    to_user=to_user,
                    reason=AssignmentLog.Reason.MANUAL,
                    changed_by=by,
                    note=note[:255],
                    created_at=now,
                )
            )
            lead.owner = to_user
            lead.assigned_at = now
            lead.sla_due_at = None
            moved.append(lead.pk)
        if leads:
            from simple_history.utils import bulk_update_with_history

            bulk_update_with_history(
                leads,
                Lead,
                ["owner", "assigned_at", "sla_due_at"],
                default_user=by,
                default_change_reason="assigned by a manager",
            )
            AssignmentLog.objects.bulk_create(logs)
            if to_user.pk != by.pk:
                from leads.notify import notify_assigned

                notify_assigned([(pk, to_user.pk) for pk in moved], reclaimed_from={})
    return moved


# --- a leaving rep's hand-over (a step of customers.pool.rep_handover) -------------------------


def _open_leads_of(from_user: User, by: User):
    return Lead.objects.editable_by(by).filter(owner=from_user, status__in=Lead.OPEN_STATUSES)


def leads_handover(*, from_user: User, to_user: User, by: User, note: str = "") -> int:
    """A leaving rep's open leads go to `to_user`, each logged (the rep hand-over holds the
    transaction and the user locks). Closed leads stay: they are the rep's record."""
    leads = list(_open_leads_of(from_user, by).select_for_update(of=("self",)).order_by("pk"))
    if not leads:
        return 0
    now = timezone.now()
    logs = [
        AssignmentLog(
            lead=lead,
            from_user=from_user,
            to_user=to_user,
            reason=AssignmentLog.Reason.HANDOVER,
            changed_by=by,
            note=note[:255],
            created_at=now,
        )
        for lead in leads
    ]
    Lead.objects.filter(pk__in=[lead.pk for lead in leads]).update(
        owner=to_user, assigned_at=now, sla_due_at=None, updated_at=now
    )
    for lead in leads:
        lead.owner, lead.assigned_at, lead.sla_due_at = to_user, now, None
    Lead.history.bulk_history_create(
        leads, update=True, default_user=by, default_change_reason=f"hand-over: {note}"[:100]
    )
    AssignmentLog.objects.bulk_create(logs)
    return len(leads)


def register_handover_step() -> None:
    from django.utils.translation import gettext_lazy

    from customers.pool import HANDOVER_STEPS, HandoverStep

    if any(getattr(step.run, "__name__", "") == "leads_handover" for step in HANDOVER_STEPS):
        return
    HANDOVER_STEPS.append(
        HandoverStep(
            label=gettext_lazy("Open leads"),
            count=lambda from_user, by: _open_leads_of(from_user, by).count(),
            run=leads_handover,
        )
    )
