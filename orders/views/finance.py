"""Pages of receivables (schedules, payments, overdue list, ageing report) and expenses."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm.interchange.http import export_or_none
from crm.pagination import CappedPaginator
from crm.scopes import can_change, can_change_any, get_editable_or_404, get_visible_or_404
from orders import selectors, services
from orders.filters import OverdueFilter
from orders.forms import (
    DecisionForm,
    ExpenseForm,
    InstallmentFormSet,
    PaymentForm,
    default_installments,
)
from orders.models import Contract, Expense, Order, Receivable
from orders.permissions import managed_paths, may_decide_expense
from orders.services.finance import Installment

PAGE_SIZE = 50


# --- receivables ------------------------------------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def receivable_schedule(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """Installments for an order or a contract: rows of percent + due date (30 % on signing,
    70 % on delivery by default)."""
    model = Order if kind == "order" else Contract
    source = get_editable_or_404(model, request.user, pk=pk)
    formset = InstallmentFormSet(
        request.POST or None, prefix="installments", initial=default_installments()
    )
    if request.method == "POST" and formset.is_valid():
        installments = [
            Installment(percent=f.cleaned_data["percent"], due_date=f.cleaned_data["due_date"],
                        label=f.cleaned_data.get("label", ""))
            for f in formset.forms
            if f.cleaned_data
        ]  # fmt: skip
        try:
            services.receivables_schedule(
                by=request.user, installments=installments, **{kind: source}
            )
        except ValidationError as exc:
            formset._non_form_errors = formset.error_class(exc.messages)
        else:
            messages.success(request, _("Receivables created."))
            return redirect(source)
    total = source.total if kind == "order" else source.amount
    return render(
        request,
        "orders/receivable_schedule.html",
        {"formset": formset, "source": source, "kind": kind, "total": total},
    )


@login_required
@require_GET
def receivable_list(request: HttpRequest) -> HttpResponse:
    receivables = selectors.receivable_list(viewer=request.user, data=request.GET, request=request)
    if (response := export_or_none(request, "receivables", receivables.qs)) is not None:
        return response
    page = CappedPaginator(receivables.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "orders/receivable_list.html",
        {
            "filter": receivables,
            "page": page,
            "totals": page.paginator.totals(lambda: selectors.receivable_totals(receivables.qs)),
            "today": timezone.localdate(),
        },
    )


@login_required
@require_GET
def overdue_list(request: HttpRequest) -> HttpResponse:
    overdue = OverdueFilter(
        request.GET, queryset=selectors.overdue_list(viewer=request.user), request=request
    )
    page = CappedPaginator(overdue.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "orders/receivable_overdue.html",
        {
            "filter": overdue,
            "page": page,
            "totals": page.paginator.totals(lambda: selectors.receivable_totals(overdue.qs)),
            "today": timezone.localdate(),
        },
    )


@login_required
@require_GET
def ageing_report(request: HttpRequest) -> HttpResponse:
    by = "team" if request.GET.get("by") == "team" else "owner"
    report = selectors.ageing_report(viewer=request.user, by=by)
    return render(request, "orders/receivable_ageing.html", {"report": report})


@login_required
@require_GET
def payment_list(request: HttpRequest) -> HttpResponse:
    payments = selectors.payment_list(viewer=request.user, data=request.GET, request=request)
    if (response := export_or_none(request, "payments", payments.qs)) is not None:
        return response
    page = CappedPaginator(payments.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "orders/payment_list.html",
        {
            "filter": payments,
            "page": page,
            "totals": page.paginator.totals(lambda: selectors.payment_totals(payments.qs)),
        },
    )


def _receivable_page(request, receivable: Receivable, form: PaymentForm | None) -> HttpResponse:
    editable = can_change(request.user, receivable)
    if form is None and editable and receivable.status != Receivable.Status.PAID:
        form = PaymentForm(initial={"amount": receivable.outstanding})
    return render(
        request,
        "orders/receivable_detail.html",
        {
            "receivable": receivable,
            "payments": selectors.receivable_payments(receivable),
            "form": form if editable else None,
            "today": timezone.localdate(),
        },
    )


@login_required
@require_GET
def receivable_detail(request: HttpRequest, pk: int) -> HttpResponse:
    qs = Receivable.objects.select_related("customer", "owner", "order", "contract")
    return _receivable_page(request, get_visible_or_404(qs, request.user, pk=pk), None)


@login_required
@require_POST
def payment_create(request: HttpRequest, pk: int) -> HttpResponse:
    qs = Receivable.objects.select_related("customer", "owner", "order", "contract")
    receivable = get_editable_or_404(qs, request.user, pk=pk)
    form = PaymentForm(request.POST)
    if form.is_valid():
        try:
            services.payment_record(by=request.user, receivable=receivable, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items() if hasattr(exc, "error_dict") else []:
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
            if not hasattr(exc, "error_dict"):
                form.add_error(None, exc)
        else:
            messages.success(request, _("Payment recorded."))
            return redirect(receivable)
    return _receivable_page(request, receivable, form)


# --- expenses ---------------------------------------------------------------------------------
@login_required
@require_GET
def expense_list(request: HttpRequest) -> HttpResponse:
    expenses = selectors.expense_list(viewer=request.user, data=request.GET, request=request)
    if (response := export_or_none(request, "expenses", expenses.qs)) is not None:
        return response
    page = CappedPaginator(expenses.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    paths = managed_paths(request.user)
    rows = [
        {"expense": e, "can_decide": may_decide_expense(request.user, e, paths=paths)} for e in page
    ]
    return render(
        request,
        "orders/expense_list.html",
        {
            "filter": expenses,
            "page": page,
            "rows": rows,
            "totals": page.paginator.totals(lambda: selectors.expense_totals(expenses.qs)),
            "can_create": can_change_any(request.user),
            "decision_form": DecisionForm(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def expense_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    if pk is None:
        if not can_change_any(request.user):
            raise PermissionDenied
        expense = Expense(owner=request.user)
    else:
        expense = get_editable_or_404(Expense, request.user, pk=pk)
        if expense.status != Expense.Status.SUBMITTED:
            messages.error(request, _("Only an expense awaiting approval can be changed."))
            return redirect("orders:expense-list")
    form = ExpenseForm(request.POST or None, instance=expense)
    if request.method == "POST" and form.is_valid():
        fields = {k: form.cleaned_data[k] for k in ("spent_on", "category", "amount", "note")}
        try:
            if pk is None:
                services.expense_create(by=request.user, owner=request.user, **fields)
            else:
                services.expense_update(expense=expense, by=request.user, **fields)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Expense saved."))
            return redirect("orders:expense-list")
    return render(request, "orders/expense_form.html", {"form": form, "expense": expense})


@login_required
@require_POST
def expense_decide(request: HttpRequest, pk: int) -> HttpResponse:
    qs = Expense.objects.select_related("owner__team")
    expense = get_visible_or_404(qs, request.user, pk=pk)
    if not may_decide_expense(request.user, expense):
        raise PermissionDenied
    form = DecisionForm(request.POST)
    form.is_valid()
    approve = request.POST.get("decision") == "approve"
    try:
        services.expense_decide(
            expense=expense,
            by=request.user,
            approve=approve,
            comment=form.cleaned_data.get("comment", ""),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Expense approved.") if approve else _("Expense rejected."))
    # Only a path of this site: a crafted form must not send the manager elsewhere.
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "orders:expense-list"
    return redirect(target)
