"""Pages of contracts: list, create / edit, submit, approve / reject, sign, terminate, and the
PDF documents (generated, kept, downloaded within the data scope)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template import TemplateSyntaxError
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm.pagination import CappedPaginator
from crm.pdf import PdfError
from crm.scopes import can_change, can_change_any, get_editable_or_404, get_visible_or_404
from customers.models import Customer
from orders import selectors, services
from orders.forms import ContractForm, DecisionForm, SignForm
from orders.models import Contract, ContractDocument, Order
from orders.models.contracts import approval_threshold
from orders.permissions import may_decide_contract

PAGE_SIZE = 50


@login_required
@require_GET
def contract_list(request: HttpRequest) -> HttpResponse:
    contracts = selectors.contract_list(viewer=request.user, data=request.GET, request=request)
    page = CappedPaginator(contracts.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "orders/contract_list.html",
        {
            "filter": contracts,
            "page": page,
            "can_create": can_change_any(request.user),
            "threshold": approval_threshold(),
        },
    )


def _initial_for_create(request: HttpRequest) -> dict:
    initial: dict = {"owner": request.user}
    if (pk := request.GET.get("order", "")).isdigit():
        order = get_visible_or_404(Order.objects.select_related("customer"), request.user, pk=pk)
        initial.update(
            order_number=order.number,
            customer=order.customer,
            owner=order.owner,
            amount=order.total,
            title=_("Sales contract for order %(number)s") % {"number": order.number},
        )
    elif (pk := request.GET.get("opportunity", "")).isdigit():
        from opportunities.models import Opportunity

        opportunity = get_visible_or_404(Opportunity, request.user, pk=pk)
        initial.update(
            opportunity=opportunity,
            customer=opportunity.customer,
            owner=opportunity.owner,
            amount=opportunity.amount,
            title=opportunity.name,
        )
    elif (pk := request.GET.get("customer", "")).isdigit():
        initial["customer"] = get_visible_or_404(Customer, request.user, pk=pk)
    return initial


@login_required
@require_http_methods(["GET", "POST"])
def contract_create(request: HttpRequest) -> HttpResponse:
    if not can_change_any(request.user):
        raise PermissionDenied
    initial = _initial_for_create(request)
    form = ContractForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            contract = services.contract_create(
                by=request.user,
                customer=data["customer"],
                owner=data["owner"],
                order=data["order_number"],
                opportunity=initial.get("opportunity"),
                title=data["title"],
                amount=data["amount"],
                start_on=data["start_on"],
                end_on=data["end_on"],
                terms=data["terms"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request, _("Contract %(number)s created.") % {"number": contract.number}
            )
            return redirect(contract)
    return render(request, "orders/contract_form.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def contract_update(request: HttpRequest, pk: int) -> HttpResponse:
    contract = get_editable_or_404(Contract.objects.select_related("order"), request.user, pk=pk)
    if contract.status != Contract.Status.DRAFT:
        messages.error(request, _("Only a draft contract can be changed."))
        return redirect(contract)
    initial = {
        "customer": contract.customer,
        "owner": contract.owner,
        "order_number": contract.order.number if contract.order_id else "",
    }
    form = ContractForm(request.POST or None, instance=contract, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fields = {k: data[k] for k in ("title", "amount", "start_on", "end_on", "terms")}
        try:
            services.contract_update(
                contract=contract,
                by=request.user,
                customer=data["customer"],
                owner=data["owner"],
                order=data["order_number"],
                **fields,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect(contract)
    return render(request, "orders/contract_form.html", {"form": form, "contract": contract})


@login_required
@require_GET
def contract_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contract = selectors.contract_for_detail(viewer=request.user, pk=pk)
    editable = can_change(request.user, contract)
    return render(
        request,
        "orders/contract_detail.html",
        {
            "contract": contract,
            "can_edit": editable and contract.status == Contract.Status.DRAFT,
            "can_act": editable,
            "can_decide": may_decide_contract(request.user, contract),
            "approvals": contract.approvals.select_related("decided_by"),
            "documents": contract.documents.select_related("generated_by"),
            "receivables": contract.receivables.order_by("due_date", "id"),
            "threshold": approval_threshold(),
            "decision_form": DecisionForm(),
            "sign_form": SignForm(),
        },
    )


def _act(request: HttpRequest, contract: Contract, action, success: str) -> HttpResponse:
    try:
        action()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, success)
    return redirect(contract)


@login_required
@require_POST
def contract_submit(request: HttpRequest, pk: int) -> HttpResponse:
    contract = get_editable_or_404(Contract, request.user, pk=pk)
    return _act(
        request,
        contract,
        lambda: services.contract_submit(contract=contract, by=request.user),
        _("Contract submitted."),
    )


@login_required
@require_POST
def contract_decide(request: HttpRequest, pk: int) -> HttpResponse:
    contract = get_visible_or_404(Contract, request.user, pk=pk)
    if not may_decide_contract(request.user, contract):
        raise PermissionDenied
    form = DecisionForm(request.POST)
    form.is_valid()
    comment = form.cleaned_data.get("comment", "")
    if request.POST.get("decision") == "approve":
        action = lambda: services.contract_approve(  # noqa: E731
            contract=contract, by=request.user, comment=comment
        )
        return _act(request, contract, action, _("Contract approved."))
    action = lambda: services.contract_reject(  # noqa: E731
        contract=contract, by=request.user, comment=comment
    )
    return _act(request, contract, action, _("Contract rejected and returned to its owner."))


@login_required
@require_POST
def contract_sign(request: HttpRequest, pk: int) -> HttpResponse:
    contract = get_editable_or_404(Contract, request.user, pk=pk)
    form = SignForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the date of signature."))
        return redirect(contract)
    return _act(
        request,
        contract,
        lambda: services.contract_sign(
            contract=contract, by=request.user, signed_on=form.cleaned_data["signed_on"]
        ),
        _("Contract signed."),
    )


@login_required
@require_POST
def contract_terminate(request: HttpRequest, pk: int) -> HttpResponse:
    contract = get_editable_or_404(Contract, request.user, pk=pk)
    return _act(
        request,
        contract,
        lambda: services.contract_terminate(contract=contract, by=request.user),
        _("Contract terminated."),
    )


@login_required
@require_POST
def contract_document_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Generate a new PDF (whoever may change the contract; viewers download existing ones)."""
    contract = get_editable_or_404(Contract, request.user, pk=pk)
    try:
        document = services.contract_document_generate(contract=contract, by=request.user)
    except (ValidationError, PdfError, TemplateSyntaxError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect(contract)
    messages.success(request, _("Document generated."))
    return redirect("orders:contract-document", pk=document.pk)


@login_required
@require_GET
def contract_document(request: HttpRequest, pk: int) -> HttpResponse:
    """Download a generated PDF, if the user sees its contract (else 404)."""
    document = ContractDocument.objects.select_related("contract").filter(pk=pk).first()
    if document is None:
        raise Http404
    get_visible_or_404(Contract, request.user, pk=document.contract_id)
    try:
        handle = document.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    return FileResponse(
        handle,
        as_attachment=True,
        filename=document.file.name.rsplit("/", 1)[-1],
        content_type="application/pdf",
    )
