"""Writes of the customer record: create and edit customers and contacts, log follow-ups, and
record every change of owner. Pool claiming, reclaiming and bulk transfers: customers/pool/.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from crm.models import User
from customers.models import Activity, Contact, Customer, OwnershipChange

# What forms and imports may change on a customer; ownership and the bookkeeping columns move
# only through the services that log them.
EDITABLE_FIELDS = frozenset(
    {
        "code",
        "name",
        "kind",
        "industry",
        "scale",
        "source",
        "level",
        "status",
        "region",
        "address",
        "phone",
        "email",
        "website",
        "wechat",
        "qq",
        "birthday",
        "business_status",
        "competitors",
        "notes",
        "language",
        "is_locked",
    }
)


def ownership_change_record(
    *,
    customer: Customer,
    to_user: User | None,
    reason: str,
    by: User | None,
    note: str = "",
    at: dt.datetime | None = None,
) -> OwnershipChange:
    """Point `customer` at its new owner (None = the public pool) and log the move.

    The caller holds the customer's row lock when the move must not race (claims, reclaims).
    """
    at = at or timezone.now()
    change = OwnershipChange.objects.create(
        customer=customer,
        from_user_id=customer.owner_id,
        to_user=to_user,
        reason=reason,
        note=note[:255],
        changed_by=by,
        changed_at=at,
    )
    customer.owner = to_user
    customer.owned_since = at if to_user is not None else None
    customer.pool_entered_at = at if to_user is None else None
    if to_user is None:
        customer.next_follow_up_on = None  # nobody is due to follow up a pool customer
    customer.save(update_fields=["owner", "owned_since", "pool_entered_at", "next_follow_up_on"])
    return change


def completeness_refresh(customer: Customer) -> int:
    """Recompute the stored completeness percentage (after the customer or a contact changes)."""
    has_contact = customer.contacts.exists()
    value = customer.completeness_for(has_contact=has_contact)
    if value != customer.completeness:
        customer.completeness = value
        Customer.objects.filter(pk=customer.pk).update(completeness=value)
    return value


@transaction.atomic
def customer_create(*, by: User, owner: User | None, **fields: Any) -> Customer:
    """Create a customer owned by `owner` (None: straight into the public pool)."""
    customer = Customer(created_by=by, **fields)
    customer.full_clean(exclude=["code"] if not customer.code else None)
    customer.save()
    ownership_change_record(
        customer=customer,
        to_user=owner,
        reason=OwnershipChange.Reason.CREATED,
        by=by,
        at=customer.created_at,
    )
    completeness_refresh(customer)
    return customer


@transaction.atomic
def customer_update(*, customer: Customer, by: User, **fields: Any) -> Customer:
    """Change a customer's own fields. The owner changes only through the pool services.

    Only the given fields are written: the row was read at the start of the request, and a
    claim, release or follow-up committed meanwhile must not be undone by this save.
    """
    if not set(fields) <= EDITABLE_FIELDS:
        raise ValueError(f"not editable here: {sorted(set(fields) - EDITABLE_FIELDS)}")
    # Lock and read the row again: the history row copies every field of the saved object, so
    # it must be today's row plus these changes, not the copy the request started with.
    fresh = Customer.objects.select_for_update().get(pk=customer.pk)
    for name, value in fields.items():
        setattr(fresh, name, value)
    fresh.full_clean()
    fresh._change_reason = f"edited by {by.username}"
    fresh.save(update_fields=[*fields, "updated_at"])
    completeness_refresh(fresh)
    customer.refresh_from_db()  # the caller's copy shows what was saved
    return customer


@transaction.atomic
def contact_save(*, contact: Contact, by: User) -> Contact:
    """Create or update a contact; a new primary contact takes over from the previous one."""
    contact.full_clean(validate_constraints=False)
    if contact.is_primary:
        Contact.objects.filter(customer=contact.customer, is_primary=True).exclude(
            pk=contact.pk
        ).update(is_primary=False)
    contact.save()
    completeness_refresh(contact.customer)
    return contact


@transaction.atomic
def contact_delete(*, contact: Contact, by: User) -> None:
    customer = contact.customer
    contact.delete()
    completeness_refresh(customer)


@transaction.atomic
def activity_log(
    *,
    customer: Customer,
    by: User,
    kind: str,
    outcome: str,
    summary: str,
    occurred_at: dt.datetime | None = None,
    contact: Contact | None = None,
    next_follow_up_on: dt.date | None = None,
) -> Activity:
    """Record a follow-up and move the customer's "last contacted" and "next follow-up" along.

    The newest activity sets the next follow-up date (blank clears it), so the follow-up list
    always shows what the latest conversation agreed. An activity backdated before the latest
    one leaves both alone.
    """
    activity = Activity(
        customer=customer,
        owner=by,
        kind=kind,
        outcome=outcome,
        summary=summary,
        occurred_at=occurred_at or timezone.now(),
        contact=contact,
        next_follow_up_on=next_follow_up_on,
    )
    activity.full_clean()
    activity.save()
    # Row lock: two activities logged at once must not leave the older one's dates behind.
    locked = (
        Customer.objects.select_for_update().only("pk", "last_contacted_at").get(pk=customer.pk)
    )
    if locked.last_contacted_at is None or activity.occurred_at >= locked.last_contacted_at:
        Customer.objects.filter(pk=customer.pk).update(
            last_contacted_at=activity.occurred_at, next_follow_up_on=next_follow_up_on
        )
        customer.last_contacted_at = activity.occurred_at
        customer.next_follow_up_on = next_follow_up_on
    return activity
