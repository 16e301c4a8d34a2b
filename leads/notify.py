"""Telling reps about leads given to them (in-app, and by email through the notifications queue).

Called inside the assigning transaction: the notification rows commit with the assignment, and
the emails are queued only after that commit (notifications.services.notify).
"""

from __future__ import annotations

from collections import defaultdict

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from crm.models import User
from leads.models import Lead

# A rep given more than this many leads at once gets one summary instead of one per lead.
SUMMARY_OVER = 3


def notify_assigned(assigned: list[tuple[int, int]], *, reclaimed_from: dict[int, int]) -> None:
    """`assigned`: (lead id, new owner id) pairs; `reclaimed_from`: lead id -> previous owner
    for SLA reassignments (the previous owner is told the lead was taken back)."""
    try:
        from notifications.services import notify
    except ImportError:  # the notifications app is optional for this one
        return
    per_user: dict[int, list[int]] = defaultdict(list)
    for lead_id, user_id in assigned:
        per_user[user_id].append(lead_id)
    lead_ids = [lead_id for lead_id, _user in assigned]
    names = dict(Lead.objects.filter(pk__in=lead_ids).values_list("pk", "name"))
    users = User.objects.in_bulk({*per_user, *reclaimed_from.values()})
    for user_id, ids in per_user.items():
        user = users.get(user_id)
        if len(ids) > SUMMARY_OVER:
            notify(
                user,
                title=_("%(count)s new leads assigned to you"),
                body=_("Contact them soon: each has a first-contact deadline."),
                url=reverse("leads:lead-list") + "?mine=new",
                kind="lead_assigned",
                params={"count": len(ids)},
                email=True,
            )
            continue
        for lead_id in ids:
            notify(
                user,
                title=_("New lead: %(name)s"),
                body=(
                    _("Reassigned to you: the previous owner did not contact it in time.")
                    if lead_id in reclaimed_from
                    else _("A new lead was assigned to you. Contact it soon.")
                ),
                url=reverse("leads:lead-detail", args=[lead_id]),
                kind="lead_assigned",
                params={"name": names.get(lead_id, "")},
                email=True,
            )
    for lead_id, user_id in reclaimed_from.items():
        notify(
            users.get(user_id),
            title=_("Lead taken back: %(name)s"),
            body=_("It was not contacted within the response time and went to another rep."),
            url=reverse("leads:lead-list"),
            kind="lead_reclaimed",
            params={"name": names.get(lead_id, "")},
        )
