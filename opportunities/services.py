"""Writes of the opportunities app. Every stage move goes through `opportunity_move_stage`
(form, board, import), which locks the row and writes the StageChange.

Errors a user can cause (a lost stage without a reason, a stage of another pipeline...) are
ValidationErrors, shown by the forms; nothing is written when one is raised.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import User
from customers.models import Activity, Contact, Customer
from opportunities.models import LostReason, Opportunity, Pipeline, Stage, StageChange

# What the form may change directly; stage, status and closed_at move through the services.
EDITABLE_FIELDS = frozenset(
    {"name", "contact", "amount", "expected_close_on", "next_step", "description", "owner"}
)


class MoveNotAllowedError(ValidationError):
    """The move breaks a rule (e.g. lost without a reason); nothing was changed."""


def default_pipeline() -> Pipeline:
    pipeline = (
        Pipeline.objects.filter(is_active=True).order_by("-is_default", "order", "id").first()
    )
    if pipeline is None:
        raise ValidationError(_("No active pipeline: an administrator must create one first."))
    return pipeline


def first_open_stage(pipeline: Pipeline) -> Stage:
    stage = pipeline.stages.filter(kind=Stage.Kind.OPEN).order_by("order", "id").first()
    if stage is None:
        raise ValidationError(_("The pipeline %(name)s has no open stage.") % {"name": pipeline})
    return stage


def customer_opportunity_refresh(customer_ids: Iterable[int]) -> None:
    """Recompute Customer.last_opportunity_at and has_open_opportunities (one UPDATE)."""
    ids = list({pk for pk in customer_ids if pk})
    if not ids:
        return
    opps = Opportunity.objects.filter(customer=OuterRef("pk"))
    Customer.objects.filter(pk__in=ids).update(
        last_opportunity_at=Subquery(
            opps.order_by().values("customer").annotate(last=Max("created_at")).values("last")[:1]
        ),
        has_open_opportunities=Exists(opps.filter(status=Opportunity.Status.OPEN)),
    )


def _check_contact(contact: Contact | None, customer: Customer) -> None:
    if contact is not None and contact.customer_id != customer.pk:
        raise ValidationError({"contact": _("This contact belongs to another customer.")})


@transaction.atomic
def opportunity_create(
    *,
    by: User | None,
    customer: Customer,
    name: str,
    owner: User,
    stage: Stage | None = None,
    pipeline: Pipeline | None = None,
    lost_reason: LostReason | None = None,
    created_at: dt.datetime | None = None,
    **fields: Any,
) -> Opportunity:
    """Create an opportunity in `stage` (default: the first open stage of `pipeline`, itself the
    default pipeline when not given) and write its first StageChange (from nothing)."""
    if not set(fields) <= EDITABLE_FIELDS | {"source_lead", "code"}:
        raise ValueError(f"not settable here: {sorted(set(fields) - EDITABLE_FIELDS)}")
    if stage is None:
        stage = first_open_stage(pipeline or default_pipeline())
    now = created_at or timezone.now()
    opportunity = Opportunity(
        customer=customer,
        name=name,
        owner=owner,
        pipeline_id=stage.pipeline_id,
        stage=stage,
        status=stage.kind,
        stage_entered_at=now,
        created_at=now,
        created_by=by,
        **fields,
    )
    _check_contact(opportunity.contact, customer)
    if stage.kind == Stage.Kind.LOST:
        if lost_reason is None:
            raise MoveNotAllowedError({"lost_reason": _("Say why the opportunity was lost.")})
        opportunity.lost_reason = lost_reason
    if stage.kind != Stage.Kind.OPEN:
        opportunity.closed_at = now
    opportunity.full_clean(exclude=["code"] if not opportunity.code else None)
    opportunity.save()
    StageChange.objects.create(
        opportunity=opportunity, from_stage=None, to_stage=stage, changed_by=by, changed_at=now
    )
    customer_opportunity_refresh([customer.pk])
    return opportunity


def opportunity_from_lead(
    *,
    lead,
    customer: Customer,
    contact: Contact | None,
    by: User | None,
    name: str | None = None,
    amount: Decimal | None = None,
) -> Opportunity:
    """The opportunity of a converted lead: default pipeline, first open stage, owned by the
    lead's owner (or `by`), pointing back at the lead. Runs inside the caller's transaction."""
    # The lead's owner, like the customer the conversion makes: a manager converting a rep's lead
    # must not end up owning the deal on the rep's customer.
    owner = lead.owner or by
    if owner is None:
        raise ValidationError(_("The opportunity needs an owner."))
    fields: dict[str, Any] = {"contact": contact, "source_lead": lead}
    if amount is not None:
        fields["amount"] = amount
    return opportunity_create(
        by=by,
        customer=customer,
        name=(name or str(lead) or str(customer))[:200],
        owner=owner,
        **fields,
    )


@transaction.atomic
def opportunity_update(*, opportunity: Opportunity, by: User, **fields: Any) -> Opportunity:
    """Change the opportunity's own fields (not its stage: see opportunity_move_stage). Only the
    given fields are written, on a freshly locked copy, so a concurrent board move survives."""
    if not set(fields) <= EDITABLE_FIELDS:
        raise ValueError(f"not editable here: {sorted(set(fields) - EDITABLE_FIELDS)}")
    fresh = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
    for name, value in fields.items():
        setattr(fresh, name, value)
    _check_contact(fresh.contact, fresh.customer)
    fresh.full_clean()
    if fields:
        fresh.save(update_fields=[*fields, "updated_at"])
    opportunity.refresh_from_db()
    return opportunity


@transaction.atomic
def opportunity_move_stage(
    *,
    opportunity: Opportunity,
    to_stage: Stage,
    by: User | None,
    lost_reason: LostReason | None = None,
    lost_note: str = "",
    at: dt.datetime | None = None,
    same_pipeline: bool = False,
) -> StageChange | None:
    """Move the opportunity to `to_stage` and record the move. None when it was already there.

    - Won and lost close the opportunity (closed_at = now); moving back to an open stage reopens
      it (closed_at and the lost reason cleared).
    - Lost needs a reason from the admin list.
    - The stage may belong to another pipeline (the form may switch pipelines); the pipeline
      follows the stage. `same_pipeline=True` (the board) refuses that, checked under the lock: a
      drop on a board whose card was meanwhile moved to another pipeline must not pull it back.
    """
    locked = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
    # The time is read once the lock is held: a move that waited for another one comes after it.
    at = at or timezone.now()
    if locked.stage_id == to_stage.pk:
        return None
    if same_pipeline and locked.pipeline_id != to_stage.pipeline_id:
        raise MoveNotAllowedError(
            _("The opportunity has meanwhile moved to another pipeline: reload the page.")
        )
    if to_stage.kind == Stage.Kind.LOST and lost_reason is None:
        raise MoveNotAllowedError({"lost_reason": _("Say why the opportunity was lost.")})
    if lost_reason is not None and not lost_reason.is_active:
        raise MoveNotAllowedError({"lost_reason": _("This reason is no longer in use.")})
    if not to_stage.pipeline.is_active:
        raise MoveNotAllowedError(_("This pipeline is no longer in use."))
    seconds = max(0, int((at - locked.stage_entered_at).total_seconds()))
    change = StageChange.objects.create(
        opportunity=locked,
        from_stage_id=locked.stage_id,
        to_stage=to_stage,
        changed_by=by,
        changed_at=at,
        seconds_in_previous=seconds,
    )
    locked.stage = to_stage
    locked.pipeline_id = to_stage.pipeline_id
    locked.status = to_stage.kind
    locked.stage_entered_at = at
    if to_stage.kind == Stage.Kind.OPEN:
        locked.closed_at = None
        locked.lost_reason = None
        locked.lost_note = ""
    else:
        locked.closed_at = at
        locked.lost_reason = lost_reason if to_stage.kind == Stage.Kind.LOST else None
        locked.lost_note = lost_note[:255] if to_stage.kind == Stage.Kind.LOST else ""
    locked._change_reason = "stage moved"
    locked.save(
        update_fields=[
            "stage",
            "pipeline",
            "status",
            "stage_entered_at",
            "closed_at",
            "lost_reason",
            "lost_note",
            "updated_at",
        ]
    )
    customer_opportunity_refresh([locked.customer_id])
    if to_stage.kind != Stage.Kind.OPEN:
        _notify_closed(locked, change, by)
    # The caller's copy shows the new state.
    for field in ("stage", "pipeline_id", "status", "stage_entered_at", "closed_at"):
        setattr(opportunity, field, getattr(locked, field))
    opportunity.lost_reason = locked.lost_reason
    opportunity.lost_note = locked.lost_note
    return change


def _notify_closed(opportunity: Opportunity, change: StageChange, by: User | None) -> None:
    """A deal won or lost: its owner hears of it when someone else closed it, and the owner's
    team manager hears of every win. Idempotent per stage change."""
    from notifications.services import notify

    won = change.to_stage.kind == Stage.Kind.WON
    params = {"name": opportunity.name, "amount": f"{opportunity.amount:,.2f}"}
    title = _("Deal won: %(name)s (%(amount)s)") if won else _("Deal lost: %(name)s")
    recipients = {opportunity.owner_id} if by is None or by.pk != opportunity.owner_id else set()
    if won:
        manager_id = (
            User.objects.filter(pk=opportunity.owner_id)
            .values_list("team__manager_id", flat=True)
            .first()
        )
        if manager_id and (by is None or manager_id != by.pk):
            recipients.add(manager_id)
    for user in User.objects.filter(pk__in=recipients):
        notify(
            user,
            title=title,
            params=params,
            url=opportunity.get_absolute_url(),
            kind="opportunity_closed",
            key=f"opportunity-closed-{change.pk}",
        )


@transaction.atomic
def opportunity_activity_log(*, opportunity: Opportunity, by: User, **fields: Any) -> Activity:
    """A follow-up about this opportunity: logged on its customer (moving the customer's
    follow-up dates as any other) and linked to the opportunity."""
    from customers.services import activity_log

    activity = activity_log(customer=opportunity.customer, by=by, **fields)
    Activity.objects.filter(pk=activity.pk).update(opportunity=opportunity)
    activity.opportunity = opportunity
    return activity


@transaction.atomic
def quote_save(*, quote, lines: list[dict[str, Any]], by: User):
    """Create or update a quote and replace its lines (a line with a product and no price or
    description takes the product's list price and name)."""
    from opportunities.models import QuoteLine

    if quote.pk is None:
        quote.created_by = by
    else:
        # Two saves of one quote in parallel would each delete the old lines and both insert
        # theirs (the second DELETE does not see the first one's new rows): one at a time.
        list(type(quote).objects.select_for_update().filter(pk=quote.pk).values_list("pk"))
    quote.full_clean(exclude=["number"] if not quote.number else None)
    quote.save()
    rows = []
    for position, data in enumerate(lines):
        product = data.get("product")
        line = QuoteLine(
            quote=quote,
            position=position,
            product=product,
            description=data.get("description") or (product.name if product else ""),
            quantity=data["quantity"],
            unit=data.get("unit") or (product.unit if product else ""),
            unit_price=data["unit_price"]
            if data.get("unit_price") is not None
            else (product.list_price if product else Decimal("0.00")),
            discount_percent=data.get("discount_percent") or Decimal("0.00"),
        )
        line.full_clean(exclude=["quote"])
        rows.append(line)
    if not rows:
        raise ValidationError(_("A quote needs at least one line."))
    quote.lines.all().delete()
    QuoteLine.objects.bulk_create(rows)
    return quote


def _open_opportunities_of(from_user: User, by: User):
    return Opportunity.objects.editable_by(by).filter(
        owner=from_user, status=Opportunity.Status.OPEN
    )


def opportunities_handover(*, from_user: User, to_user: User, by: User, note: str = "") -> int:
    """A leaving rep's open opportunities go to `to_user` (a step of the customers app's rep
    hand-over, which holds the transaction and the user locks). Closed ones stay with whoever
    won or lost them: they are that person's results."""
    from simple_history.utils import bulk_update_with_history

    moving = list(_open_opportunities_of(from_user, by).select_for_update(of=("self",)))
    for opp in moving:
        opp.owner = to_user
    bulk_update_with_history(
        moving,
        Opportunity,
        ["owner"],
        batch_size=1000,
        default_user=by,
        default_change_reason=f"hand-over: {note}"[:100],
    )
    return len(moving)


def register_handover_step() -> None:
    from customers.pool import HANDOVER_STEPS, HandoverStep

    if any(
        getattr(step.run, "__name__", "") == "opportunities_handover" for step in HANDOVER_STEPS
    ):
        return
    HANDOVER_STEPS.append(
        HandoverStep(
            label=_("Open opportunities"),
            count=lambda from_user, by: _open_opportunities_of(from_user, by).count(),
            run=opportunities_handover,
        )
    )
