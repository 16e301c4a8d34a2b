"""The whitelist a custom statistic is built from: per module, the model, the fields one may
filter on (each with a type), the numeric fields one may sum or average, who "owns" a row (for
the owner and team groupings) and its main date (for the month grouping).

Nothing outside these tables ever reaches the ORM: a definition naming another field, a related
lookup ("owner__password") or an unknown operator is refused (conditions.py), both when it is
saved (a field error) and when it is run (InvalidDefinitionError), so a row edited behind the
form's back cannot query anything either.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import models
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

# Field types.
TEXT, CHOICE, NUMBER, MONEY, DATE, DATETIME, BOOLEAN = (
    "text",
    "choice",
    "number",
    "money",
    "date",
    "datetime",
    "boolean",
)
USER, TEAM, CUSTOMER = "user", "team", "customer"

OPERATORS: dict[str, Promise] = {
    "eq": _("is"),
    "ne": _("is not"),
    "in": _("is one of"),
    "contains": _("contains"),
    "gt": _("greater than / after"),
    "gte": _("at least / on or after"),
    "lt": _("less than / before"),
    "lte": _("at most / on or before"),
    "between": _("between"),
    "empty": _("is empty"),
    "not_empty": _("is not empty"),
    "last_days": _("in the last N days"),
    "this_month": _("this month"),
    "last_month": _("last month"),
}

_COMPARE = ("eq", "ne", "gt", "gte", "lt", "lte", "between", "empty", "not_empty")
OPERATORS_BY_TYPE: dict[str, tuple[str, ...]] = {
    TEXT: ("eq", "ne", "in", "contains", "empty", "not_empty"),
    CHOICE: ("eq", "ne", "in", "empty", "not_empty"),
    NUMBER: _COMPARE,
    MONEY: _COMPARE,
    DATE: (*_COMPARE, "last_days", "this_month", "last_month"),
    DATETIME: (*_COMPARE, "last_days", "this_month", "last_month"),
    BOOLEAN: ("eq",),
    USER: ("eq", "ne", "in", "empty", "not_empty"),
    TEAM: ("eq", "ne", "in", "empty", "not_empty"),
    CUSTOMER: ("eq", "ne", "in"),
}
# Operators that take no value, and those that take a list.
NO_VALUE = frozenset({"empty", "not_empty", "this_month", "last_month"})


class InvalidDefinitionError(ValueError):
    """A stored definition that is not in the whitelist (never run)."""


@dataclass(frozen=True)
class FieldSpec:
    key: str
    path: str  # the ORM path, fixed here (never taken from input)
    type: str
    label: Promise
    choices: tuple[tuple[str, Any], ...] = ()
    # A number stored as an integer: the ORM would truncate 3.5 to 3 ("at least 3.5" would
    # then match 3), so only whole numbers are accepted.
    whole: bool = False

    @property
    def operators(self) -> tuple[str, ...]:
        return OPERATORS_BY_TYPE[self.type]


@dataclass(frozen=True)
class ModuleSpec:
    key: str
    model_label: str
    owner_path: str
    date_path: str
    fields: dict[str, FieldSpec] = field(default_factory=dict)
    measures: tuple[str, ...] = ()  # keys of NUMBER / MONEY fields that may be summed

    @property
    def model(self) -> type[models.Model]:
        return apps.get_model(self.model_label)

    @property
    def team_path(self) -> str:
        return f"{self.owner_path}__team"

    @property
    def date_is_datetime(self) -> bool:
        return self.field(self.date_key).type == DATETIME

    @property
    def date_key(self) -> str:
        return next(f.key for f in self.fields.values() if f.path == self.date_path)

    def field(self, key: str) -> FieldSpec:
        try:
            return self.fields[key]
        except (KeyError, TypeError):
            raise InvalidDefinitionError(f"unknown field {key!r}") from None


def _choices(model_label: str, name: str) -> tuple[tuple[str, Any], ...]:
    return tuple(apps.get_model(model_label)._meta.get_field(name).choices or ())


def _fields(model_label: str, *specs: tuple[str, str, str]) -> dict[str, FieldSpec]:
    """(key, path, type) triples: labels and choices come from the model's own field."""
    model = apps.get_model(model_label)
    out = {}
    for key, path, kind in specs:
        if kind == TEAM:
            label = _("team")
        else:
            # Follow the path to the last field for its verbose name (fixed paths only).
            target = model
            for part in path.split("__"):
                f = target._meta.get_field(part)
                target = f.related_model or target
            label = f.verbose_name
        choices = _choices(model_label, path) if kind == CHOICE else ()
        whole = kind == NUMBER and isinstance(f, models.IntegerField)
        out[key] = FieldSpec(
            key=key, path=path, type=kind, label=capfirst(label), choices=choices, whole=whole
        )
    return out


_MODULES: dict[str, ModuleSpec] | None = None


def _build() -> dict[str, ModuleSpec]:
    return {
        "customers": ModuleSpec(
            key="customers",
            model_label="customers.Customer",
            owner_path="owner",
            date_path="created_at",
            fields=_fields(
                "customers.Customer",
                ("name", "name", TEXT),
                ("code", "code", TEXT),
                ("kind", "kind", CHOICE),
                ("industry", "industry", CHOICE),
                ("scale", "scale", CHOICE),
                ("source", "source", CHOICE),
                ("level", "level", CHOICE),
                ("status", "status", CHOICE),
                ("segment", "segment", CHOICE),
                ("region", "region", TEXT),
                ("owner", "owner", USER),
                ("team", "owner__team", TEAM),
                ("is_locked", "is_locked", BOOLEAN),
                ("created_at", "created_at", DATETIME),
                ("last_contacted_at", "last_contacted_at", DATETIME),
                ("next_follow_up_on", "next_follow_up_on", DATE),
                ("last_order_on", "last_order_on", DATE),
                ("orders_12m", "orders_12m", NUMBER),
                ("revenue_12m", "revenue_12m", MONEY),
                ("completeness", "completeness", NUMBER),
            ),
            measures=("revenue_12m", "orders_12m", "completeness"),
        ),
        "leads": ModuleSpec(
            key="leads",
            model_label="leads.Lead",
            owner_path="owner",
            date_path="created_at",
            fields=_fields(
                "leads.Lead",
                ("name", "name", TEXT),
                ("company", "company", TEXT),
                ("source", "source", CHOICE),
                ("status", "status", CHOICE),
                ("industry", "industry", CHOICE),
                ("region", "region", TEXT),
                ("owner", "owner", USER),
                ("team", "owner__team", TEAM),
                ("created_at", "created_at", DATETIME),
                ("assigned_at", "assigned_at", DATETIME),
                ("first_contacted_at", "first_contacted_at", DATETIME),
                ("converted_at", "converted_at", DATETIME),
            ),
        ),
        "opportunities": ModuleSpec(
            key="opportunities",
            model_label="opportunities.Opportunity",
            owner_path="owner",
            date_path="created_at",
            fields=_fields(
                "opportunities.Opportunity",
                ("name", "name", TEXT),
                ("customer", "customer", CUSTOMER),
                ("status", "status", CHOICE),
                ("amount", "amount", MONEY),
                ("expected_close_on", "expected_close_on", DATE),
                ("closed_at", "closed_at", DATETIME),
                ("created_at", "created_at", DATETIME),
                ("owner", "owner", USER),
                ("team", "owner__team", TEAM),
            ),
            measures=("amount",),
        ),
        "orders": ModuleSpec(
            key="orders",
            model_label="orders.Order",
            owner_path="owner",
            date_path="order_date",
            fields=_fields(
                "orders.Order",
                ("number", "number", TEXT),
                ("customer", "customer", CUSTOMER),
                ("status", "status", CHOICE),
                ("order_date", "order_date", DATE),
                ("total", "total", MONEY),
                ("list_total", "list_total", MONEY),
                ("owner", "owner", USER),
                ("team", "owner__team", TEAM),
                ("created_at", "created_at", DATETIME),
            ),
            measures=("total", "list_total"),
        ),
        "payments": ModuleSpec(
            key="payments",
            model_label="orders.Payment",
            owner_path="receivable__owner",
            date_path="paid_on",
            fields=_fields(
                "orders.Payment",
                ("amount", "amount", MONEY),
                ("paid_on", "paid_on", DATE),
                ("method", "method", CHOICE),
                ("reference", "reference", TEXT),
                ("customer", "receivable__customer", CUSTOMER),
                ("owner", "receivable__owner", USER),
                ("team", "receivable__owner__team", TEAM),
            ),
            measures=("amount",),
        ),
        "activities": ModuleSpec(
            key="activities",
            model_label="customers.Activity",
            # Who did the follow-up (the visit KPI counts it for them); who may SEE it is the
            # model's own scope (the customer's owner), applied first by the engine.
            owner_path="owner",
            date_path="occurred_at",
            fields=_fields(
                "customers.Activity",
                ("kind", "kind", CHOICE),
                ("outcome", "outcome", CHOICE),
                ("occurred_at", "occurred_at", DATETIME),
                ("next_follow_up_on", "next_follow_up_on", DATE),
                ("customer", "customer", CUSTOMER),
                ("owner", "owner", USER),
                ("team", "owner__team", TEAM),
            ),
        ),
        "tickets": ModuleSpec(
            key="tickets",
            model_label="service.Ticket",
            # The rep who owned the customer when the ticket was opened (the complaint KPI's).
            owner_path="customer_owner",
            date_path="opened_at",
            fields=_fields(
                "service.Ticket",
                ("type", "type", CHOICE),
                ("channel", "channel", CHOICE),
                ("priority", "priority", CHOICE),
                ("summary", "summary", TEXT),
                ("customer", "customer", CUSTOMER),
                ("owner", "customer_owner", USER),
                ("team", "customer_owner__team", TEAM),
                ("assignee", "assignee", USER),
                ("opened_at", "opened_at", DATETIME),
                ("closed_at", "closed_at", DATETIME),
                ("satisfaction", "satisfaction", NUMBER),
            ),
            measures=("satisfaction",),
        ),
    }


def modules() -> dict[str, ModuleSpec]:
    global _MODULES
    if _MODULES is None:
        _MODULES = _build()
    return _MODULES


def get_module(key: str) -> ModuleSpec:
    try:
        return modules()[key]
    except (KeyError, TypeError):
        raise InvalidDefinitionError(f"unknown module {key!r}") from None
