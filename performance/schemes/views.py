"""Admin pages of KPI schemes: the list by position, create, a version's page (items, diff with
the previous version, actions), edit a draft, new version, activate, delete. Administrators
only: everyone else gets 403."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm.models import is_administrator
from performance.metrics import get_metric
from performance.models import KpiScheme, KpiSchemeItem, Scorecard
from performance.schemes import services
from performance.schemes.forms import ItemFormSet, KpiSchemeForm


def _require_admin(request: HttpRequest) -> None:
    if not is_administrator(request.user):
        raise PermissionDenied


def _scheme_or_404(pk: int) -> KpiScheme:
    return get_object_or_404(KpiScheme.objects.select_related("position", "created_by"), pk=pk)


def _metric_name(key: str) -> str:
    try:
        return str(get_metric(key).name)
    except KeyError:
        return key


def _count(queryset) -> Coalesce:
    counted = queryset.order_by().values("scheme").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


@login_required
@require_GET
def scheme_list(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    schemes = (
        KpiScheme.objects.select_related("position")
        .annotate(
            # One COUNT subquery each, not a join of items x scorecards (years of scorecards).
            item_count=_count(KpiSchemeItem.objects.filter(scheme=OuterRef("pk"))),
            scorecard_count=_count(Scorecard.objects.filter(scheme=OuterRef("pk"))),
        )
        .order_by("position__kind", "code", "-version")
    )
    groups: dict = {}
    for scheme in schemes:
        groups.setdefault(scheme.position, []).append(scheme)
    return render(request, "performance/schemes/scheme_list.html", {"groups": groups.items()})


def _render_form(request, form, formset, scheme=None) -> HttpResponse:
    return render(
        request,
        "performance/schemes/scheme_form.html",
        {"form": form, "formset": formset, "scheme": scheme},
    )


@login_required
@require_http_methods(["GET", "POST"])
def scheme_create(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    form = KpiSchemeForm(request.POST or None)
    formset = ItemFormSet(request.POST or None, instance=KpiScheme(), prefix="items")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            scheme = services.scheme_create(
                code=form.cleaned_data["code"],
                items=formset.items(),
                by=request.user,
                **form.scheme_fields(),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Draft saved. Activate it to score with it."))
            return redirect("performance:scheme-detail", scheme.pk)
    return _render_form(request, form, formset)


@login_required
@require_http_methods(["GET", "POST"])
def scheme_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    scheme = _scheme_or_404(pk)
    if not services.scheme_can_edit(scheme):
        messages.error(request, _("Only a draft can be changed: make a new version instead."))
        return redirect("performance:scheme-detail", scheme.pk)
    form = KpiSchemeForm(request.POST or None, instance=scheme)
    formset = ItemFormSet(request.POST or None, instance=scheme, prefix="items")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            services.scheme_update(
                scheme=scheme, items=formset.items(), by=request.user, **form.scheme_fields()
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Draft saved."))
            return redirect("performance:scheme-detail", scheme.pk)
    return _render_form(request, form, formset, scheme)


@login_required
@require_GET
def scheme_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    scheme = _scheme_or_404(pk)
    items = list(scheme.items.all())
    for item in items:
        item.metric_name = _metric_name(item.metric)
    diff = services.scheme_diff(scheme)
    for item in [*diff.added, *diff.removed, *(i for i, _c in diff.changed)]:
        item.metric_name = _metric_name(item.metric)
    versions = KpiScheme.objects.filter(code=scheme.code).order_by("-version")
    return render(
        request,
        "performance/schemes/scheme_detail.html",
        {
            "scheme": scheme,
            "items": items,
            "diff": diff,
            "versions": versions,
            "bands": services.bands_sorted(scheme.bands),
            "is_used": services.scheme_is_used(scheme),
            "can_edit": services.scheme_can_edit(scheme),
            "can_delete": services.scheme_can_delete(scheme),
            "has_draft": versions.filter(status=KpiScheme.Status.DRAFT).exists(),
        },
    )


def _post_action(request, pk, action, success) -> HttpResponse:
    _require_admin(request)
    scheme = _scheme_or_404(pk)
    try:
        result = action(scheme=scheme, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("performance:scheme-detail", scheme.pk)
    messages.success(request, success)
    return redirect("performance:scheme-detail", (result or scheme).pk)


@login_required
@require_POST
def scheme_new_version(request: HttpRequest, pk: int) -> HttpResponse:
    return _post_action(
        request, pk, services.scheme_new_version, _("New draft version: change it, then activate.")
    )


@login_required
@require_POST
def scheme_activate(request: HttpRequest, pk: int) -> HttpResponse:
    return _post_action(
        request,
        pk,
        services.scheme_activate,
        _("Active: new scorecards of this position are scored with this version."),
    )


@login_required
@require_POST
def scheme_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    scheme = _scheme_or_404(pk)
    try:
        services.scheme_delete(scheme=scheme)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("performance:scheme-detail", scheme.pk)
    messages.success(request, _("Version deleted."))
    return redirect("performance:scheme-list")
