"""The audit trail for administrators: who changed what and when, read from the history every
app keeps (django-simple-history: one history table per model), and who logged in or failed to
(django-axes' access logs).

The change list is ONE query: a UNION ALL over the history tables (or one table when a model is
chosen), each filtered first, ordered by time (every history table indexes `history_date`),
limited to one page plus one row (to know whether there is an older page; no COUNT over millions
of history rows). A row's field-by-field changes are shown on its own page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache

from django.apps import apps
from django.db import models
from django.db.models import CharField, F, Value
from django.db.models.functions import Cast
from simple_history.models import HistoricalChanges

PAGE_SIZE = 50


@cache
def history_models() -> dict[str, type[models.Model]]:
    """Every history model, keyed by the tracked model's label ("customers.customer")."""
    found = {}
    for model in apps.get_models():
        if issubclass(model, HistoricalChanges) and hasattr(model, "instance_type"):
            found[model.instance_type._meta.label_lower] = model
    return dict(sorted(found.items()))


def model_choices() -> list[tuple[str, str]]:
    return sorted(
        ((label, str(m.instance_type._meta.verbose_name).capitalize()))
        for label, m in history_models().items()
    )


@dataclass(frozen=True)
class ChangeFilter:
    user_id: int | None = None
    model: str | None = None  # a key of history_models()
    since: dt.datetime | None = None
    until: dt.datetime | None = None


def _rows(model_label: str, hist: type[models.Model], flt: ChangeFilter):
    qs = hist._default_manager.all()
    if flt.user_id:
        qs = qs.filter(history_user_id=flt.user_id)
    if flt.since:
        qs = qs.filter(history_date__gte=flt.since)
    if flt.until:
        qs = qs.filter(history_date__lt=flt.until)
    pk_name = hist.instance_type._meta.pk.attname
    return qs.order_by().values_list(
        "history_id",
        "history_date",
        "history_type",
        "history_user_id",
        Cast(F(pk_name), CharField()),
        Value(model_label, output_field=CharField()),
    )


def changes(flt: ChangeFilter, page: int = 1) -> tuple[list[tuple], bool]:
    """One page of changes, newest first: (history_id, when, type "+"/"~"/"-", user id, object
    id, model label) rows, and whether an older page exists."""
    registry = history_models()
    labels = [flt.model] if flt.model else list(registry)
    parts = [_rows(label, registry[label], flt) for label in labels if label in registry]
    if not parts:
        return [], False
    query = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    offset = (max(page, 1) - 1) * PAGE_SIZE
    rows = list(query.order_by("-history_date", "-history_id")[offset : offset + PAGE_SIZE + 1])
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def change_detail(model_label: str, history_id: int):
    """One history row, the row before it for the same object, and the field changes between
    them as (field verbose name, old, new)."""
    hist = history_models()[model_label]
    record = hist._default_manager.select_related("history_user").get(history_id=history_id)
    previous = record.prev_record
    diffs = []
    if previous is not None:
        delta = record.diff_against(previous)
        for change in delta.changes:
            field = hist.instance_type._meta.get_field(change.field)
            diffs.append((field.verbose_name, change.old, change.new))
    else:
        # The first version: every field the history keeps (fields a model leaves out of its
        # history, such as a person's password, are not on the record).
        for field in hist.instance_type._meta.concrete_fields:
            if hasattr(record, field.attname):
                diffs.append((field.verbose_name, None, getattr(record, field.attname)))
    return record, previous, diffs


def object_url(model_label: str, object_id: str) -> str | None:
    """The object's page, when its model has one (a deleted object's link shows a 404)."""
    model = apps.get_model(model_label)
    if not hasattr(model, "get_absolute_url"):
        return None
    try:
        return model(pk=model._meta.pk.to_python(object_id)).get_absolute_url()
    except Exception:  # a URL built from other fields than the pk: no link
        return None


@dataclass(frozen=True)
class SignInFilter:
    username: str = ""
    outcome: str = ""  # "", "ok", "failed"
    since: dt.datetime | None = None
    until: dt.datetime | None = None


def sign_ins(flt: SignInFilter, page: int = 1) -> tuple[list[tuple], bool]:
    """Successful and failed logins, newest first: (when, username, address, user agent, "ok" /
    "failed", locked out, logout time) rows, and whether an older page exists."""
    from axes.models import AccessFailureLog, AccessLog

    def narrowed(qs):
        if flt.username:
            qs = qs.filter(username=flt.username)
        if flt.since:
            qs = qs.filter(attempt_time__gte=flt.since)
        if flt.until:
            qs = qs.filter(attempt_time__lt=flt.until)
        return qs.order_by()

    ok = narrowed(AccessLog.objects.all()).values_list(
        "attempt_time",
        "username",
        "ip_address",
        "user_agent",
        Value("ok", output_field=CharField()),
        Value(False, output_field=models.BooleanField()),
        "logout_time",
    )
    failed = narrowed(AccessFailureLog.objects.all()).values_list(
        "attempt_time",
        "username",
        "ip_address",
        "user_agent",
        Value("failed", output_field=CharField()),
        "locked_out",
        Value(None, output_field=models.DateTimeField()),
    )
    parts = {"ok": [ok], "failed": [failed]}.get(flt.outcome, [ok, failed])
    query = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    offset = (max(page, 1) - 1) * PAGE_SIZE
    rows = list(query.order_by("-attempt_time")[offset : offset + PAGE_SIZE + 1])
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def locked_out():
    """The username + address pairs locked out right now (django-axes' attempts at the limit,
    within the cool-off time)."""
    from axes.models import AccessAttempt
    from django.conf import settings
    from django.utils import timezone

    qs = AccessAttempt.objects.filter(failures_since_start__gte=settings.AXES_FAILURE_LIMIT)
    if settings.AXES_COOLOFF_TIME:
        qs = qs.filter(attempt_time__gte=timezone.now() - settings.AXES_COOLOFF_TIME)
    return qs.order_by("-attempt_time")
