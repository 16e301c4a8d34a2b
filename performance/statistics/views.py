"""Pages of custom statistics: the list, the builder (create / edit, with htmx redraws and a
preview), a page per statistic (table + chart) with its CSV export, and delete.

Access: a statistic the user cannot see (not theirs, not shared with them or their position) is
a 404; one they see but did not write is a 403 on edit and delete (administrators excepted).
"""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from performance.models import CustomStatistic
from performance.statistics import selectors, services
from performance.statistics.engine import measure_label, run
from performance.statistics.forms import Builder
from performance.statistics.modules import InvalidDefinitionError


def _visible_or_404(user, pk: int) -> CustomStatistic:
    statistic = selectors.statistics_visible_to(user).select_related("owner").filter(pk=pk).first()
    if statistic is None:
        raise Http404
    return statistic


def _editable_or_403(user, pk: int) -> CustomStatistic:
    statistic = _visible_or_404(user, pk)
    if not selectors.can_edit(user, statistic):
        raise PermissionDenied
    return statistic


@login_required
@require_GET
def statistic_list(request: HttpRequest) -> HttpResponse:
    statistics = list(selectors.statistic_list(request.user))
    for statistic in statistics:
        try:
            statistic.measure_text = measure_label(statistic)
        except InvalidDefinitionError:
            statistic.measure_text = statistic.get_measure_display()
    context = {
        "statistics": statistics,
        "can_define": selectors.can_define(request.user),
    }
    return render(request, "performance/statistics/statistic_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def statistic_create(request: HttpRequest) -> HttpResponse:
    if not selectors.can_define(request.user):
        raise PermissionDenied
    return _builder(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def statistic_update(request: HttpRequest, pk: int) -> HttpResponse:
    return _builder(request, _editable_or_403(request.user, pk))


def _builder(request: HttpRequest, statistic: CustomStatistic | None) -> HttpResponse:
    action = request.POST.get("action", "save") if request.method == "POST" else ""
    data = request.POST if request.method == "POST" else None
    builder = Builder(data, user=request.user, instance=statistic, action=action, url=request.path)
    preview = None
    if action in ("save", "preview") and builder.is_valid():
        if action == "preview":
            preview = run(builder.unsaved(), request.user)
        else:
            shared = {
                "shared_positions": builder.form.cleaned_data["shared_positions"],
                "shared_users": builder.form.cleaned_data["shared_users"],
            }
            if statistic is None:
                statistic = services.statistic_create(
                    author=request.user, data=builder.definition, **shared
                )
            else:
                statistic = services.statistic_update(
                    statistic=statistic, editor=request.user, data=builder.definition, **shared
                )
            messages.success(request, _("Statistic saved."))
            url = reverse("performance:statistic-detail", args=[statistic.pk])
            if request.headers.get("HX-Request"):
                return HttpResponse(status=204, headers={"HX-Redirect": url})
            return redirect(url)
    context = {"builder": builder, "statistic": statistic, "preview": preview}
    if request.headers.get("HX-Request"):
        return render(request, "performance/statistics/partials/builder.html", context)
    status = 400 if action in ("save", "preview") and not preview else 200
    return render(request, "performance/statistics/statistic_form.html", context, status=status)


@login_required
@require_GET
def statistic_detail(request: HttpRequest, pk: int) -> HttpResponse:
    statistic = _visible_or_404(request.user, pk)
    result = selectors.run_safely(statistic, request.user)
    context = {
        "statistic": statistic,
        "result": result,
        "conditions": selectors.describe_conditions(statistic, request.user)
        if result is not None
        else [],
        "can_edit": selectors.can_edit(request.user, statistic),
        "chart_id": f"statistic-chart-{statistic.pk}",
    }
    return render(request, "performance/statistics/statistic_detail.html", context)


@login_required
@require_GET
def statistic_export(request: HttpRequest, pk: int) -> HttpResponse:
    statistic = _visible_or_404(request.user, pk)
    try:
        result = run(statistic, request.user)
    except InvalidDefinitionError as exc:
        raise Http404 from exc
    stamp = timezone.localdate().isoformat()
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="statistic-{statistic.pk}-{stamp}.csv"'
    response.write("\ufeff")  # Excel opens UTF-8 (Chinese names) only with the BOM
    writer = csv.writer(response)
    writer.writerow([result.group_label, result.measure_label])
    for row in result.rows:
        writer.writerow([row.label, str(row.value)])
    writer.writerow([_("Total"), str(result.total)])
    return response


@login_required
@require_POST
def statistic_delete(request: HttpRequest, pk: int) -> HttpResponse:
    statistic = _editable_or_403(request.user, pk)
    services.statistic_delete(statistic=statistic)
    messages.success(request, _("Statistic deleted."))
    return redirect("performance:statistic-list")
