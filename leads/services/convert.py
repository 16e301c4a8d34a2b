"""Convert a lead: customer + contact (+ opportunity) in one transaction, or merge into an
existing customer."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import User
from customers import services as customer_services
from customers.models import Activity, Contact, Customer, OwnershipChange
from leads.models import AssignmentLog, Lead
from leads.services.core import LeadError, _log_owner


def opportunity_service():
    """opportunities.services.opportunity_from_lead once that app provides it, else None."""
    try:
        from opportunities import services as opportunity_services
    except ImportError:
        return None
    return getattr(opportunity_services, "opportunity_from_lead", None)


def customer_fields_from(lead: Lead) -> dict[str, Any]:
    """What a new customer starts with, read off the lead."""
    is_company = bool(lead.company.strip())
    source = lead.source if lead.source in Customer.Source.values else Customer.Source.LEAD
    return {
        "name": (lead.company if is_company else lead.name).strip(),
        "kind": Customer.Kind.COMPANY if is_company else Customer.Kind.PERSON,
        "industry": lead.industry,
        "source": source,
        "region": lead.region,
        "phone": lead.phone,
        "email": lead.email,
        "notes": lead.notes,
    }


@transaction.atomic
def lead_convert(
    *,
    lead: Lead,
    by: User,
    merge_into: Customer | None = None,
    customer_fields: dict[str, Any] | None = None,
    create_opportunity: bool = False,
    opportunity_name: str | None = None,
    opportunity_amount=None,
) -> Lead:
    """Make the lead a customer (or a contact of an existing customer with `merge_into`) plus a
    contact, and optionally an opportunity, in one transaction. The lead's activities move to
    the customer's timeline."""
    locked = Lead.objects.select_for_update().get(pk=lead.pk)
    if not locked.is_open:
        raise LeadError(_("Only an open lead can be converted."), code="closed")
    owner = locked.owner or by
    if merge_into is not None:
        customer = Customer.objects.editable_by(by).filter(pk=merge_into.pk).first()
        if customer is None:
            raise LeadError(_("You may not change that customer."), code="merge")
    else:
        fields = {**customer_fields_from(locked), **(customer_fields or {})}
        customer = Customer(created_by=by, **fields)
        try:
            customer.full_clean(exclude=["code"])
        except ValidationError as exc:
            raise LeadError(" ".join(exc.messages), code="customer") from exc
        customer.save()
        customer_services.ownership_change_record(
            customer=customer,
            to_user=owner,
            reason=OwnershipChange.Reason.LEAD_CONVERTED,
            by=by,
            note=_("From lead %(lead)s") % {"lead": locked.name},
            at=customer.created_at,
        )
    contact = _contact_for(customer, locked)
    if contact is None:
        contact = Contact(
            customer=customer,
            name=locked.name,
            title=locked.title,
            phone=locked.phone,
            email=locked.email,
            is_primary=not customer.contacts.filter(is_primary=True).exists(),
        )
        customer_services.contact_save(contact=contact, by=by)
    else:
        customer_services.completeness_refresh(customer)

    # The lead's history follows it to the customer.
    Activity.objects.filter(lead=locked, customer__isnull=True).update(customer=customer)
    latest = Activity.objects.filter(customer=customer).aggregate(at=Max("occurred_at"))["at"]
    if latest and (customer.last_contacted_at is None or latest > customer.last_contacted_at):
        Customer.objects.filter(pk=customer.pk).update(last_contacted_at=latest)

    now = timezone.now()
    locked.status = Lead.Status.CONVERTED
    locked.converted_customer = customer
    locked.converted_contact = contact
    locked.converted_at = now
    locked.sla_due_at = None
    if locked.owner_id is None:
        _log_owner(locked, to_user=by, reason=AssignmentLog.Reason.CONVERTED, by=by)
        locked.owner = by
        locked.assigned_at = now
    locked._change_reason = f"converted by {by.username}"
    locked.save()
    if create_opportunity:
        make = opportunity_service()
        if make is None:
            raise LeadError(_("Opportunities are not available yet."), code="opportunity")
        try:
            make(
                lead=locked,
                customer=customer,
                contact=contact,
                by=by,
                name=opportunity_name or None,
                amount=opportunity_amount,
            )
        except ValidationError as exc:  # rolls the whole conversion back
            raise LeadError(" ".join(exc.messages), code="opportunity") from exc
    lead.refresh_from_db()
    return lead


def _contact_for(customer: Customer, lead: Lead) -> Contact | None:
    """The customer's existing contact for this person (same phone or email), if any."""
    if not (lead.phone or lead.email):
        return None
    qs = customer.contacts.all()
    if lead.phone and (match := qs.filter(phone=lead.phone).first()):
        return match
    if lead.email:
        return qs.filter(email__iexact=lead.email).first()
    return None
