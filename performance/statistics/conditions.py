"""Conditions of a custom statistic: validating a value against its field's type (a form's
input or a stored definition) and turning a stored condition into a filter.

Stored values are canonical strings (a Decimal's text, an ISO date, a primary key), so a
definition is plain JSON; they become Decimals, dates and aware datetimes (in TIME_ZONE) only
here, when the filter is built.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from crm.dates import start_of_day
from performance.statistics.modules import (
    BOOLEAN,
    CHOICE,
    CUSTOMER,
    DATE,
    DATETIME,
    MONEY,
    NO_VALUE,
    NUMBER,
    TEAM,
    TEXT,
    USER,
    FieldSpec,
    InvalidDefinitionError,
    ModuleSpec,
)

MAX_LIST = 100
MIN_YEAR, MAX_YEAR = 1900, 2999


# --- values -------------------------------------------------------------------------------


def _one(spec: FieldSpec, raw: Any, *, user=None, stored: bool = False) -> str:
    """Validate one raw value for `spec`; return its canonical (JSON) string."""
    if isinstance(raw, list | tuple | dict) or raw is None:
        raise ValidationError(_("Enter a single value."))
    text = str(raw).strip()
    if not text:
        raise ValidationError(_("Enter a value."))
    if spec.type == TEXT:
        if len(text) > 200:
            raise ValidationError(_("At most 200 characters."))
        return text
    if spec.type == CHOICE:
        if text not in {str(k) for k, _label in spec.choices}:
            raise ValidationError(_("%(value)s is not one of the choices."), params={"value": text})
        return text
    if spec.type in (NUMBER, MONEY):
        try:
            number = Decimal(text.replace(",", ""))
        except InvalidOperation:
            raise ValidationError(_("Enter a number.")) from None
        if not number.is_finite() or abs(number) >= Decimal("1e12"):
            raise ValidationError(_("Enter a number."))
        if spec.type == MONEY and number != number.quantize(Decimal("0.01")):
            raise ValidationError(_("At most two decimal places."))
        if spec.whole:
            if number != number.to_integral_value():
                raise ValidationError(_("Enter a whole number."))
            number = number.quantize(Decimal(1))
        return str(number)
    if spec.type in (DATE, DATETIME):
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            raise ValidationError(_("Enter a date as YYYY-MM-DD.")) from None
        # Whole-day ranges add a day and timestamps are converted to UTC: keep clear of the
        # calendar's ends (9999-12-31 + 1 day, 0001-01-01 in UTC overflow).
        if not MIN_YEAR <= day.year <= MAX_YEAR:
            raise ValidationError(
                _("Enter a date between %(low)s and %(high)s."),
                params={"low": MIN_YEAR, "high": MAX_YEAR},
            )
        return day.isoformat()
    if spec.type == BOOLEAN:
        if text.lower() in ("true", "1", "yes"):
            return "true"
        if text.lower() in ("false", "0", "no"):
            return "false"
        raise ValidationError(_("Choose yes or no."))
    if spec.type in (USER, TEAM, CUSTOMER):
        if stored:
            # A stored definition holds primary keys; a deleted row simply matches nothing
            # (and running costs no query per condition).
            if not text.isdigit():
                raise ValidationError(_("Choose from the list."))
            return text
        return str(_resolve_pk(spec, text, user=user))
    raise InvalidDefinitionError(spec.type)  # pragma: no cover (every type is handled above)


def _resolve_pk(spec: FieldSpec, text: str, *, user=None) -> int:
    from crm.models import Team, User
    from customers.models import Customer

    if spec.type == CUSTOMER:
        # Typed as the customer's code; only customers the author can see (no probing).
        qs = Customer.objects.visible_to(user) if user is not None else Customer.objects.all()
        pk = qs.filter(code__iexact=text).values_list("pk", flat=True).first()
        if pk is None and text.isdigit():
            pk = qs.filter(pk=int(text)).values_list("pk", flat=True).first()
        if pk is None:
            raise ValidationError(_("No customer with code %(code)s."), params={"code": text})
        return pk
    if not text.isdigit():
        raise ValidationError(_("Choose from the list."))
    model = User if spec.type == USER else Team
    if not model.objects.filter(pk=int(text)).exists():
        raise ValidationError(_("Choose from the list."))
    return int(text)


def clean_condition(module: ModuleSpec, data: dict, *, user=None, stored: bool = False) -> dict:
    """Validate one condition {"field", "op", "value"} from a form or a stored definition and
    return it canonical (values as strings). Field errors are keyed "field", "op" or "value"."""
    if not isinstance(data, dict):
        raise ValidationError({"field": _("Not a condition.")})
    key = data.get("field")
    if not isinstance(key, str) or key not in module.fields:
        raise ValidationError({"field": _("Choose a field of this module.")})
    spec = module.fields[key]
    op = data.get("op")
    if not isinstance(op, str) or op not in spec.operators:
        raise ValidationError({"op": _("This operator does not apply to this field.")})
    raw = data.get("value")
    try:
        if op in NO_VALUE:
            value: Any = None
        elif op == "last_days":
            text = str(raw or "").strip()
            if not text.isdigit() or not 1 <= int(text) <= 3660:
                raise ValidationError(_("Enter a number of days from 1 to 3660."))
            value = str(int(text))
        elif op == "between":
            if not isinstance(raw, list | tuple) or len(raw) != 2:
                raise ValidationError(_("Enter both ends of the range."))
            low = _one(spec, raw[0], user=user, stored=stored)
            high = _one(spec, raw[1], user=user, stored=stored)
            if _typed(spec, low) > _typed(spec, high):
                raise ValidationError(_("The first value must not be above the second."))
            value = [low, high]
        elif op == "in":
            items = raw if isinstance(raw, list | tuple) else str(raw or "").split(",")
            items = [i for i in (str(x).strip() for x in items) if i]
            if not items:
                raise ValidationError(_("Enter at least one value."))
            if len(items) > MAX_LIST:
                raise ValidationError(_("At most 100 values."))
            value = [_one(spec, i, user=user, stored=stored) for i in items]
        else:
            value = _one(spec, raw, user=user, stored=stored)
    except ValidationError as exc:
        raise ValidationError({"value": exc.messages}) from None
    return {"field": key, "op": op, "value": value}


def _typed(spec: FieldSpec, text: str) -> Any:
    """A canonical string as the field's Python type."""
    if spec.type in (NUMBER, MONEY):
        return Decimal(text)
    if spec.type in (DATE, DATETIME):
        return dt.date.fromisoformat(text)
    if spec.type == BOOLEAN:
        return text == "true"
    if spec.type in (USER, TEAM, CUSTOMER):
        return int(text)
    return text


# --- conditions to Q ------------------------------------------------------------------------


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _date_range(spec: FieldSpec, start: dt.date | None, end: dt.date | None) -> models.Q:
    """start <= value < end (days, end exclusive), on a date or an aware datetime column."""
    q = models.Q()
    if spec.type == DATETIME:
        if start is not None:
            q &= models.Q(**{f"{spec.path}__gte": start_of_day(start)})
        if end is not None:
            q &= models.Q(**{f"{spec.path}__lt": start_of_day(end)})
    else:
        if start is not None:
            q &= models.Q(**{f"{spec.path}__gte": start})
        if end is not None:
            q &= models.Q(**{f"{spec.path}__lt": end})
    return q


def condition_q(module: ModuleSpec, condition: dict, *, today: dt.date) -> models.Q:
    """The filter of one stored condition; anything outside the whitelist raises
    InvalidDefinitionError."""
    try:
        cond = clean_condition(module, condition, stored=True)
    except ValidationError as exc:
        raise InvalidDefinitionError(str(exc.messages)) from None
    spec = module.fields[cond["field"]]
    op, value, path = cond["op"], cond["value"], spec.path
    day = dt.timedelta(days=1)

    if op in ("empty", "not_empty"):
        q = models.Q(**{f"{path}__isnull": True})
        if spec.type in (TEXT, CHOICE):
            q |= models.Q(**{path: ""})
        return q if op == "empty" else ~q
    if op == "this_month":
        start = _month_start(today)
        return _date_range(spec, start, (start + dt.timedelta(days=32)).replace(day=1))
    if op == "last_month":
        end = _month_start(today)
        return _date_range(spec, _month_start(end - day), end)
    if op == "last_days":
        return _date_range(spec, today - dt.timedelta(days=int(value) - 1), today + day)

    if op == "in":
        return models.Q(**{f"{path}__in": [_typed(spec, v) for v in value]})
    if op == "between":
        low, high = (_typed(spec, v) for v in value)
        if spec.type in (DATE, DATETIME):
            return _date_range(spec, low, high + day)
        return models.Q(**{f"{path}__gte": low, f"{path}__lte": high})

    typed = _typed(spec, value)
    if spec.type in (DATE, DATETIME):
        # Days compare whole days: "on or before the 5th" includes all of the 5th.
        ranges = {
            "eq": (typed, typed + day),
            "gt": (typed + day, None),
            "gte": (typed, None),
            "lt": (None, typed),
            "lte": (None, typed + day),
        }
        if op == "ne":
            return ~_date_range(spec, typed, typed + day) | models.Q(**{f"{path}__isnull": True})
        return _date_range(spec, *ranges[op])
    if op == "eq":
        return models.Q(**{path: typed})
    if op == "ne":
        q = ~models.Q(**{path: typed})
        nullable = spec.type in (USER, TEAM, NUMBER, MONEY)
        return q | models.Q(**{f"{path}__isnull": True}) if nullable else q
    if op == "contains":
        return models.Q(**{f"{path}__icontains": typed})
    return models.Q(**{f"{path}__{op}": typed})  # gt / gte / lt / lte on numbers and text
