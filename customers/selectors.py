"""Reads of the customer record: scoped querysets with what their pages need loaded."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import User
from crm.scopes import get_visible_or_404
from customers.filters import CustomerFilter, customer_search_q
from customers.models import Activity, Contact, Customer, OwnershipChange


def customer_list(*, viewer: User, data, request=None) -> CustomerFilter:
    """The customer list for `viewer`, filtered by `data` (a QueryDict); `.qs` holds the rows."""
    qs = (
        Customer.objects.visible_to(viewer)
        .select_related("owner", "owner__team")
        .order_by("-created_at", "-id")
    )
    return CustomerFilter(data, queryset=qs, request=request)


def customer_for_detail(*, viewer: User, pk: int) -> Customer:
    qs = Customer.objects.select_related("owner", "owner__team", "created_by").annotate(
        has_contact=Exists(Contact.objects.filter(customer=OuterRef("pk")))
    )
    return get_visible_or_404(qs, viewer, pk=pk)


@dataclass
class Timeline:
    """One page of a customer's events, newest first; `next_before` is where the next (older)
    page starts, None at the end of the history."""

    events: list[dict]
    next_before: dt.datetime | None


def customer_timeline(
    *, customer: Customer, limit: int = 50, before: dt.datetime | None = None
) -> Timeline:
    """Activities and ownership changes as one stream of events, `limit` at a time, older than
    `before`. A page never splits events of the same instant (imports can give several
    follow-ups one timestamp), so paging by time loses none."""
    activities = Activity.objects.filter(customer=customer).select_related("owner", "contact")
    changes = OwnershipChange.objects.filter(customer=customer).select_related(
        "from_user", "to_user", "changed_by"
    )
    if before is not None:
        activities = activities.filter(occurred_at__lt=before)
        changes = changes.filter(changed_at__lt=before)
    events = _events(
        activities.order_by("-occurred_at", "-id")[: limit + 1],
        changes.order_by("-changed_at", "-id")[: limit + 1],
    )
    if len(events) <= limit:
        return Timeline(events, None)
    boundary = events[limit - 1]["at"]
    page = [e for e in events if e["at"] > boundary]
    # Everything at the boundary instant, however many: the next page starts strictly before it.
    page += _events(
        activities.filter(occurred_at=boundary).order_by("-id"),
        changes.filter(changed_at=boundary).order_by("-id"),
    )
    has_older = any(e["at"] < boundary for e in events) or (
        activities.filter(occurred_at__lt=boundary).exists()
        or changes.filter(changed_at__lt=boundary).exists()
    )
    return Timeline(page, boundary if has_older else None)


def _events(activities, changes) -> list[dict]:
    events = [{"kind": "activity", "at": a.occurred_at, "activity": a} for a in activities]
    events += [{"kind": "ownership", "at": c.changed_at, "change": c} for c in changes]
    events.sort(key=lambda e: e["at"], reverse=True)
    return events


@dataclass(frozen=True)
class Duplicate:
    """An existing customer that looks like the one being entered. `customer` is None when the
    viewer may not see it: the warning then says that it exists, never what it holds."""

    customer: Customer | None
    fields: tuple[str, ...]
    owner_team: str = ""


def duplicates_find(
    *, viewer: User, name: str = "", phone: str = "", email: str = "", exclude_pk=None
) -> list[Duplicate]:
    name, phone, email = name.strip(), phone.strip(), email.strip()
    q = Q(pk__in=[])
    if name:
        q |= Q(name__iexact=name)
    if phone:
        q |= Q(phone=phone) | Q(pk__in=Contact.objects.filter(phone=phone).values("customer_id"))
    if email:
        q |= Q(email_upper=email.upper())
    if not (name or phone or email):
        return []
    candidates = (
        Customer.objects.annotate(email_upper=Upper("email"))
        .filter(q)
        .exclude(pk=exclude_pk)
        .select_related("owner__team")[:10]
    )
    candidates = list(candidates)
    visible = set(
        Customer.objects.visible_to(viewer)
        .filter(pk__in=[c.pk for c in candidates])
        .values_list("pk", flat=True)
    )
    contact_phone_ids = (
        set(
            Contact.objects.filter(customer__in=candidates, phone=phone).values_list(
                "customer_id", flat=True
            )
        )
        if phone
        else set()
    )
    result = []
    for c in candidates:
        fields = []
        if name and c.name.lower() == name.lower():
            fields.append("name")
        if phone and (c.phone == phone or c.pk in contact_phone_ids):
            fields.append("phone")
        if email and c.email.lower() == email.lower():
            fields.append("email")
        result.append(
            Duplicate(
                customer=c if c.pk in visible else None,
                fields=tuple(fields),
                owner_team=str(c.owner.team) if c.owner and c.owner.team else "",
            )
        )
    return result


def follow_ups_due(*, user: User, today: dt.date | None = None, days_ahead: int = 7) -> QuerySet:
    """`user`'s customers with a follow-up due within `days_ahead` days (overdue first)."""
    today = today or timezone.localdate()
    return (
        Customer.objects.filter(
            owner=user, next_follow_up_on__lte=today + dt.timedelta(days=days_ahead)
        )
        .select_related("owner")
        .order_by("next_follow_up_on", "pk")
    )


def customer_counts(user: User) -> dict[str, int]:
    """The home dashboard's figures for `user`, in one query."""
    today = timezone.localdate()
    return Customer.objects.filter(owner=user).aggregate(
        my_customers=Count("pk"),
        follow_ups_due=Count("pk", filter=Q(next_follow_up_on__lte=today)),
    )


def customer_changes(*, customer: Customer, limit: int = 100) -> list[dict]:
    """The customer's edits, newest first: who changed which fields from what to what."""
    records = list(
        customer.history.select_related("history_user").order_by("-history_date", "-history_id")[
            : limit + 1
        ]
    )
    user_ids = {getattr(r, f) for r in records for f in ("owner_id", "created_by_id")}
    people = {u.pk: str(u) for u in User.objects.filter(pk__in=user_ids - {None})}
    changes = []
    for newer, older in zip(records, [*records[1:], None], strict=True):
        if len(changes) == limit:
            break
        if older is None:
            if len(records) <= limit:  # the very first record: the creation
                changes.append({"record": newer, "created": True, "fields": []})
            continue
        delta = newer.diff_against(older, excluded_fields=BOOKKEEPING_FIELDS)
        fields = [
            {
                "label": Customer._meta.get_field(c.field).verbose_name,
                "old": _display(c.field, c.old, people),
                "new": _display(c.field, c.new, people),
            }
            for c in delta.changes
        ]
        if fields:
            changes.append({"record": newer, "created": False, "fields": fields})
    return changes


# Columns the services keep up to date: their moves are in the timeline, not edits by people.
BOOKKEEPING_FIELDS = [
    "owned_since",
    "pool_entered_at",
    "last_contacted_at",
    "next_follow_up_on",
    "last_opportunity_at",
    "has_open_opportunities",
]


def _display(field_name: str, value, people: dict[int, str]) -> str:
    field = Customer._meta.get_field(field_name)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if field.is_relation:
        if field.name == "owner" and not value:
            return str(_("public pool"))
        return people.get(value, "")
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    return "" if value is None else str(value)


def pool_list(*, viewer: User, filters: dict[str, str]) -> QuerySet[Customer]:
    """The pool as `viewer` sees it, searched and filtered, longest in the pool last."""
    qs = Customer.objects.visible_to(viewer).in_pool()
    if search := filters.get("q"):
        qs = qs.filter(customer_search_q(search))  # the customer list's search, same indexes
    for name in ("level", "industry", "source"):
        if value := filters.get(name):
            qs = qs.filter(**{name: value})
    return qs.order_by("-pool_entered_at", "-id")
