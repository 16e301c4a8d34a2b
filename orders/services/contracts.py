"""Writes of contracts: numbering, approval, signing, expiry and the PDF document."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.models import Team, User
from crm.templatetags.money import currency_symbol, format_money
from customers.models import Customer
from orders.models import (
    Contract,
    ContractApproval,
    ContractCounter,
    ContractDocument,
    ContractTemplate,
    Order,
)
from orders.models.contracts import number_pattern

logger = logging.getLogger(__name__)
S = Contract.Status


def _notify(user: User | None, **kwargs) -> None:
    """notifications.services.notify when the notifications app is installed; nothing else."""
    if user is None:
        return
    try:
        from notifications.services import notify
    except ImportError:  # pragma: no cover - the app lands separately
        return
    notify(user, **kwargs)


def contract_number_next(*, on: dt.date | None = None) -> str:
    """The next number from the pattern (setting CRM_CONTRACT_NUMBER_PATTERN, default
    "HT-{yyyy}-{seq:05d}"), the sequence restarting every year. Takes the year's counter row
    under SELECT ... FOR UPDATE, so concurrent contracts never share a number; call it inside
    the transaction that saves the contract (a rollback then gives the number back)."""
    on = on or timezone.localdate()
    ContractCounter.objects.get_or_create(year=on.year)
    counter = ContractCounter.objects.select_for_update().get(year=on.year)
    counter.last += 1
    counter.save(update_fields=["last"])
    pattern = number_pattern()
    try:
        return pattern.format(
            yyyy=on.year, yy=f"{on.year % 100:02d}", mm=f"{on.month:02d}", seq=counter.last
        )
    except (KeyError, IndexError, ValueError) as exc:
        raise ImproperlyConfigured(
            f"CRM_CONTRACT_NUMBER_PATTERN {pattern!r} is not valid: use {{yyyy}}, {{yy}}, {{mm}} "
            f"and {{seq}} (e.g. {{seq:05d}})"
        ) from exc


def find_approver(owner: User, *, exclude_ids: tuple = ()) -> User | None:
    """The manager of the owner's team; if the owner manages it (or it has none, or the manager
    wrote or submitted the contract: `exclude_ids`), the manager of the team above, and so on up
    the tree. None when nobody is above them."""
    team = Team.objects.select_related("manager").filter(pk=owner.team_id).first()
    while team is not None:
        manager = team.manager
        if (
            manager is not None
            and manager.pk != owner.pk
            and manager.pk not in exclude_ids
            and manager.is_active
        ):
            return manager
        team = (
            Team.objects.select_related("manager").filter(pk=team.parent_id).first()
            if team.parent_id
            else None
        )
    return None


EDITABLE = ("title", "amount", "start_on", "end_on", "terms", "customer", "owner", "order")


def _validate(contract: Contract) -> None:
    if contract.start_on and contract.end_on and contract.end_on < contract.start_on:
        raise ValidationError({"end_on": _("The end cannot be before the start.")})
    if contract.order_id and contract.order.customer_id != contract.customer_id:
        raise ValidationError({"order": _("The order is for another customer.")})
    contract.full_clean(exclude=["number", "opportunity", "approver"])


@transaction.atomic
def contract_create(
    *,
    by: User | None,
    customer: Customer,
    owner: User,
    title: str,
    amount: Decimal,
    order: Order | None = None,
    opportunity=None,
    start_on: dt.date | None = None,
    end_on: dt.date | None = None,
    terms: str = "",
    number: str = "",
) -> Contract:
    contract = Contract(
        customer=customer,
        owner=owner,
        title=title,
        amount=amount,
        order=order,
        # A contract for an order won from an opportunity belongs to that opportunity too.
        opportunity=opportunity or (order.opportunity if order is not None else None),
        start_on=start_on,
        end_on=end_on,
        terms=terms,
        created_by=by,
        number="-",
    )
    _validate(contract)
    contract.number = number or contract_number_next()
    contract.save()
    return contract


@transaction.atomic
def contract_update(*, contract: Contract, by: User | None, **fields) -> Contract:
    """Edit a draft (a contract submitted or approved is what the manager saw: it is frozen)."""
    locked = Contract.objects.select_for_update().get(pk=contract.pk)
    if locked.status != S.DRAFT:
        raise ValidationError(_("Only a draft contract can be changed."))
    for name, value in fields.items():
        if name not in EDITABLE:
            raise TypeError(f"contract_update cannot change {name!r}")
        setattr(locked, name, value)
    _validate(locked)
    locked.save()
    return locked


def _lock(contract: Contract, *expected: str) -> Contract:
    locked = Contract.objects.select_for_update().get(pk=contract.pk)
    if locked.status not in expected:
        raise ValidationError(
            _("Not possible while the contract is “%(status)s”.")
            % {"status": locked.get_status_display()}
        )
    return locked


@transaction.atomic
def contract_submit(*, contract: Contract, by: User | None) -> Contract:
    """Draft > pending approval, the approver found up the owner's team tree and notified. A
    contract at or below the threshold needs no approval: it is approved at once."""
    locked = _lock(contract, S.DRAFT)
    if not locked.needs_approval:
        locked.status = S.APPROVED
        locked.save(update_fields=["status", "updated_at"])
        return locked
    # Four eyes: whoever wrote or submitted the contract does not approve it.
    locked.approver = find_approver(
        locked.owner, exclude_ids=(locked.created_by_id, getattr(by, "pk", None))
    )
    locked.status = S.PENDING
    locked.save(update_fields=["status", "approver", "updated_at"])
    _notify(
        locked.approver,
        title=gettext_lazy("Contract %(number)s awaits your approval"),
        body=gettext_lazy("%(title)s, %(amount)s, submitted by %(owner)s."),
        params={
            "number": locked.number,
            "title": locked.title,
            "amount": format_money(locked.amount),
            "owner": str(locked.owner),
        },
        url=reverse("orders:contract-detail", args=[locked.pk]),
        kind="contract_approval",
        key=f"contract-approval-{locked.pk}-{locked.approvals.count()}",
        email=True,
    )
    return locked


def _check_decider(locked: Contract, by: User) -> None:
    """Checked again under the row lock: the approver named at submission (or an
    administrator), never the owner (a contract resubmitted meanwhile may have another)."""
    from orders.permissions import may_decide_contract

    if not may_decide_contract(by, locked):
        raise PermissionDenied


@transaction.atomic
def contract_approve(*, contract: Contract, by: User, comment: str = "") -> Contract:
    locked = _lock(contract, S.PENDING)
    _check_decider(locked, by)
    ContractApproval.objects.create(
        contract=locked,
        decided_by=by,
        decision=ContractApproval.Decision.APPROVED,
        comment=comment,
    )
    locked.status = S.APPROVED
    locked.save(update_fields=["status", "updated_at"])
    _decision_notify(locked, approved=True, by=by)
    return locked


@transaction.atomic
def contract_reject(*, contract: Contract, by: User, comment: str) -> Contract:
    """Back to draft with the manager's reason; the owner may change it and submit again."""
    if not comment.strip():
        raise ValidationError({"comment": _("Say why the contract is rejected.")})
    locked = _lock(contract, S.PENDING)
    _check_decider(locked, by)
    ContractApproval.objects.create(
        contract=locked,
        decided_by=by,
        decision=ContractApproval.Decision.REJECTED,
        comment=comment,
    )
    locked.status = S.DRAFT
    locked.save(update_fields=["status", "updated_at"])
    _decision_notify(locked, approved=False, by=by)
    return locked


def _decision_notify(contract: Contract, *, approved: bool, by: User) -> None:
    title = (
        gettext_lazy("Contract %(number)s approved")
        if approved
        else gettext_lazy("Contract %(number)s rejected")
    )
    _notify(
        contract.owner,
        title=title,
        body=gettext_lazy("Decided by %(by)s."),
        params={"number": contract.number, "by": str(by)},
        url=reverse("orders:contract-detail", args=[contract.pk]),
        kind="contract_decision",
    )


@transaction.atomic
def contract_sign(*, contract: Contract, by: User | None, signed_on: dt.date) -> Contract:
    """Record the signature. A contract above the threshold must have been approved first."""
    locked = _lock(contract, S.DRAFT, S.APPROVED)
    if locked.status == S.DRAFT and locked.needs_approval:
        raise ValidationError(_("This contract needs its manager's approval before signing."))
    locked.status = S.SIGNED
    locked.signed_on = signed_on
    locked.save(update_fields=["status", "signed_on", "updated_at"])
    return locked


@transaction.atomic
def contract_terminate(*, contract: Contract, by: User | None) -> Contract:
    locked = _lock(contract, S.SIGNED)
    locked.status = S.TERMINATED
    locked.save(update_fields=["status", "updated_at"])
    return locked


def contracts_expire(*, today: dt.date | None = None) -> int:
    """Signed contracts whose end date has passed become expired (one UPDATE, idempotent)."""
    today = today or timezone.localdate()
    return Contract.objects.filter(status=S.SIGNED, end_on__lt=today).update(
        status=S.EXPIRED, updated_at=timezone.now()
    )


def default_template() -> ContractTemplate:
    template = ContractTemplate.objects.order_by("-is_default", "name").first()
    if template is None:
        raise ValidationError(_("No contract template: an administrator must create one."))
    return template


def contract_document_generate(
    *, contract: Contract, by: User | None, template: ContractTemplate | None = None
) -> ContractDocument:
    """Render the contract with its template to PDF and keep the file (each generation is kept:
    the document sent to the customer stays on file even after a later edit)."""
    from crm.pdf import render_pdf_from_string

    template = template or default_template()
    contract = Contract.objects.select_related("customer", "owner", "order").get(pk=contract.pk)
    lines = list(contract.order.lines.select_related("product")) if contract.order_id else []
    context = {
        "contract": contract,
        "customer": contract.customer,
        "owner": contract.owner,
        "order": contract.order,
        "lines": lines,
        "currency": currency_symbol(),
        "today": timezone.localdate(),
    }
    pdf = render_pdf_from_string(template.source, context)
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    document = ContractDocument(contract=contract, template=template, generated_by=by)
    document.file.save(
        get_valid_filename(f"{contract.number}-{stamp}.pdf"), ContentFile(pdf), save=False
    )
    document.save()
    return document
