"""Staff reminders: what each person should do today, as in-app notifications and one digest
email per person.

Four sources, each one query (set-based, whatever the number of customers):
- follow-ups due today (Customer.next_follow_up_on, set by the latest activity);
- contracts ending in CONTRACT_DAYS days (renewal), for the contract's owner;
- receivables overdue: on the first day past due, then every OVERDUE_EVERY days until paid;
- tickets due today or overdue, for their assignee.

Every notification has a key naming the item and the day, so a second run (a retried task, two
beat schedulers) notifies nobody twice; the digest is one more notification per person and
day, emailed through the notifications app (which retries and sweeps: nothing is lost when the
mail server is down).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.dates import start_of_day
from crm.models import User
from customers.models import Customer
from notifications.services import notify

CONTRACT_DAYS = (30, 7)
CATCH_UP_DAYS = 2
OVERDUE_EVERY = 7


@dataclass
class Reminder:
    kind: str
    title: object  # a lazy string with %(name)s placeholders
    params: dict
    url: str
    key: str


def _url(name: str, pk: int) -> str:
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:  # a page of an app not installed (yet)
        return ""


def follow_ups_due(today: dt.date) -> list[tuple[int, Reminder]]:
    """Follow-ups planned for today, and those of the last CATCH_UP_DAYS days not reminded yet
    (the reminder task did not run that day): once per customer and planned date."""
    rows = Customer.objects.filter(
        next_follow_up_on__range=(today - dt.timedelta(days=CATCH_UP_DAYS), today),
        owner__isnull=False,
        owner__is_active=True,
    ).values_list("owner_id", "pk", "name", "next_follow_up_on")
    return [
        (
            owner_id,
            Reminder(
                kind="service.follow_up",
                title=_("Follow up %(customer)s today")
                if planned == today
                else _("Follow up %(customer)s (planned for %(date)s)"),
                params={"customer": name, "date": planned.isoformat()},
                url=reverse("customers:customer-detail", args=[pk]),
                key=f"service.follow_up:{pk}:{planned.isoformat()}",
            ),
        )
        for owner_id, pk, name, planned in rows
    ]


def contracts_ending(today: dt.date) -> list[tuple[int, Reminder]]:
    from orders.models import Contract

    # Once per contract and threshold crossed (30 days left, then 7): a day the task did not
    # run is caught up the next time, since the key names the threshold, not the day.
    rows = Contract.objects.filter(
        end_on__range=(today, today + dt.timedelta(days=max(CONTRACT_DAYS))),
        status__in=("signed", "approved"),
        owner__is_active=True,
    ).values_list("owner_id", "pk", "number", "end_on", "customer__name")
    reminders = []
    for owner_id, pk, number, end_on, customer in rows:
        threshold = min(d for d in CONTRACT_DAYS if (end_on - today).days <= d)
        reminders.append(
            (
                owner_id,
                Reminder(
                    kind="service.contract_ending",
                    title=_("Contract %(number)s with %(customer)s ends on %(date)s: renewal?"),
                    params={"number": number, "customer": customer, "date": end_on.isoformat()},
                    url=_url("orders:contract-detail", pk),
                    key=f"service.contract_ending:{pk}:{end_on.isoformat()}:{threshold}",
                ),
            )
        )
    return reminders


def receivables_overdue(today: dt.date) -> list[tuple[int, Reminder]]:
    from orders.models import Receivable

    rows = Receivable.objects.filter(
        status__in=("open", "partly_paid"), due_date__lt=today, owner__is_active=True
    ).values_list("owner_id", "pk", "code", "due_date", "amount", "paid_amount", "customer__name")
    reminders = []
    for owner_id, pk, code, due_date, amount, paid, customer in rows:
        late = (today - due_date).days
        # The first day late, then once a week (a reminder, not a flood); the key names the
        # week of lateness, so a day the task did not run is caught up the next day.
        week = (late - 1) // OVERDUE_EVERY
        reminders.append(
            (
                owner_id,
                Reminder(
                    kind="service.receivable_overdue",
                    title=_("%(customer)s owes %(amount)s (due %(date)s, %(days)s days late)"),
                    params={
                        "customer": customer,
                        "amount": f"{amount - paid} {settings.CRM_CURRENCY}",
                        "date": due_date.isoformat(),
                        "days": late,
                        "code": code,
                    },
                    url=_url("orders:receivable-detail", pk),
                    key=f"service.receivable_overdue:{pk}:{due_date.isoformat()}:w{week}",
                ),
            )
        )
    return reminders


def tickets_due(today: dt.date) -> list[tuple[int, Reminder]]:
    """Open tickets due by the end of today (or overdue), for their assignee."""
    from service.models import Ticket

    rows = (
        Ticket.objects.open()
        .filter(due_at__lt=start_of_day(today + dt.timedelta(days=1)), assignee__is_active=True)
        .values_list("assignee_id", "pk", "number", "due_at", "customer__name")
    )
    return [
        (
            assignee_id,
            Reminder(
                kind="service.ticket_due",
                title=_("Ticket %(number)s for %(customer)s is due %(due)s"),
                params={
                    "number": number,
                    "customer": customer,
                    "due": timezone.localtime(due_at).strftime("%Y-%m-%d %H:%M"),
                },
                url=reverse("service:ticket-detail", args=[pk]),
                key=f"service.ticket_due:{pk}:{today.isoformat()}",
            ),
        )
        for assignee_id, pk, number, due_at, customer in rows
    ]


def reminders_collect(today: dt.date) -> dict[int, list[Reminder]]:
    by_user: dict[int, list[Reminder]] = defaultdict(list)
    for source in (follow_ups_due, contracts_ending, receivables_overdue, tickets_due):
        for user_id, reminder in source(today):
            by_user[user_id].append(reminder)
    return by_user


def reminders_send(*, today: dt.date | None = None) -> dict[str, int]:
    """Notify everyone of today's reminders and send each one digest. Safe to run twice."""
    today = today or timezone.localdate()
    by_user = reminders_collect(today)
    users = User.objects.in_bulk(list(by_user))
    notified = digests = 0
    for user_id, reminders in by_user.items():
        user = users.get(user_id)
        if user is None:
            continue
        # Each reminder notifies once (its key); the digest lists what is new in this run.
        new = [
            r
            for r in reminders
            if notify(user, title=r.title, params=r.params, url=r.url, kind=r.kind, key=r.key)
        ]
        notified += len(new)
        if digest_send(user=user, reminders=new, today=today):
            digests += 1
    return {"users": len(by_user), "notified": notified, "digests": digests}


def digest_body(*, user: User, reminders: list[Reminder]) -> str:
    """The digest's lines, in the user's language (notify renders title and body in it; the
    lines are rendered here under the same language)."""
    from django.utils import translation

    site = settings.CRM_SITE_URL.rstrip("/")
    with translation.override(user.language or settings.LANGUAGE_CODE):
        lines = []
        for r in reminders:
            line = "• " + str(r.title) % r.params
            if r.url:
                line += f"\n  {site}{r.url}"
            lines.append(line)
    return "\n".join(lines)


def digest_send(*, user: User, reminders: list[Reminder], today: dt.date) -> bool:
    """One notification summing up the day, emailed (once: its key names the day)."""
    if not reminders:
        return False
    notification = notify(
        user,
        title=_("Your reminders for %(date)s: %(count)s"),
        # notify() fills %(name)s placeholders: the rendered lines' own % signs stay as they are.
        body=digest_body(user=user, reminders=reminders).replace("%", "%%"),
        params={"date": today.isoformat(), "count": len(reminders)},
        kind="service.digest",
        key=f"service.digest:{today.isoformat()}",
        email=True,
    )
    return notification is not None
