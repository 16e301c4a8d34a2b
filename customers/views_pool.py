"""Pages of the public pool (公海): the pool list, claim and release, managers' assign, transfer
and hand-over, and the admins' pool settings. Rules live in customers/pool/."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm.htmx import is_htmx
from crm.models import User
from crm.pagination import CappedPaginator
from crm.scopes import get_editable_or_404, get_visible_or_404
from customers import pool, selectors
from customers.forms_pool import (
    AssignForm,
    HandoverForm,
    PoolFilterForm,
    PoolRuleForm,
    PoolSettingsForm,
    ReleaseForm,
    TransferForm,
)
from customers.models import Customer, PoolRule, PoolSettings

PAGE_SIZE = 50


def _next_or(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _require_manager(user: User) -> None:
    if not pool.can_manage_pool(user):
        raise PermissionDenied


def _require_admin(user: User) -> None:
    if not pool.can_configure_pool(user):
        raise PermissionDenied


# --- the pool ----------------------------------------------------------------------------------


@login_required
@require_GET
def pool_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    filter_form = PoolFilterForm(request.GET)
    filters = filter_form.filters()
    page = CappedPaginator(selectors.pool_list(viewer=user, filters=filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    settings = PoolSettings.current()
    is_manager = pool.can_manage_pool(user)
    context = {
        "page": page,
        "filters": filters,
        "levels": Customer.Level.choices,
        "industries": Customer.Industry.choices,
        "sources": Customer.Source.choices,
        "can_claim": pool.can_claim(user),
        "is_manager": is_manager,
        "can_configure": pool.can_configure_pool(user),
        "assign_form": AssignForm(by=user) if is_manager else None,
        "settings": settings,
        "claims_today": pool.claims_today(user) if settings.daily_claim_limit else None,
        "owned": pool.owned_count(user) if settings.max_owned else None,
    }
    return render(request, "customers/pool_list.html", context)


@login_required
@require_POST
def customer_claim(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_visible_or_404(Customer, request.user, pk=pk)
    if not pool.can_claim(request.user):
        raise PermissionDenied
    try:
        pool.pool_claim(customer_id=customer.pk, by=request.user)
    except pool.PoolError as exc:
        if is_htmx(request):
            return render(
                request,
                "customers/partials/pool_claim_result.html",
                {"customer": customer, "ok": False, "message": exc.message},
            )
        messages.error(request, exc.message)
        return redirect(_next_or(request, reverse("customers:pool-list")))
    if is_htmx(request):
        return render(
            request,
            "customers/partials/pool_claim_result.html",
            {"customer": customer, "ok": True},
        )
    messages.success(request, _("%(customer)s is now yours.") % {"customer": customer})
    return redirect(_next_or(request, customer.get_absolute_url()))


@login_required
@require_POST
def customer_release(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_editable_or_404(Customer, request.user, pk=pk)
    form = ReleaseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The note is too long (255 characters at most)."))
        return redirect(customer.get_absolute_url())
    try:
        pool.pool_release(customer=customer, by=request.user, note=form.cleaned_data["note"])
    except pool.PoolError as exc:
        messages.error(request, exc.message)
        return redirect(customer.get_absolute_url())
    messages.success(
        request, _("%(customer)s is back in the public pool.") % {"customer": customer}
    )
    return redirect(_next_or(request, reverse("customers:pool-list")))


# --- managers ----------------------------------------------------------------------------------


def _report_bulk(request: HttpRequest, result: pool.BulkResult, to_user: User) -> None:
    if result.moved:
        messages.success(
            request,
            ngettext(
                "%(count)d customer given to %(user)s.",
                "%(count)d customers given to %(user)s.",
                len(result.moved),
            )
            % {"count": len(result.moved), "user": to_user},
        )
    if result.skipped:
        messages.warning(
            request,
            ngettext(
                "%(count)d customer was left alone (out of your reach or already moved).",
                "%(count)d customers were left alone (out of your reach or already moved).",
                len(result.skipped),
            )
            % {"count": len(result.skipped)},
        )


def _bulk_move(request: HttpRequest, service, form) -> bool:
    """Run a bulk move (`pool.pool_assign` / `pool.customers_transfer`) from a valid form and
    report it in messages; False when the service refused."""
    to_user = form.cleaned_data["to_user"]
    try:
        result = service(
            customer_ids=form.cleaned_data["ids"],
            to_user=to_user,
            by=request.user,
            note=form.cleaned_data["note"],
        )
    except pool.PoolError as exc:
        messages.error(request, exc.message)
        return False
    _report_bulk(request, result, to_user)
    return True


@login_required
@require_POST
def pool_assign(request: HttpRequest) -> HttpResponse:
    _require_manager(request.user)
    back = _next_or(request, reverse("customers:pool-list"))
    form = AssignForm(request.POST, by=request.user)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    _bulk_move(request, pool.pool_assign, form)
    return redirect(back)


def _selected_ids(source) -> list[int]:
    """The `ids` of a selection, garbage dropped (the list page posts its checkboxes here)."""
    return sorted({int(v) for v in source.getlist("ids") if v.isdigit()})[: pool.MAX_BULK]


@login_required
@require_http_methods(["GET", "POST"])
def customer_transfer(request: HttpRequest) -> HttpResponse:
    """Transfer the customers selected in the customer list (checkboxes `ids`) to someone.

    GET, or a POST without `to_user` (straight from the list's selection), shows the selection
    and asks for the receiver; a POST with `to_user` transfers. Selected customers out of the
    manager's reach are neither shown nor moved.
    """
    _require_manager(request.user)
    back = _next_or(request, reverse("customers:customer-list"))
    if request.method == "POST" and "to_user" in request.POST:
        form = TransferForm(request.POST, by=request.user)
        if form.is_valid() and _bulk_move(request, pool.customers_transfer, form):
            return redirect(back)
        ids = _selected_ids(request.POST)
    else:
        ids = _selected_ids(request.POST if request.method == "POST" else request.GET)
        form = None
    selected = list(
        Customer.objects.editable_by(request.user)
        .filter(pk__in=ids, owner__isnull=False)
        .select_related("owner")
        .order_by("name", "pk")
    )
    if form is None:
        form = TransferForm(initial={"ids": [c.pk for c in selected]}, by=request.user)
    context = {"form": form, "selected": selected, "ignored": len(ids) - len(selected)}
    return render(request, "customers/customer_transfer.html", {**context, "next": back})


@login_required
@require_http_methods(["GET", "POST"])
def rep_handover(request: HttpRequest) -> HttpResponse:
    """Hand over everything a leaving rep holds: choose (GET), see the counts, confirm (POST)."""
    _require_manager(request.user)
    if request.method == "POST":
        form = HandoverForm(request.POST, by=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                moved = pool.rep_handover(
                    from_user=data["from_user"],
                    to_user=data["to_user"],
                    by=request.user,
                    note=data["note"],
                )
            except pool.PoolError as exc:
                messages.error(request, exc.message)
            else:
                summary = ", ".join(f"{label}: {count}" for label, count in moved)
                messages.success(
                    request,
                    _("Handed over from %(from)s to %(to)s — %(summary)s.")
                    % {"from": data["from_user"], "to": data["to_user"], "summary": summary},
                )
                return redirect("customers:rep-handover")
    else:
        form = HandoverForm(request.GET or None, by=request.user)
    preview = None
    if form.is_bound and form.is_valid():
        preview = pool.rep_handover_preview(
            from_user=form.cleaned_data["from_user"], by=request.user
        )
    return render(request, "customers/rep_handover.html", {"form": form, "preview": preview})


# --- admins ------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def pool_settings(request: HttpRequest) -> HttpResponse:
    _require_admin(request.user)
    settings = PoolSettings.current()
    form = PoolSettingsForm(request.POST or None, instance=settings)
    if request.method == "POST" and form.is_valid():
        pool.pool_settings_update(settings=form.instance, by=request.user)
        messages.success(request, _("Pool settings saved."))
        return redirect("customers:pool-settings")
    rules = PoolRule.objects.order_by("-is_active", "level", "trigger", "days")
    return render(request, "customers/pool_settings.html", {"form": form, "rules": rules})


@login_required
@require_http_methods(["GET", "POST"])
def pool_rule_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _require_admin(request.user)
    rule = get_object_or_404(PoolRule, pk=pk) if pk is not None else None
    form = PoolRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        pool.pool_rule_save(rule=form.instance, by=request.user)
        messages.success(request, _("Rule “%(name)s” saved.") % {"name": form.instance.name})
        return redirect("customers:pool-settings")
    return render(request, "customers/pool_rule_form.html", {"form": form, "rule": rule})
