"""Pages for reps and managers: the lead list, detail with its activity log and assignment
history, create / edit, follow-ups, disqualify, convert, bulk assignment, the default queue and
the reports. Rules and web-form tokens: leads/views_rules.py; the API: leads/api.py."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm.dates import start_of_day
from crm.htmx import is_htmx
from crm.interchange.http import export_or_none
from crm.models import is_administrator
from crm.pagination import CappedPaginator
from crm.scopes import can_change, can_change_any, get_editable_or_404
from customers.models import Customer
from customers.pool import can_manage_pool
from customers.selectors import duplicates_find
from leads import selectors, services
from leads.forms import AssignForm, ConvertForm, DisqualifyForm, LeadActivityForm, LeadForm
from leads.models import Lead

PAGE_SIZE = 50


@login_required
@require_GET
def lead_list(request: HttpRequest) -> HttpResponse:
    leads = selectors.lead_list(viewer=request.user, data=request.GET, request=request)
    if (response := export_or_none(request, "leads", leads.qs)) is not None:
        return response
    page = CappedPaginator(leads.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    is_manager = can_manage_pool(request.user)
    return render(
        request,
        "leads/lead_list.html",
        {
            "filter": leads,
            "page": page,
            "can_create": can_change_any(request.user),
            "can_bulk": is_manager,
            "is_admin": is_administrator(request.user),
            "assign_form": AssignForm(by=request.user) if is_manager else None,
            "queue_count": selectors.queue(viewer=request.user).count() if is_manager else None,
            "now": timezone.now(),
        },
    )


@login_required
@require_GET
def lead_detail(request: HttpRequest, pk: int) -> HttpResponse:
    lead = selectors.lead_for_detail(viewer=request.user, pk=pk)
    return render(request, "leads/lead_detail.html", _detail_context(request, lead))


def _detail_context(request: HttpRequest, lead: Lead, **extra) -> dict:
    editable = can_change(request.user, lead)
    return {
        "lead": lead,
        "can_edit": editable,
        "can_assign": editable and can_manage_pool(request.user) and lead.is_open,
        "assign_form": AssignForm(by=request.user) if can_manage_pool(request.user) else None,
        "activity_form": LeadActivityForm() if editable else None,
        "activities": selectors.lead_activities(lead),
        "logs": selectors.lead_assignment_logs(lead),
        "opportunity": selectors.lead_converted_opportunity(lead),
        "disqualify_form": DisqualifyForm() if editable and lead.is_open else None,
        "statuses": [Lead.Status.NEW, Lead.Status.CONTACTED, Lead.Status.QUALIFIED],
        "now": timezone.now(),
        **extra,
    }


@login_required
@require_http_methods(["GET", "POST"])
def lead_create(request: HttpRequest) -> HttpResponse:
    if not can_change_any(request.user):
        raise PermissionDenied  # read-only positions add no leads
    form = LeadForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        owner = data.pop("owner")
        try:
            lead = services.lead_create(by=request.user, owner=owner, **data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if owner is None:
                messages.success(
                    request, _("Lead %(name)s created: it is being assigned.") % {"name": lead}
                )
            else:
                messages.success(request, _("Lead %(name)s created.") % {"name": lead})
            # A rep who left it to the rules may not see it once it is someone else's.
            if can_change(request.user, lead) or lead.owner_id == request.user.pk:
                return redirect(lead)
            return redirect("leads:lead-list")
    return render(request, "leads/lead_form.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def lead_update(request: HttpRequest, pk: int) -> HttpResponse:
    lead = get_editable_or_404(Lead, request.user, pk=pk)
    form = LeadForm(request.POST or None, instance=lead, user=request.user)
    if request.method == "POST" and form.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if k in form.changed_data}
        try:
            services.lead_update(lead=lead, by=request.user, **fields)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect(lead)
    return render(request, "leads/lead_form.html", {"form": form, "lead": lead})


@login_required
@require_POST
def activity_create(request: HttpRequest, pk: int) -> HttpResponse:
    lead = get_editable_or_404(Lead, request.user, pk=pk)
    form = LeadActivityForm(request.POST)
    logged = False
    if form.is_valid():
        services.lead_activity_log(lead=lead, by=request.user, **form.cleaned_data)
        logged = True
        if not is_htmx(request):
            messages.success(request, _("Follow-up logged."))
            return redirect(lead)
        form = LeadActivityForm()
    elif not is_htmx(request):
        messages.error(request, _("The follow-up was not logged: check the form."))
        return redirect(lead)
    lead = selectors.lead_for_detail(viewer=request.user, pk=pk)
    context = _detail_context(request, lead, activity_form=form, logged=logged)
    return render(request, "leads/partials/activity_panel.html", context)


@login_required
@require_POST
def lead_status(request: HttpRequest, pk: int) -> HttpResponse:
    lead = get_editable_or_404(Lead, request.user, pk=pk)
    try:
        services.lead_set_status(lead=lead, by=request.user, status=request.POST.get("status", ""))
    except services.LeadError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Status: %(status)s.") % {"status": lead.get_status_display()})
    return redirect(lead)


@login_required
@require_http_methods(["GET", "POST"])
def lead_disqualify(request: HttpRequest, pk: int) -> HttpResponse:
    lead = get_editable_or_404(Lead, request.user, pk=pk)
    form = DisqualifyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.lead_disqualify(lead=lead, by=request.user, **form.cleaned_data)
        except services.LeadError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Lead disqualified."))
        return redirect(lead)
    return render(request, "leads/lead_disqualify.html", {"lead": lead, "form": form})


@login_required
@require_POST
def lead_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    lead = get_editable_or_404(Lead, request.user, pk=pk)
    try:
        services.lead_reopen(lead=lead, by=request.user)
    except services.LeadError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Lead reopened."))
    return redirect(lead)


@login_required
@require_http_methods(["GET", "POST"])
def lead_convert(request: HttpRequest, pk: int) -> HttpResponse:
    lead = get_editable_or_404(Lead, request.user, pk=pk)
    if not lead.is_open:
        messages.error(request, _("Only an open lead can be converted."))
        return redirect(lead)
    if not can_change_any(request.user):
        raise PermissionDenied
    initial_fields = services.customer_fields_from(lead)
    duplicates = duplicates_find(
        viewer=request.user, name=initial_fields["name"], phone=lead.phone, email=lead.email
    )
    # Merge only into customers the user may change (seen and editable).
    seen_ids = [d.customer.pk for d in duplicates if d.customer is not None]
    mergeable = Customer.objects.editable_by(request.user).filter(pk__in=seen_ids)
    offer_opportunity = services.opportunity_service() is not None
    form = ConvertForm(
        request.POST or None,
        merge_choices=mergeable,
        offer_opportunity=offer_opportunity,
        initial={
            "name": initial_fields["name"],
            "kind": initial_fields["kind"],
            "industry": initial_fields["industry"],
            "opportunity_name": initial_fields["name"],
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.lead_convert(
                lead=lead,
                by=request.user,
                merge_into=data.get("merge_into"),
                customer_fields={
                    "name": data["name"].strip(),
                    "kind": data["kind"],
                    "industry": data["industry"],
                },
                create_opportunity=bool(data.get("create_opportunity")),
                opportunity_name=data.get("opportunity_name") or None,
                opportunity_amount=data.get("opportunity_amount"),
            )
        except services.LeadError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("Lead converted: customer %(customer)s.") % {"customer": lead.converted_customer},
            )
            return redirect(lead.converted_customer)
    hidden = [
        d
        for d in duplicates
        if d.customer is None or d.customer.pk not in set(mergeable.values_list("pk", flat=True))
    ]
    return render(
        request,
        "leads/lead_convert.html",
        {"lead": lead, "form": form, "duplicates": duplicates, "hidden_duplicates": hidden},
    )


@login_required
@require_http_methods(["GET", "POST"])
def lead_assign(request: HttpRequest) -> HttpResponse:
    """Managers: give the selected leads (list, queue or one lead) to someone they manage."""
    if not can_manage_pool(request.user):
        raise PermissionDenied
    ids = [int(x) for x in request.POST.getlist("ids") if x.isdigit()]
    back = request.POST.get("next", "")
    # Only a path on this site ("//evil.example" and "/\\evil.example" are other hosts).
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ) or not back.startswith("/"):
        back = reverse("leads:lead-list")
    if request.method == "GET":
        return redirect("leads:lead-list")
    form = AssignForm(request.POST, by=request.user)
    if not ids:
        messages.error(request, _("Select the leads to assign."))
    elif not form.is_valid():
        messages.error(request, _("Choose whom to assign them to."))
    else:
        try:
            moved = services.leads_assign(
                lead_ids=ids,
                to_user=form.cleaned_data["to_user"],
                by=request.user,
                note=form.cleaned_data["note"],
            )
        except services.LeadError as exc:
            messages.error(request, exc.message)
        else:
            skipped = len(set(ids)) - len(moved)
            messages.success(
                request,
                _("%(count)s leads assigned to %(user)s.")
                % {"count": len(moved), "user": form.cleaned_data["to_user"]},
            )
            if skipped:
                messages.warning(
                    request,
                    _("%(count)s leads were left alone (closed, already theirs, or not yours).")
                    % {"count": skipped},
                )
    return redirect(back)


@login_required
@require_GET
def lead_queue(request: HttpRequest) -> HttpResponse:
    """The default queue: new leads no rule could place (managers)."""
    if not can_manage_pool(request.user):
        raise PermissionDenied
    qs = selectors.queue(viewer=request.user).select_related("api_source")
    page = CappedPaginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "leads/lead_queue.html",
        {"page": page, "assign_form": AssignForm(by=request.user)},
    )


@login_required
@require_GET
def lead_reports(request: HttpRequest) -> HttpResponse:
    if not can_manage_pool(request.user):
        raise PermissionDenied
    start, end = selectors.default_report_range()
    start_day = _date(request.GET.get("start"))
    end_day = _date(request.GET.get("end"))
    if start_day:
        start = start_of_day(start_day)
    if end_day:
        end = start_of_day(end_day + dt.timedelta(days=1))
    report = selectors.reports(viewer=request.user, start=start, end=end)
    return render(
        request,
        "leads/lead_reports.html",
        {
            "report": report,
            "start_day": timezone.localtime(start).date(),
            "end_day": (timezone.localtime(end) - dt.timedelta(microseconds=1)).date(),
        },
    )


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None
