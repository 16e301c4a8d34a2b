"""Admins' page for lead assignment: rules in priority order with their members, the dry-run,
and the web-form tokens of POST /api/leads/."""

from __future__ import annotations

import logging
import secrets
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from crm.models import is_administrator
from leads import assignment, selectors
from leads.forms import DryRunForm, LeadSourceForm, MemberFormSet, RuleForm
from leads.models import AssignmentRule, Lead, LeadSource, RuleMember

logger = logging.getLogger(__name__)


def admin_required(view):
    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if not is_administrator(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


@admin_required
@require_http_methods(["GET"])
def rule_list(request: HttpRequest) -> HttpResponse:
    return _rule_list_page(request)


def _rule_list_page(request: HttpRequest, new_token: dict | None = None) -> HttpResponse:
    rules = selectors.rules_with_members()
    loads = assignment.open_loads([m.user_id for r in rules for m in r.members.all()])
    for rule in rules:
        for member in rule.members.all():  # prefetched: the attribute stays on the instance
            member.open_now = loads.get(member.user_id, 0)
    return render(
        request,
        "leads/rule_list.html",
        {
            "rules": rules,
            "sources": selectors.lead_sources(),
            "source_form": LeadSourceForm(),
            "dry_form": DryRunForm(),
            "new_token": new_token,
        },
    )


@admin_required
@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    rule = get_object_or_404(AssignmentRule, pk=pk) if pk else AssignmentRule()
    form = RuleForm(request.POST or None, instance=rule)
    formset = MemberFormSet(request.POST or None, instance=rule, prefix="members")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        with transaction.atomic():
            rule = form.save()
            formset.instance = rule
            formset.save()
        messages.success(request, _("Rule %(name)s saved.") % {"name": rule})
        # Leads waiting in the queue may match the changed rule: try them now.
        from leads.tasks import assign_sweep_task

        transaction.on_commit(lambda: _queue_quietly(assign_sweep_task))
        return redirect("leads:rule-list")
    return render(request, "leads/rule_form.html", {"form": form, "formset": formset, "rule": rule})


def _queue_quietly(task) -> None:
    try:
        task.delay()
    except Exception:  # the broker is down: the periodic sweep runs anyway
        logger.warning("Could not queue %s", task.name)


@admin_required
@require_POST
def rule_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(AssignmentRule, pk=pk)
    rule.is_active = not rule.is_active
    rule.save(update_fields=["is_active"])
    messages.success(
        request,
        (_("Rule %(name)s activated.") if rule.is_active else _("Rule %(name)s deactivated."))
        % {"name": rule},
    )
    return redirect("leads:rule-list")


@admin_required
@require_POST
def member_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_object_or_404(RuleMember.objects.select_related("user", "rule"), pk=pk)
    member.is_active = not member.is_active
    member.save(update_fields=["is_active"])
    messages.success(
        request,
        (
            _("%(user)s takes leads of %(rule)s again.")
            if member.is_active
            else _("%(user)s is paused in %(rule)s.")
        )
        % {"user": member.user, "rule": member.rule},
    )
    return redirect("leads:rule-list")


@admin_required
@require_http_methods(["GET"])
def rule_dry_run(request: HttpRequest) -> HttpResponse:
    form = DryRunForm(request.GET or None)
    rows = None
    if form.is_valid():
        count = form.cleaned_data["count"]
        leads = None
        if form.cleaned_data["use_queue"]:
            leads = list(
                Lead.objects.filter(owner__isnull=True, status=Lead.Status.NEW).order_by(
                    "created_at", "pk"
                )[:count]
            )
        rows = assignment.dry_run(count, leads=leads)
    return render(request, "leads/rule_dry_run.html", {"form": form, "rows": rows})


@admin_required
@require_POST
def source_create(request: HttpRequest) -> HttpResponse:
    form = LeadSourceForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The token was not created: give it a name."))
        return redirect("leads:rule-list")
    token = "lt_" + secrets.token_urlsafe(32)
    source = form.save(commit=False)
    source.token_hash = LeadSource.hash_token(token)
    source.token_prefix = token[:10]
    source.created_by = request.user
    source.save()
    # Shown once, in this response (not stored anywhere: only its hash is kept).
    response = _rule_list_page(request, new_token={"name": source.name, "token": token})
    response["Cache-Control"] = "no-store"
    return response


@admin_required
@require_POST
def source_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    source = get_object_or_404(LeadSource, pk=pk)
    if source.is_active:
        source.is_active = False
        source.revoked_at = timezone.now()
        source.save(update_fields=["is_active", "revoked_at"])
        messages.success(request, _("Token %(name)s revoked.") % {"name": source})
    return redirect("leads:rule-list")
