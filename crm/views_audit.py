"""The audit pages, for administrators only: changes (from the apps' history) and sign-ins
(from django-axes), with an unlock button for locked-out logins."""

from __future__ import annotations

import datetime as dt
import logging

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from crm import audit
from crm.models import User, is_administrator
from crm.widgets import FastSelect

log = logging.getLogger("crm.security")


def _admin_only(request: HttpRequest) -> None:
    if not is_administrator(request.user):
        raise PermissionDenied


class _PeriodForm(forms.Form):
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput({"type": "date"})
    )
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput({"type": "date"}))

    def bounds(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        def at(day, plus=0):
            if not day:
                return None
            return timezone.make_aware(
                dt.datetime.combine(day + dt.timedelta(days=plus), dt.time.min)
            )

        return at(self.cleaned_data.get("since")), at(self.cleaned_data.get("until"), 1)


class ChangeFilterForm(_PeriodForm):
    user = forms.ModelChoiceField(
        label=_("Changed by"),
        queryset=User.objects.order_by("username"),
        required=False,
        widget=FastSelect,
    )
    model = forms.ChoiceField(label=_("Kind of record"), required=False)
    field_order = ["user", "model", "since", "until"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model"].choices = [("", _("All")), *audit.model_choices()]


class SignInFilterForm(_PeriodForm):
    username = forms.CharField(label=_("Username"), required=False, max_length=150)
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        required=False,
        choices=[("", _("All")), ("ok", _("Logged in")), ("failed", _("Failed"))],
    )
    field_order = ["username", "outcome", "since", "until"]


def _page_number(request: HttpRequest) -> int:
    value = request.GET.get("page", "1")
    return int(value) if value.isdigit() and 0 < int(value) < 10_000 else 1


@login_required
@require_GET
def audit_changes(request: HttpRequest) -> HttpResponse:
    _admin_only(request)
    form = ChangeFilterForm(request.GET or None)
    rows, has_more, page = [], False, _page_number(request)
    if form.is_bound and not form.is_valid():
        pass  # the form shows its errors; no rows
    else:
        data = form.cleaned_data if form.is_bound else {}
        since, until = form.bounds() if form.is_bound else (None, None)
        flt = audit.ChangeFilter(
            user_id=data.get("user").pk if data.get("user") else None,
            model=data.get("model") or None,
            since=since,
            until=until,
        )
        rows, has_more = audit.changes(flt, page)
    users = User.objects.in_bulk({r[3] for r in rows if r[3]})
    labels = dict(audit.model_choices())
    entries = [
        {
            "history_id": history_id,
            "when": when,
            "action": {"+": _t("Created"), "~": _t("Changed"), "-": _t("Deleted")}.get(kind, kind),
            "kind": kind,
            "user": users.get(user_id),
            "object_id": object_id,
            "model": model,
            "model_name": labels.get(model, model),
            "url": None if kind == "-" else audit.object_url(model, object_id),
        }
        for history_id, when, kind, user_id, object_id, model in rows
    ]
    return render(
        request,
        "crm/audit_changes.html",
        {"form": form, "entries": entries, "page": page, "has_more": has_more},
    )


@login_required
@require_GET
def audit_change_detail(request: HttpRequest, model: str, history_id: int) -> HttpResponse:
    _admin_only(request)
    if model not in audit.history_models():
        raise Http404
    try:
        record, previous, diffs = audit.change_detail(model, history_id)
    except audit.history_models()[model].DoesNotExist as exc:
        raise Http404 from exc
    return render(
        request,
        "crm/audit_change_detail.html",
        {
            "record": record,
            "previous": previous,
            "diffs": diffs,
            "model_name": dict(audit.model_choices()).get(model, model),
            "url": None if record.history_type == "-" else audit.object_url(model, str(record.pk)),
        },
    )


@login_required
@require_GET
def audit_sign_ins(request: HttpRequest) -> HttpResponse:
    _admin_only(request)
    form = SignInFilterForm(request.GET or None)
    rows, has_more, page = [], False, _page_number(request)
    if not form.is_bound or form.is_valid():
        data = form.cleaned_data if form.is_bound else {}
        since, until = form.bounds() if form.is_bound else (None, None)
        flt = audit.SignInFilter(
            username=(data.get("username") or "").strip(),
            outcome=data.get("outcome") or "",
            since=since,
            until=until,
        )
        rows, has_more = audit.sign_ins(flt, page)
    return render(
        request,
        "crm/audit_sign_ins.html",
        {
            "form": form,
            "rows": rows,
            "page": page,
            "has_more": has_more,
            "locked": list(audit.locked_out()[:100]),
        },
    )


@login_required
@require_POST
def audit_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    """Lift a lockout now (the username + address pair may try again)."""
    from axes.models import AccessAttempt

    _admin_only(request)
    attempt = AccessAttempt.objects.filter(pk=pk).first()
    if attempt is None:
        raise Http404
    attempt.delete()
    log.info(
        "%s unlocked logins of %r from %s",
        request.user.username,
        attempt.username,
        attempt.ip_address,
    )
    messages.success(
        request,
        _t("Logging in as %(username)s from %(address)s is allowed again.")
        % {"username": attempt.username, "address": attempt.ip_address},
    )
    return redirect("audit-sign-ins")
