"""Customer care pages (administrators): the rules with a preview of who receives what today,
and the send log where failed messages are resent; and the service flows page."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm.pagination import CappedPaginator
from service import care, selectors, sending, services
from service.forms import CareRuleForm, FlowStepFormSet, ServiceFlowForm
from service.models import CareMessage, CareRule, FlowStep, ServiceFlow
from service.models.care import PLACEHOLDERS
from service.permissions import can_manage_care

PAGE_SIZE = 50
PREVIEW_LIMIT = 300  # a rule due for thousands is shown in part (and sent in full)


def _require_admin(request: HttpRequest) -> None:
    if not can_manage_care(request.user):
        raise PermissionDenied


@login_required
@require_GET
def care_rule_list(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    rules = CareRule.objects.annotate(
        sent=Count("messages", filter=Q(messages__status=CareMessage.Status.SENT)),
        queued=Count("messages", filter=Q(messages__status=CareMessage.Status.QUEUED)),
        failed=Count("messages", filter=Q(messages__status=CareMessage.Status.FAILED)),
    ).order_by("-is_active", "trigger", "name")
    failed = CareMessage.objects.filter(status=CareMessage.Status.FAILED).count()
    return render(request, "service/care_rule_list.html", {"rules": rules, "failed": failed})


@login_required
@require_http_methods(["GET", "POST"])
def care_rule_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _require_admin(request)
    rule = get_object_or_404(CareRule, pk=pk) if pk else CareRule()
    form = CareRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        try:
            services.care_rule_save(rule=form.instance, by=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Care rule saved."))
            return redirect("service:care-rule-preview", pk=form.instance.pk)
    return render(
        request,
        "service/care_rule_form.html",
        {"form": form, "rule": rule if pk else None, "placeholders": PLACEHOLDERS},
    )


@login_required
@require_GET
def care_rule_preview(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    rule = get_object_or_404(CareRule, pk=pk)
    try:
        day = dt.date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        day = timezone.localdate()
    rows = care.care_preview(rule, today=day)
    return render(
        request,
        "service/care_rule_preview.html",
        {
            "rule": rule,
            "day": day,
            "rows": rows[:PREVIEW_LIMIT],
            "total": len(rows),
            "more": max(len(rows) - PREVIEW_LIMIT, 0),
            "skipped": sum(1 for r in rows if r["message"] is None),
        },
    )


@login_required
@require_GET
def care_message_list(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    status = request.GET.get("status", "")
    if status not in CareMessage.Status.values:
        status = ""
    rule_id = request.GET.get("rule", "")
    rule_id = int(rule_id) if rule_id.isdigit() else None
    qs = selectors.care_message_list(status=status, rule_id=rule_id)
    page = CappedPaginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "service/care_message_list.html",
        {
            "page": page,
            "status": status,
            "rule_id": rule_id,
            "statuses": CareMessage.Status.choices,
            "rules": CareRule.objects.order_by("name").only("pk", "name"),
        },
    )


@login_required
@require_POST
def care_message_resend(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    ids = [int(pk) for pk in request.POST.getlist("ids") if pk.isdigit()]
    if request.POST.get("all_failed") == "1":
        ids = list(
            CareMessage.objects.filter(status=CareMessage.Status.FAILED).values_list(
                "pk", flat=True
            )[: sending.RESEND_LIMIT]
        )
    count = sending.care_message_resend(ids=ids, by=request.user)
    messages.success(request, _("%(count)s messages queued again.") % {"count": count})
    return redirect(reverse("service:care-message-list") + "?status=queued")


# --- service flows (administrators): the steps tickets move through ---


@login_required
@require_GET
def flow_list(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    flows = ServiceFlow.objects.prefetch_related(
        Prefetch("steps", queryset=FlowStep.objects.order_by("position"))
    ).annotate(open_tickets=Count("tickets", filter=Q(tickets__closed_at__isnull=True)))
    return render(request, "service/flow_list.html", {"flows": flows.order_by("kind", "name")})


@login_required
@require_http_methods(["GET", "POST"])
def flow_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _require_admin(request)
    flow = get_object_or_404(ServiceFlow, pk=pk) if pk else ServiceFlow()
    data = request.POST if request.method == "POST" else None
    form = ServiceFlowForm(data, instance=flow)
    formset = FlowStepFormSet(
        data, instance=flow, queryset=FlowStep.objects.order_by("position"), prefix="steps"
    )
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        services.flow_save(form=form, formset=formset, by=request.user)
        messages.success(request, _("Service flow saved."))
        return redirect("service:flow-list")
    return render(
        request,
        "service/flow_form.html",
        {"form": form, "formset": formset, "flow": flow if pk else None},
    )
