"""Ticket pages: the service lists (queue, mine, overdue, all), open a ticket, the ticket page
with its step buttons, assign, comment, edit. Care pages: service/views_care.py."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm.interchange.http import export_or_none
from crm.pagination import CappedPaginator
from crm.scopes import get_visible_or_404
from customers.models import Customer
from service import selectors, services
from service.forms import (
    TicketAssignForm,
    TicketCommentForm,
    TicketEditForm,
    TicketFilterForm,
    TicketForm,
    TicketMoveForm,
)
from service.models import FlowStep
from service.permissions import (
    can_manage_care,
    can_open_tickets,
    can_work_ticket,
    is_service_staff,
)

PAGE_SIZE = 50


@login_required
@require_GET
def ticket_list(request: HttpRequest) -> HttpResponse:
    view = request.GET.get("view", "")
    if view not in selectors.VIEWS:
        # Service staff land on the queue; everyone else on the tickets they can see.
        view = "queue" if is_service_staff(request.user) else "all"
    filters = TicketFilterForm(request.GET or None)
    data = filters.cleaned_data if filters.is_valid() else {}
    tickets = selectors.ticket_list(
        viewer=request.user,
        view=view,
        status=data.get("status", ""),
        type=data.get("type", ""),
        priority=data.get("priority", ""),
        search=data.get("q", ""),
    )
    if (response := export_or_none(request, "tickets", tickets)) is not None:
        return response
    page = CappedPaginator(tickets, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("export", None)
    return render(
        request,
        "service/ticket_list.html",
        {
            "view": view,
            "page": page,
            "filters": filters,
            "counts": selectors.ticket_counts(viewer=request.user),
            "can_open": can_open_tickets(request.user),
            "can_manage_care": can_manage_care(request.user),
            "query": query.urlencode(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def ticket_create(request: HttpRequest) -> HttpResponse:
    if not can_open_tickets(request.user):
        raise PermissionDenied
    customer = None
    if (customer_pk := request.GET.get("customer", "")).isdigit():
        customer = get_visible_or_404(Customer, request.user, pk=int(customer_pk))
    form = TicketForm(request.POST or None, user=request.user, customer=customer)
    if request.method == "POST" and form.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if k != "customer_code"}
        try:
            ticket = services.ticket_open(customer=form.customer, by=request.user, **fields)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Ticket %(number)s opened.") % {"number": ticket.number})
            return redirect(ticket)
    return render(request, "service/ticket_form.html", {"form": form, "customer": customer})


def _detail_context(request: HttpRequest, ticket, **forms) -> dict:
    can_work = can_work_ticket(request.user, ticket)
    steps = list(ticket.flow.steps.order_by("position"))
    moves = services.allowed_moves(ticket, steps) if can_work else []
    return {
        "ticket": ticket,
        "steps": steps,
        "moves": [
            {"step": step, "forward": step.position > ticket.step.position} for step in moves
        ],
        "events": selectors.ticket_events(ticket=ticket),
        "can_work": can_work,
        "can_assign": can_work and is_service_staff(request.user),
        "move_form": forms.get("move_form") or TicketMoveForm(),
        "assign_form": forms.get("assign_form")
        or TicketAssignForm(initial={"assignee": ticket.assignee_id}),
        "comment_form": forms.get("comment_form") or TicketCommentForm(),
    }


@login_required
@require_GET
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = selectors.ticket_for_detail(viewer=request.user, pk=pk)
    return render(request, "service/ticket_detail.html", _detail_context(request, ticket))


def _workable(request: HttpRequest, pk: int):
    ticket = selectors.ticket_for_detail(viewer=request.user, pk=pk)
    if not can_work_ticket(request.user, ticket):
        raise PermissionDenied
    return ticket


@login_required
@require_POST
def ticket_move(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _workable(request, pk)
    form = TicketMoveForm(request.POST)
    if form.is_valid():
        to_step = FlowStep.objects.filter(
            flow=ticket.flow_id, pk=form.cleaned_data["to_step"]
        ).first()
        if to_step is None:
            form.add_error(None, _("Unknown step."))
        else:
            try:
                services.ticket_move(
                    ticket=ticket,
                    to_step=to_step,
                    by=request.user,
                    note=form.cleaned_data["note"],
                    resolution=form.cleaned_data["resolution"],
                    satisfaction=form.cleaned_data["satisfaction"],
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("Ticket moved to “%(step)s”.") % {"step": to_step})
                return redirect(ticket)
    return render(
        request,
        "service/ticket_detail.html",
        _detail_context(request, ticket, move_form=form),
        status=400,
    )


def _add_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@login_required
@require_POST
def ticket_assign(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _workable(request, pk)
    if request.POST.get("take") == "1":
        if not is_service_staff(request.user):
            raise PermissionDenied
        assignee = request.user
    else:
        if not is_service_staff(request.user):
            raise PermissionDenied  # reps follow their customers' tickets; service assigns
        form = TicketAssignForm(request.POST)
        if not form.is_valid():
            return render(
                request,
                "service/ticket_detail.html",
                _detail_context(request, ticket, assign_form=form),
                status=400,
            )
        assignee = form.cleaned_data["assignee"]
    services.ticket_assign(ticket=ticket, assignee=assignee, by=request.user)
    messages.success(request, _("Assignee saved."))
    return redirect(ticket)


@login_required
@require_POST
def ticket_comment(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _workable(request, pk)
    form = TicketCommentForm(request.POST)
    if form.is_valid():
        services.ticket_comment(ticket=ticket, by=request.user, note=form.cleaned_data["note"])
        return redirect(ticket)
    return render(
        request,
        "service/ticket_detail.html",
        _detail_context(request, ticket, comment_form=form),
        status=400,
    )


@login_required
@require_http_methods(["GET", "POST"])
def ticket_update(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _workable(request, pk)
    form = TicketEditForm(request.POST or None, instance=ticket)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            services.ticket_update(ticket=ticket, by=request.user, **fields)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect(ticket)
    return render(request, "service/ticket_edit.html", {"form": form, "ticket": ticket})
