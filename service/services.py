"""Writes on tickets: open, assign, move through the flow, comment, edit. One transaction each;
the ticket row is locked so two people moving one ticket at once cannot skip a step."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.models import User
from customers.models import Contact, Customer
from notifications.services import notify
from service.models import FlowStep, ServiceFlow, ServiceSettings, Ticket, TicketEvent


def default_flow(customer: Customer) -> ServiceFlow:
    kind = ServiceFlow.kind_for_customer(customer)
    flow = (
        ServiceFlow.objects.filter(kind=kind, is_active=True).order_by("-is_default", "pk").first()
    )
    if flow is None:
        raise ValidationError(_("No active service flow for this kind of customer."))
    return flow


def allowed_moves(ticket: Ticket, steps: list[FlowStep]) -> list[FlowStep]:
    """Where the ticket may go from its step: the next step, or one step back (send back, or
    reopen a closed ticket)."""
    index = next((i for i, s in enumerate(steps) if s.pk == ticket.step_id), None)
    if index is None:
        return []
    moves = []
    if index + 1 < len(steps):
        moves.append(steps[index + 1])
    if index > 0:
        moves.append(steps[index - 1])
    return moves


@transaction.atomic
def ticket_open(
    *,
    customer: Customer,
    by: User | None,
    summary: str,
    type: str = Ticket.Type.INQUIRY,
    channel: str = Ticket.Channel.PHONE,
    description: str = "",
    contact: Contact | None = None,
    priority: str = Ticket.Priority.NORMAL,
    assignee: User | None = None,
    opened_at: dt.datetime | None = None,
    flow: ServiceFlow | None = None,
) -> Ticket:
    if contact is not None and contact.customer_id != customer.pk:
        raise ValidationError({"contact": _("This contact belongs to another customer.")})
    flow = flow or default_flow(customer)
    first = flow.steps.order_by("position").first()
    if first is None:
        raise ValidationError(_("The service flow %(flow)s has no steps.") % {"flow": flow})
    opened_at = opened_at or timezone.now()
    ticket = Ticket(
        customer=customer,
        contact=contact,
        type=type,
        channel=channel,
        summary=summary,
        description=description,
        flow=flow,
        step=first,
        priority=priority,
        assignee=assignee,
        customer_owner_id=customer.owner_id,
        opened_at=opened_at,
        due_at=ServiceSettings.current().due_at(priority, opened_at),
        created_by=by,
    )
    ticket.full_clean()
    ticket.save()
    TicketEvent.objects.create(
        ticket=ticket, kind=TicketEvent.Kind.OPENED, to_step=first, by=by, at=opened_at
    )
    if assignee is not None:
        TicketEvent.objects.create(
            ticket=ticket, kind=TicketEvent.Kind.ASSIGNED, assignee=assignee, by=by
        )
        _notify_assignee(ticket, assignee, by)
    if (
        type == Ticket.Type.COMPLAINT
        and customer.owner_id
        and customer.owner_id != getattr(by, "pk", None)
    ):
        # The owner hears of a complaint about their customer from the CRM, not from the boss.
        notify(
            customer.owner,
            title=gettext_lazy("Complaint from %(customer)s"),
            body="%(summary)s",
            params={"customer": customer.name, "summary": summary},
            url=ticket.get_absolute_url(),
            kind="service.complaint",
            key=f"service.complaint:{ticket.pk}",
        )
    return ticket


def _notify_assignee(ticket: Ticket, assignee: User, by: User | None) -> None:
    if by is not None and assignee.pk == by.pk:
        return
    notify(
        assignee,
        title=gettext_lazy("Ticket %(number)s assigned to you"),
        body=gettext_lazy("%(customer)s: %(summary)s"),
        params={
            "number": ticket.number,
            "customer": ticket.customer.name,
            "summary": ticket.summary,
        },
        url=ticket.get_absolute_url(),
        kind="service.ticket_assigned",
        key=f"service.assigned:{ticket.pk}:{assignee.pk}:{timezone.now():%Y%m%d%H%M%S}",
    )


def _locked(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update().select_related("step", "customer").get(pk=ticket.pk)


@transaction.atomic
def ticket_assign(*, ticket: Ticket, assignee: User | None, by: User) -> Ticket:
    locked = _locked(ticket)
    if locked.assignee_id == getattr(assignee, "pk", None):
        return locked
    locked.assignee = assignee
    locked.save(update_fields=["assignee"])
    TicketEvent.objects.create(
        ticket=locked, kind=TicketEvent.Kind.ASSIGNED, assignee=assignee, by=by
    )
    if assignee is not None:
        _notify_assignee(locked, assignee, by)
    return locked


@transaction.atomic
def ticket_move(
    *,
    ticket: Ticket,
    to_step: FlowStep,
    by: User,
    note: str = "",
    resolution: str = "",
    satisfaction: int | None = None,
) -> Ticket:
    """Move the ticket to the next step or one step back; a final step closes it, leaving a
    final step reopens it."""
    locked = _locked(ticket)
    steps = list(locked.flow.steps.order_by("position"))
    if to_step not in allowed_moves(locked, steps):
        raise ValidationError(
            _("A ticket at “%(step)s” cannot move to “%(to)s”.")
            % {"step": locked.step.name, "to": to_step.name}
        )
    forward = to_step.position > locked.step.position
    errors = {}
    if forward and to_step.needs_assignee and locked.assignee_id is None:
        errors["assignee"] = _("Assign the ticket to someone first.")
    if resolution.strip():
        locked.resolution = resolution.strip()
    if forward and to_step.needs_resolution and not locked.resolution:
        errors["resolution"] = _("Describe how the issue was resolved.")
    if satisfaction is not None:
        if not 1 <= satisfaction <= 5:
            errors["satisfaction"] = _("Satisfaction is a score from 1 to 5.")
        locked.satisfaction = satisfaction
    if forward and to_step.needs_customer_confirmation and locked.satisfaction is None:
        errors["satisfaction"] = _("Record the customer's satisfaction (1 to 5).")
    if errors:
        raise ValidationError(errors)
    from_step = locked.step
    locked.step = to_step
    kind = TicketEvent.Kind.MOVED
    if to_step.is_final:
        locked.closed_at = timezone.now()
    elif locked.closed_at is not None:
        locked.closed_at = None
        kind = TicketEvent.Kind.REOPENED
    locked.save(update_fields=["step", "closed_at", "resolution", "satisfaction"])
    TicketEvent.objects.create(
        ticket=locked, kind=kind, from_step=from_step, to_step=to_step, note=note, by=by
    )
    return locked


@transaction.atomic
def ticket_comment(*, ticket: Ticket, by: User, note: str) -> TicketEvent:
    note = note.strip()
    if not note:
        raise ValidationError({"note": _("Write a comment.")})
    return TicketEvent.objects.create(
        ticket=ticket, kind=TicketEvent.Kind.COMMENT, note=note, by=by
    )


TICKET_EDITABLE = ("type", "channel", "summary", "description", "contact", "priority")


@transaction.atomic
def ticket_update(*, ticket: Ticket, by: User, **fields) -> Ticket:
    """Change what the ticket is about; a new priority moves the due time (from the opening)."""
    locked = _locked(ticket)
    unknown = set(fields) - set(TICKET_EDITABLE)
    if unknown:
        raise ValueError(f"Not editable: {', '.join(sorted(unknown))}")
    changed = [name for name, value in fields.items() if getattr(locked, name) != value]
    if not changed:
        return locked
    for name in changed:
        setattr(locked, name, fields[name])
    if locked.contact_id and locked.contact.customer_id != locked.customer_id:
        raise ValidationError({"contact": _("This contact belongs to another customer.")})
    update = list(changed)
    if "priority" in changed:
        locked.due_at = ServiceSettings.current().due_at(locked.priority, locked.opened_at)
        update.append("due_at")
    locked.full_clean()
    locked.save(update_fields=update)
    labels = ", ".join(str(Ticket._meta.get_field(n).verbose_name) for n in changed)
    TicketEvent.objects.create(ticket=locked, kind=TicketEvent.Kind.CHANGED, note=labels, by=by)
    return locked


@transaction.atomic
def care_rule_save(*, rule, by: User):
    """Save a care rule (validated; its history records who changed it)."""
    rule.full_clean()
    rule._history_user = by
    rule.save()
    return rule


@transaction.atomic
def flow_save(*, form, formset, by: User) -> ServiceFlow:
    """Save a flow and its steps from the flow page (forms already valid). A default flow
    takes over from the kind's previous default; steps may swap positions."""
    flow = form.save(commit=False)
    if flow.is_default:
        ServiceFlow.objects.filter(kind=flow.kind, is_default=True).exclude(pk=flow.pk).update(
            is_default=False
        )
    flow._history_user = by
    flow.save()
    formset.instance = flow
    # Move the changed steps out of the way first: (flow, position) is unique, and 2 <-> 3 is a
    # legitimate edit.
    moving = [
        f.instance.pk
        for f in formset.forms
        if f.instance.pk and ("position" in f.changed_data or f.cleaned_data.get("DELETE"))
    ]
    if moving:
        FlowStep.objects.filter(pk__in=moving).update(position=F("position") + 10000)
    formset.save(commit=False)
    for step in formset.deleted_objects:
        step.delete()
    for f in formset.forms:
        if f in formset.deleted_forms or not f.cleaned_data or not f.cleaned_data.get("name"):
            continue
        if f.instance.pk and not f.has_changed():
            continue
        step = f.instance
        step.flow = flow
        step._history_user = by
        step.save()
    return flow
