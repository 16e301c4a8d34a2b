"""Which care messages are due: one set-based query per rule and trigger (never a Python loop
over customers).

A rule is due for an occasion (a birthday this year, a delivered order, a contract end, a silence
since the last follow-up, a closed ticket) on one day. The run also looks CATCH_UP_DAYS back, so a
day missed (workers down) is caught up the next morning, but never before the rule existed: a
new rule does not greet last week's birthdays. The idempotency key makes a second run, or two
workers at once, insert nothing new (see docs/service.md).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from crm.dates import start_of_day
from customers.models import Contact, Customer
from service.models import CareRule, Ticket

CATCH_UP_DAYS = 2
T = CareRule.Trigger

# Contract statuses whose end is worth a renewal message (not drafts, not ended ones).
LIVE_CONTRACT_STATUSES = ("signed", "approved")


@dataclass
class Due:
    """One message to send: who it is for and what to say."""

    customer_id: int
    customer_name: str
    customer_email: str
    customer_phone: str
    language: str
    owner_id: int | None
    occasion: str
    on: dt.date
    contact_id: int | None = None
    contact_name: str = ""
    contact_email: str = ""
    contact_phone: str = ""
    values: dict[str, str] = field(default_factory=dict)

    @property
    def email(self) -> str:
        return self.contact_email if self.contact_id else self.customer_email

    @property
    def phone(self) -> str:
        return self.contact_phone if self.contact_id else self.customer_phone


def window(rule: CareRule, today: dt.date) -> list[dt.date]:
    """The days whose occasions are due today: today and CATCH_UP_DAYS before, from the day the
    rule was created."""
    first = max(today - dt.timedelta(days=CATCH_UP_DAYS), timezone.localdate(rule.created_at))
    return [first + dt.timedelta(days=i) for i in range((today - first).days + 1)]


def _conditions(rule: CareRule, prefix: str) -> Q:
    q = Q()
    for name in ("customer_kind", "level", "segment"):
        value = getattr(rule, name)
        if value:
            q &= Q(**{f"{prefix}{'kind' if name == 'customer_kind' else name}": value})
    return q


def _customer_values(prefix: str) -> dict[str, F]:
    return {
        "c_id": F(f"{prefix}id"),
        "c_name": F(f"{prefix}name"),
        "c_email": F(f"{prefix}email"),
        "c_phone": F(f"{prefix}phone"),
        "c_language": F(f"{prefix}language"),
        "c_owner": F(f"{prefix}owner_id"),
    }


def _primary_contact(customer_ref: str) -> dict[str, Subquery]:
    """The primary contact of each row's customer, as subqueries (one query in all)."""
    primary = Contact.objects.filter(customer=OuterRef(customer_ref), is_primary=True)
    return {
        f"p_{name}": Subquery(primary.values(name)[:1]) for name in ("id", "name", "email", "phone")
    }


def _birthday_q(days: list[dt.date], lookup: str) -> Q:
    q = Q(pk__in=[])
    for day in days:
        q |= Q(**{f"{lookup}__month": day.month, f"{lookup}__day": day.day})
        if day.month == 2 and day.day == 28 and not calendar.isleap(day.year):
            q |= Q(**{f"{lookup}__month": 2, f"{lookup}__day": 29})  # celebrated on the 28th
    return q


def _birthday_on(birthday: dt.date, days: list[dt.date]) -> dt.date:
    for day in days:
        if (birthday.month, birthday.day) == (day.month, day.day):
            return day
    return next(d for d in days if d.month == 2 and d.day == 28)


def _due(row: dict, *, occasion: str, on: dt.date, contact: str = "p", **values) -> Due:
    """A Due from a values() row: customer columns c_*, contact columns `contact`_*."""
    contact_id = row.get(f"{contact}_id")
    return Due(
        customer_id=row["c_id"],
        customer_name=row["c_name"],
        customer_email=row["c_email"] or "",
        customer_phone=row["c_phone"] or "",
        language=row["c_language"] or "en",
        owner_id=row["c_owner"],
        occasion=occasion,
        on=on,
        contact_id=contact_id,
        contact_name=(row.get(f"{contact}_name") or "") if contact_id else "",
        contact_email=(row.get(f"{contact}_email") or "") if contact_id else "",
        contact_phone=(row.get(f"{contact}_phone") or "") if contact_id else "",
        values={k: str(v) for k, v in values.items()},
    )


def _customer_birthdays(rule: CareRule, days: list[dt.date]) -> Iterable[Due]:
    rows = (
        Customer.objects.filter(_conditions(rule, ""), _birthday_q(days, "birthday"))
        .values("birthday", **_customer_values(""))
        .order_by("pk")
    )
    for row in rows:
        on = _birthday_on(row["birthday"], days)
        yield _due(row, occasion=f"birthday:{on.year}", on=on, contact="none")


def _contact_birthdays(rule: CareRule, days: list[dt.date]) -> Iterable[Due]:
    rows = (
        Contact.objects.filter(_conditions(rule, "customer__"), _birthday_q(days, "birthday"))
        .values(
            "birthday",
            k_id=F("id"),
            k_name=F("name"),
            k_email=F("email"),
            k_phone=F("phone"),
            **_customer_values("customer__"),
        )
        .order_by("pk")
    )
    for row in rows:
        on = _birthday_on(row["birthday"], days)
        yield _due(row, occasion=f"contact{row['k_id']}:birthday:{on.year}", on=on, contact="k")


def _after_delivery(rule: CareRule, days: list[dt.date]) -> Iterable[Due]:
    from orders.models import OrderStatusChange

    delivered = [d - dt.timedelta(days=rule.days) for d in days]
    rows = (
        OrderStatusChange.objects.filter(
            _conditions(rule, "order__customer__"),
            to_status="delivered",
            changed_at__gte=start_of_day(delivered[0]),
            changed_at__lt=start_of_day(delivered[-1] + dt.timedelta(days=1)),
        )
        .values(
            "changed_at",
            o_id=F("order_id"),
            o_number=F("order__number"),
            **_customer_values("order__customer__"),
            **_primary_contact("order__customer_id"),
        )
        .order_by("pk")
    )
    for row in rows:
        on = timezone.localdate(row["changed_at"])
        yield _due(
            row,
            occasion=f"order{row['o_id']}",
            on=on + dt.timedelta(days=rule.days),
            order=row["o_number"],
            date=on.isoformat(),
        )


def _before_contract_end(rule: CareRule, days: list[dt.date]) -> Iterable[Due]:
    from orders.models import Contract

    ends = [d + dt.timedelta(days=rule.days) for d in days]
    rows = (
        Contract.objects.filter(
            _conditions(rule, "customer__"),
            status__in=LIVE_CONTRACT_STATUSES,
            end_on__gte=ends[0],
            end_on__lte=ends[-1],
        )
        .values(
            "end_on",
            k_id=F("id"),
            k_number=F("number"),
            **_customer_values("customer__"),
            **_primary_contact("customer_id"),
        )
        .order_by("pk")
    )
    for row in rows:
        yield _due(
            row,
            # The end date is part of the occasion: a renewed contract ending later is a new one.
            occasion=f"contract{row['k_id']}:{row['end_on'].isoformat()}",
            on=row["end_on"] - dt.timedelta(days=rule.days),
            contract=row["k_number"],
            date=row["end_on"].isoformat(),
        )


def _no_follow_up(rule: CareRule, days: list[dt.date]) -> Iterable[Due]:
    since = [d - dt.timedelta(days=rule.days) for d in days]
    start, end = start_of_day(since[0]), start_of_day(since[-1] + dt.timedelta(days=1))
    # Two indexed ranges rather than a range on COALESCE(...), which no index serves: never
    # contacted counts from the day the customer was created.
    silent = Q(last_contacted_at__gte=start, last_contacted_at__lt=end) | Q(
        last_contacted_at__isnull=True, created_at__gte=start, created_at__lt=end
    )
    rows = (
        Customer.objects.filter(_conditions(rule, ""), silent, owner__isnull=False)
        .annotate(last=Coalesce("last_contacted_at", "created_at"))
        .values("last", **_customer_values(""), **_primary_contact("pk"))
        .order_by("pk")
    )
    for row in rows:
        last = timezone.localdate(row["last"])
        yield _due(
            row,
            occasion=f"silent-since:{last.isoformat()}",
            on=last + dt.timedelta(days=rule.days),
            date=last.isoformat(),
        )


def _ticket_closed(rule: CareRule, days: list[dt.date]) -> Iterable[Due]:
    closed = [d - dt.timedelta(days=rule.days) for d in days]
    rows = (
        Ticket.objects.filter(
            _conditions(rule, "customer__"),
            closed_at__gte=start_of_day(closed[0]),
            closed_at__lt=start_of_day(closed[-1] + dt.timedelta(days=1)),
        )
        .values(
            "closed_at",
            t_id=F("id"),
            t_number=F("number"),
            k_id=F("contact_id"),
            k_name=F("contact__name"),
            k_email=F("contact__email"),
            k_phone=F("contact__phone"),
            **_customer_values("customer__"),
            **_primary_contact("customer_id"),
        )
        .order_by("pk")
    )
    for row in rows:
        on = timezone.localdate(row["closed_at"])
        yield _due(
            row,
            occasion=f"ticket{row['t_id']}",
            on=on + dt.timedelta(days=rule.days),
            contact="k" if row["k_id"] else "p",
            ticket=row["t_number"],
            date=on.isoformat(),
        )


FINDERS = {
    T.CUSTOMER_BIRTHDAY: _customer_birthdays,
    T.CONTACT_BIRTHDAY: _contact_birthdays,
    T.AFTER_DELIVERY: _after_delivery,
    T.BEFORE_CONTRACT_END: _before_contract_end,
    T.NO_FOLLOW_UP: _no_follow_up,
    T.TICKET_CLOSED: _ticket_closed,
}


def care_due(rule: CareRule, *, today: dt.date | None = None) -> list[Due]:
    """What `rule` should send for the days up to `today` (whether or not already sent)."""
    today = today or timezone.localdate()
    days = window(rule, today)
    if not days:
        return []
    return list(FINDERS[rule.trigger](rule, days))
