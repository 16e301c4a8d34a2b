"""Pages for reps: the opportunity list, detail (stage history, activities, quotes), create /
edit, stage moves (form and board). Board: views_board.py; reports: views_reports.py; pipeline
settings: views_settings.py; quotes: views_quotes.py."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm.htmx import is_htmx
from crm.interchange.http import export_or_none
from crm.pagination import CappedPaginator
from crm.scopes import can_change, can_change_any, get_editable_or_404, get_visible_or_404
from customers.models import Activity, Customer
from opportunities import selectors, services
from opportunities.forms import MoveForm, OpportunityActivityForm, OpportunityForm
from opportunities.models import Opportunity

PAGE_SIZE = 50


def order_create_url(opportunity: Opportunity) -> str | None:
    """The orders app's "new order from this opportunity" page, when that app provides it."""
    try:
        return f"{reverse('orders:order-create')}?opportunity={opportunity.pk}"
    except NoReverseMatch:
        return None


def _without(query, *names: str) -> str:
    query = query.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


@login_required
@require_GET
def opportunity_list(request: HttpRequest) -> HttpResponse:
    opportunities = selectors.opportunity_list(
        viewer=request.user, data=request.GET, request=request
    )
    if (response := export_or_none(request, "opportunities", opportunities.qs)) is not None:
        return response
    page = CappedPaginator(opportunities.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "opportunities/opportunity_list.html",
        {
            "filter": opportunities,
            "page": page,
            "totals": selectors.list_totals(opportunities.qs),
            "can_create": can_change_any(request.user),
            "pipelines": selectors.pipelines_active(),
            "export_query": _without(request.GET, "page", "export"),
        },
    )


@login_required
@require_GET
def opportunity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    opportunity = selectors.opportunity_for_detail(viewer=request.user, pk=pk)
    editable = can_change(request.user, opportunity)
    customer_editable = editable and can_change(request.user, opportunity.customer)
    context = {
        "opportunity": opportunity,
        "can_edit": editable,
        "history": selectors.stage_history(opportunity),
        "stages": list(opportunity.pipeline.stages.order_by("order", "id")),
        "move_form": MoveForm(opportunity=opportunity) if editable else None,
        "activities": Activity.objects.filter(opportunity=opportunity)
        .select_related("owner", "contact")
        .order_by("-occurred_at", "-id")[:50],
        "activity_form": OpportunityActivityForm(customer=opportunity.customer)
        if customer_editable
        else None,
        "order_url": (
            order_create_url(opportunity) if opportunity.stage.is_won and editable else None
        ),
        "quotes": opportunity.quotes.order_by("-created_at", "-id"),
        "quote_create_url": reverse("opportunities:quote-create", args=[opportunity.pk]),
    }
    return render(request, "opportunities/opportunity_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def opportunity_create(request: HttpRequest) -> HttpResponse:
    if not can_change_any(request.user):
        raise PermissionDenied
    customer = None
    if (customer_pk := request.GET.get("customer", "")).isdigit():
        customer = get_editable_or_404(Customer, request.user, pk=int(customer_pk))
    form = OpportunityForm(
        request.POST or None,
        user=request.user,
        customer=customer,
        customer_search=request.GET.get("customer_q", ""),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            opportunity = services.opportunity_create(
                by=request.user,
                customer=data["customer"],
                name=data["name"],
                owner=data["owner"],
                stage=data["stage"],
                lost_reason=data.get("lost_reason"),
                contact=data.get("contact"),
                amount=data["amount"],
                expected_close_on=data.get("expected_close_on"),
                next_step=data.get("next_step", ""),
                description=data.get("description", ""),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Opportunity %(name)s created.") % {"name": opportunity})
            return redirect(opportunity)
    return render(request, "opportunities/opportunity_form.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def opportunity_update(request: HttpRequest, pk: int) -> HttpResponse:
    opportunity = get_editable_or_404(
        Opportunity.objects.select_related("customer", "stage"), request.user, pk=pk
    )
    form = OpportunityForm(request.POST or None, instance=opportunity, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fields = {
            k: data[k] for k in form.changed_data if k in services.EDITABLE_FIELDS and k in data
        }
        try:
            with transaction.atomic():  # the fields and the stage change together or not at all
                services.opportunity_update(opportunity=opportunity, by=request.user, **fields)
                stage_changed_here = data["stage"].pk != data.get("stage_seen")
                if data["stage"].pk != opportunity.stage_id and (
                    stage_changed_here or data.get("stage_seen") is None
                ):
                    services.opportunity_move_stage(
                        opportunity=opportunity,
                        to_stage=data["stage"],
                        by=request.user,
                        lost_reason=data.get("lost_reason"),
                        lost_note=data.get("lost_note", ""),
                    )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect(opportunity)
    return render(
        request, "opportunities/opportunity_form.html", {"form": form, "opportunity": opportunity}
    )


@login_required
@require_POST
def opportunity_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Change the stage (board drop, lost-reason modal, detail page). htmx requests get a
    fragment and an X-Board-Result header (moved / ask / revert) that the board's script acts
    on; plain posts are redirected back to the detail page."""
    from opportunities.views_board import board_reply

    opportunity = get_visible_or_404(
        Opportunity.objects.select_related("stage", "pipeline"), request.user, pk=pk
    )
    htmx = is_htmx(request)
    if not can_change(request.user, opportunity):
        if htmx:
            return board_reply(
                request, "revert", _("You may not move this opportunity."), status=403
            )
        raise PermissionDenied
    form = MoveForm(request.POST, opportunity=opportunity)
    if not form.is_valid():
        if "stage" in form.errors:
            message = _("This stage is not in the opportunity's pipeline.")
        else:  # e.g. a lost reason withdrawn meanwhile
            message = " ".join(e for errors in form.errors.values() for e in errors)
        if htmx:
            return board_reply(request, "revert", message, status=400)
        messages.error(request, message)
        return redirect(opportunity)
    if form.needs_reason:
        if htmx:
            return board_reply(request, "ask", "", opportunity=opportunity, form=form)
        messages.error(request, _("Say why the opportunity was lost."))
        return redirect(opportunity)
    from_stage = opportunity.stage
    to_stage = form.cleaned_data["stage"]
    try:
        services.opportunity_move_stage(
            opportunity=opportunity,
            to_stage=to_stage,
            by=request.user,
            lost_reason=form.cleaned_data.get("lost_reason"),
            lost_note=form.cleaned_data.get("lost_note", ""),
            same_pipeline=True,  # the form checked the pipeline before the lock; check again
        )
    except ValidationError as exc:
        message = " ".join(exc.messages)
        if htmx:
            return board_reply(request, "revert", message, status=409)
        messages.error(request, message)
        return redirect(opportunity)
    message = _("%(name)s moved to %(stage)s.") % {"name": opportunity, "stage": to_stage}
    if htmx:
        return board_reply(
            request,
            "moved",
            message,
            opportunity=opportunity,
            stages=[from_stage, to_stage],
            order_url=order_create_url(opportunity) if to_stage.is_won else None,
        )
    messages.success(request, message)
    return redirect(opportunity)


@login_required
@require_POST
def activity_create(request: HttpRequest, pk: int) -> HttpResponse:
    opportunity = get_editable_or_404(
        Opportunity.objects.select_related("customer"), request.user, pk=pk
    )
    if not can_change(request.user, opportunity.customer):
        raise PermissionDenied
    form = OpportunityActivityForm(request.POST, customer=opportunity.customer)
    if form.is_valid():
        services.opportunity_activity_log(
            opportunity=opportunity, by=request.user, **form.cleaned_data
        )
        messages.success(request, _("Follow-up logged."))
    else:
        errors = "; ".join(
            f"{form.fields[f].label}: {' '.join(e)}"
            for f, e in form.errors.items()
            if f in form.fields
        )
        messages.error(request, _("The follow-up was not logged: %(errors)s") % {"errors": errors})
    return redirect(opportunity)
