"""Pages for reps: the customer list, detail with its timeline, create / edit, contacts, quick
follow-up logging (htmx) and the follow-up list. Pool pages: customers/views_pool.py."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm.htmx import is_htmx
from crm.interchange.http import export_or_none
from crm.pagination import CappedPaginator
from crm.scopes import (
    can_change,
    can_change_any,
    get_editable_or_404,
    get_visible_or_404,
)
from customers import pool, selectors, services
from customers.forms import ActivityForm, ContactForm, CustomerForm
from customers.models import Contact, Customer
from customers.sections import sections_for

PAGE_SIZE = 50


@login_required
@require_GET
def customer_list(request: HttpRequest) -> HttpResponse:
    customers = selectors.customer_list(viewer=request.user, data=request.GET, request=request)
    if (response := export_or_none(request, "customers", customers.qs)) is not None:
        return response
    page = CappedPaginator(customers.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "customers/customer_list.html",
        {
            "filter": customers,
            "page": page,
            "ordering": request.GET.get("ordering", ""),
            "can_create": can_change_any(request.user),
            "can_bulk": pool.can_manage_pool(request.user),
        },
    )


@login_required
@require_GET
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    customer = selectors.customer_for_detail(viewer=request.user, pk=pk)
    editable = can_change(request.user, customer)
    context = {
        "customer": customer,
        "can_edit": editable,
        "can_claim": customer.owner_id is None and pool.can_claim(request.user),
        "can_transfer": editable and pool.can_manage_pool(request.user),
        "contacts": customer.contacts.all(),
        "timeline": selectors.customer_timeline(customer=customer),
        "missing": [
            Customer.key_field_label(f)
            for f in customer.missing_key_fields(has_contact=customer.has_contact)
        ],
        "activity_form": ActivityForm(customer=customer) if editable else None,
        "sections": sections_for(customer, request.user),
    }
    return render(request, "customers/customer_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def customer_create(request: HttpRequest) -> HttpResponse:
    if not can_change_any(request.user):
        raise PermissionDenied  # read-only positions (planning, HR) add no customers
    form = CustomerForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        duplicates = selectors.duplicates_find(
            viewer=request.user, name=data["name"], phone=data["phone"], email=data["email"]
        )
        if duplicates and not data.get("confirm_duplicate"):
            form.duplicates = duplicates
        else:
            fields = {k: v for k, v in data.items() if k not in ("owner", "confirm_duplicate")}
            try:
                customer = services.customer_create(by=request.user, owner=data["owner"], **fields)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Customer %(name)s created.") % {"name": customer})
                return redirect(customer)
    return render(request, "customers/customer_form.html", {"form": form})


@login_required
@require_GET
def customer_duplicates(request: HttpRequest) -> HttpResponse:
    """htmx: the duplicate warning shown while the form is filled in."""
    duplicates = selectors.duplicates_find(
        viewer=request.user,
        name=request.GET.get("name", ""),
        phone=request.GET.get("phone", ""),
        email=request.GET.get("email", ""),
        exclude_pk=int(exclude) if (exclude := request.GET.get("exclude", "")).isdigit() else None,
    )
    return render(request, "customers/partials/duplicates.html", {"duplicates": duplicates})


@login_required
@require_http_methods(["GET", "POST"])
def customer_update(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_editable_or_404(Customer, request.user, pk=pk)
    form = CustomerForm(request.POST or None, instance=customer, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            fields = {k: v for k, v in form.cleaned_data.items() if k in form.changed_data}
            services.customer_update(customer=customer, by=request.user, **fields)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect(customer)
    return render(request, "customers/customer_form.html", {"form": form, "customer": customer})


@login_required
@require_POST
def activity_create(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_editable_or_404(Customer, request.user, pk=pk)
    form = ActivityForm(request.POST, customer=customer)
    htmx = is_htmx(request)
    if form.is_valid():
        services.activity_log(customer=customer, by=request.user, **form.cleaned_data)
        if not htmx:
            messages.success(request, _("Follow-up logged."))
            return redirect(customer)
        form = ActivityForm(customer=customer)
    elif not htmx:
        messages.error(request, _("The follow-up was not logged: check the form."))
        return redirect(customer)
    context = {
        "customer": customer,
        "activity_form": form,
        "timeline": selectors.customer_timeline(customer=customer),
        "logged": form.is_bound is False,
    }
    return render(request, "customers/partials/activity_panel.html", context)


def _contact_form_page(request, *, customer: Customer, contact: Contact) -> HttpResponse:
    form = ContactForm(request.POST or None, instance=contact)
    if request.method == "POST" and form.is_valid():
        services.contact_save(contact=form.instance, by=request.user)
        messages.success(request, _("Contact %(name)s saved.") % {"name": form.instance})
        return redirect(customer)
    return render(
        request,
        "customers/contact_form.html",
        {"form": form, "customer": customer, "contact": contact},
    )


@login_required
@require_http_methods(["GET", "POST"])
def contact_create(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_editable_or_404(Customer, request.user, pk=pk)
    return _contact_form_page(request, customer=customer, contact=Contact(customer=customer))


@login_required
@require_http_methods(["GET", "POST"])
def contact_update(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_visible_or_404(Contact.objects.select_related("customer"), request.user, pk=pk)
    if not can_change(request.user, contact.customer):
        raise PermissionDenied
    return _contact_form_page(request, customer=contact.customer, contact=contact)


@login_required
@require_POST
def contact_delete(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_visible_or_404(Contact.objects.select_related("customer"), request.user, pk=pk)
    if not can_change(request.user, contact.customer):
        raise PermissionDenied
    customer = contact.customer
    services.contact_delete(contact=contact, by=request.user)
    messages.success(request, _("Contact %(name)s deleted.") % {"name": contact})
    return redirect(customer)


# The tabs of the follow-up list (`?due=`): the due customers by their follow-up day.
FOLLOW_UP_SECTIONS = {
    "overdue": lambda today: Q(next_follow_up_on__lt=today),
    "today": lambda today: Q(next_follow_up_on=today),
    "soon": lambda today: Q(next_follow_up_on__gt=today),
}
# How many of the customers going back to the pool soon head the follow-up list.
POOL_WARNINGS_SHOWN = 20


@login_required
@require_GET
def follow_up_list(request: HttpRequest) -> HttpResponse:
    """The rep's due follow-ups, overdue first, a page at a time, with a tab (and its count) for
    each section: overdue, today, the next 7 days. The soonest customers going back to the pool
    head the page. The same few queries however many are due: the busiest rep's 3,078 due
    follow-ups at 1,000,000 customers took seconds to render as one page."""
    today = timezone.localdate()
    due = selectors.follow_ups_due(user=request.user, today=today)
    sections = {name: q(today) for name, q in FOLLOW_UP_SECTIONS.items()}
    counts = due.order_by().aggregate(
        all=Count("pk"), **{name: Count("pk", filter=q) for name, q in sections.items()}
    )
    section = request.GET.get("due", "")
    if section in sections:
        due = due.filter(sections[section])
    else:
        section = ""
    page = CappedPaginator(due, PAGE_SIZE).get_page(request.GET.get("page"))
    warnings = pool.pool_warnings(user=request.user)
    return render(
        request,
        "customers/follow_up_list.html",
        {
            "customers": page.object_list,
            "page": page,
            "section": section,
            "counts": counts,
            "warnings": warnings[:POOL_WARNINGS_SHOWN],
            "warning_total": len(warnings),
        },
    )


@login_required
@require_GET
def customer_history(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_visible_or_404(Customer, request.user, pk=pk)
    changes = selectors.customer_changes(customer=customer)
    return render(
        request, "customers/customer_history.html", {"customer": customer, "changes": changes}
    )


@login_required
@require_GET
def customer_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx: the next, older page of the timeline (`before`: where the shown page ended)."""
    customer = get_visible_or_404(Customer, request.user, pk=pk)
    try:
        before = parse_datetime(request.GET.get("before", ""))
    except ValueError:  # well-formed but impossible, e.g. February 30th
        before = None
    if before is None or timezone.is_naive(before) or before.year < 1900:
        return HttpResponseBadRequest(_("Which events? Give `before` as an ISO 8601 time."))
    timeline = selectors.customer_timeline(customer=customer, before=before)
    return render(
        request,
        "customers/partials/timeline_items.html",
        {"customer": customer, "timeline": timeline, "older_page": True},
    )
