"""The statistic builder: the definition form plus one small form per condition row.

Rows are posted as c-<i>-field / c-<i>-op / c-<i>-value / c-<i>-value2 with c-count; the builder
re-indexes them when a row is added or removed, so the page works with or without htmx. Each
row's value widget follows its field's type and operator (a select of the choices, a date, a
user picker...). Every value is validated by conditions.clean_condition, the same function that
guards a stored definition when it runs.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext_lazy as _

from crm.models import Position, Team, User
from crm.widgets import FastSelect
from performance.models import CustomStatistic
from performance.statistics.conditions import clean_condition
from performance.statistics.engine import MAX_CONDITIONS
from performance.statistics.modules import (
    BOOLEAN,
    CHOICE,
    CUSTOMER,
    DATE,
    DATETIME,
    NO_VALUE,
    OPERATORS,
    TEAM,
    USER,
    ModuleSpec,
    modules,
)

ROW_FIELDS = ("field", "op", "value", "value2")


class FastSelectMultiple(FastSelect):
    """FastSelect for several values (a long list of people)."""

    allow_multiple_selected = True

    def __init__(self, attrs=None, choices=()):
        super().__init__({**(attrs or {}), "multiple": True}, choices)

    def value_from_datadict(self, data, files, name):
        getter = getattr(data, "getlist", None)
        return getter(name) if getter else data.get(name)

    def value_omitted_from_data(self, data, files, name):
        return False


class StatisticForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    module = forms.ChoiceField(label=_("Module"), choices=CustomStatistic.Module.choices)
    measure = forms.ChoiceField(label=_("Measure"), choices=CustomStatistic.Measure.choices)
    measure_field = forms.ChoiceField(label=_("Of field"), required=False)
    grouping = forms.ChoiceField(label=_("Group by"), choices=CustomStatistic.Grouping.choices)
    shared_positions = forms.ModelMultipleChoiceField(
        label=_("Share with positions"),
        queryset=Position.objects.order_by("kind"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    shared_users = forms.ModelMultipleChoiceField(
        label=_("Share with people"),
        queryset=User.objects.filter(is_active=True).order_by("username"),
        widget=FastSelectMultiple(attrs={"class": "form-select", "size": 6}),
        required=False,
    )

    def __init__(self, *args, module: ModuleSpec, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.module = module
        # Share with the people one may see (the People page's rule): no names of other teams.
        self.fields["shared_users"].queryset = (
            User.objects.visible_to(user).filter(is_active=True).order_by("username")
        )
        self.fields["measure_field"].choices = [("", "—")] + [
            (key, module.fields[key].label) for key in module.measures
        ]
        users = self.fields["shared_users"]
        users.widget.choices = [
            (u.pk, f"{u.get_full_name() or u.username} ({u.username})") for u in users.queryset
        ]
        for name, field in self.fields.items():
            if name != "shared_positions" and "class" not in field.widget.attrs:
                css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
                field.widget.attrs["class"] = css

    def clean(self):
        data = super().clean()
        measure = data.get("measure")
        if measure and measure != CustomStatistic.Measure.COUNT:
            if not data.get("measure_field"):
                self.add_error("measure_field", _("Choose the field to sum or average."))
        elif measure == CustomStatistic.Measure.COUNT:
            data["measure_field"] = ""
        return data


class ConditionForm(forms.Form):
    field = forms.ChoiceField(label=_("Field"))
    op = forms.ChoiceField(label=_("Operator"))
    value = forms.Field(label=_("Value"), required=False)
    value2 = forms.Field(label=_("and"), required=False)

    def __init__(self, *args, module: ModuleSpec, user, lookups: dict, url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.module, self.user = module, user
        self.condition: dict | None = None
        self.fields["field"].choices = [("", "—")] + [
            (key, spec.label) for key, spec in module.fields.items()
        ]
        field_key = self._raw("field")
        spec = module.fields.get(field_key) if isinstance(field_key, str) else None
        ops = spec.operators if spec else tuple(OPERATORS)
        self.fields["op"].choices = [(op, OPERATORS[op]) for op in ops]
        op = self._raw("op")
        op = op if op in ops else ops[0]
        self.spec, self.op = spec, op
        self.fields["value"].widget = _value_widget(spec, op, lookups)
        self.fields["value2"].widget = _value_widget(spec, "eq", lookups)
        initial_value = None if self.is_bound else self.initial.get("value")
        if isinstance(initial_value, list) and isinstance(
            self.fields["value"].widget, forms.TextInput
        ):
            self.initial["value"] = ", ".join(str(v) for v in self.initial["value"])
        self.needs_value = op not in NO_VALUE
        self.is_range = op == "between"
        for name in ("field", "op"):
            attrs = self.fields[name].widget.attrs
            attrs["class"] = "form-select form-select-sm"
            if url:
                # Another field or operator brings another value widget: redraw the builder.
                attrs.update(
                    {
                        "hx-post": url,
                        "hx-vals": '{"action": "refresh"}',
                        "hx-trigger": "change",
                        "hx-include": "#builder",
                        "hx-target": "#builder",
                        "hx-swap": "outerHTML",
                    }
                )

    def _raw(self, name: str):
        if self.is_bound:
            return self.data.get(self.add_prefix(name))
        return self.initial.get(name)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        raw = data.get("value")
        if data.get("op") == "between":
            raw = [raw, data.get("value2")]
        try:
            self.condition = clean_condition(
                self.module,
                {"field": data.get("field"), "op": data.get("op"), "value": raw},
                user=self.user,
            )
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                self.add_error(key if key in self.fields else None, messages)
        return data


def _value_widget(spec, op: str, lookups: dict) -> forms.Widget:
    small = {"class": "form-control form-control-sm"}
    select = {"class": "form-select form-select-sm"}
    if spec is None or op in NO_VALUE:
        return forms.HiddenInput()
    multi = op == "in"
    if spec.type == CHOICE:
        choices = list(spec.choices)
        return forms.SelectMultiple(select, choices) if multi else forms.Select(select, choices)
    if spec.type == BOOLEAN:
        return forms.Select(select, [("true", _("Yes")), ("false", _("No"))])
    if spec.type in (USER, TEAM):
        choices = lookups[spec.type]()
        if multi:
            return FastSelectMultiple({**select, "size": 4}, choices)
        return FastSelect(select, choices)
    if spec.type in (DATE, DATETIME):
        if op == "last_days":
            return forms.NumberInput({**small, "min": 1, "max": 3660})
        return forms.DateInput({**small, "type": "date"})
    attrs = dict(small)
    if multi:
        attrs["placeholder"] = _("values separated by commas")
    elif spec.type == "customer":
        attrs["placeholder"] = _("customer code")
    return forms.TextInput(attrs)


class Builder:
    """The definition form and its condition rows, from a POST (or a saved statistic)."""

    def __init__(
        self,
        data=None,
        *,
        user,
        instance: CustomStatistic | None = None,
        action: str = "",
        url: str = "",
    ):
        self.user = user
        self._cache: dict = {}
        lookups = {USER: self._users, TEAM: self._teams}
        if data is not None:
            module_key = data.get("module")
            rows = [
                {name: _row_value(data, f"c-{i}-{name}") for name in ROW_FIELDS}
                for i in range(_count(data))
            ]
        elif instance is not None:
            module_key = instance.module
            stored = instance.conditions if isinstance(instance.conditions, list) else []
            # (A definition edited behind the form's back may hold anything: show what fits.)
            rows = [_row_from_condition(c) for c in stored if isinstance(c, dict)]
            module = modules().get(module_key)
            if module is not None:
                _customer_codes(module, rows, user)
        else:
            module_key, rows = "", []
        self.module = modules().get(module_key) or modules()["customers"]

        if action == "add" and len(rows) < MAX_CONDITIONS:
            rows.append({"field": "", "op": "", "value": "", "value2": ""})
        elif action.startswith("remove-") and action[7:].isdigit():
            index = int(action[7:])
            if index < len(rows):
                rows.pop(index)
        # Save and preview validate; add / remove / refresh only redraw (no errors yet).
        self.bound = data is not None and action in ("", "save", "preview")

        if data is not None:
            initial = {k: data.get(k) for k in ("name", "module", "measure", "measure_field")}
            initial["grouping"] = data.get("grouping")
            initial["shared_positions"] = _getlist(data, "shared_positions")
            initial["shared_users"] = _getlist(data, "shared_users")
        elif instance is not None:
            initial = {
                "name": instance.name,
                "module": instance.module,
                "measure": instance.measure,
                "measure_field": instance.measure_field,
                "grouping": instance.grouping,
                "shared_positions": [p.pk for p in instance.shared_positions.all()],
                "shared_users": [u.pk for u in instance.shared_users.all()],
            }
        else:
            initial = {}
        self.form = StatisticForm(
            data if self.bound else None, initial=initial, module=self.module, user=self.user
        )
        self.rows = []
        for i, row in enumerate(rows):
            prefix = f"c-{i}"
            if self.bound:
                row_data = MultiValueDict(
                    {f"{prefix}-{k}": (v if isinstance(v, list) else [v]) for k, v in row.items()}
                )
                form = ConditionForm(
                    row_data, prefix=prefix, module=self.module, user=user, lookups=lookups, url=url
                )
            else:
                form = ConditionForm(
                    prefix=prefix,
                    initial=row,
                    module=self.module,
                    user=user,
                    lookups=lookups,
                    url=url,
                )
            self.rows.append(form)

    def _users(self):
        if USER not in self._cache:
            self._cache[USER] = [("", "—")] + [
                (u.pk, u.get_full_name() or u.username)
                for u in User.objects.visible_to(self.user)
                .filter(is_active=True)
                .only("pk", "username", "first_name", "last_name")
                .order_by("username")
            ]
        return self._cache[USER]

    def _teams(self):
        if TEAM not in self._cache:
            self._cache[TEAM] = [("", "—")] + [
                (t.pk, t.indented_name) for t in Team.objects.filter(is_active=True)
            ]
        return self._cache[TEAM]

    @property
    def can_add(self) -> bool:
        return len(self.rows) < MAX_CONDITIONS

    def is_valid(self) -> bool:
        if not self.bound:
            return False
        valid = self.form.is_valid()
        rows_valid = [row.is_valid() for row in self.rows]  # every row, to show every error
        return valid and all(rows_valid)

    @property
    def conditions(self) -> list[dict]:
        return [row.condition for row in self.rows]

    @property
    def definition(self) -> dict:
        data = self.form.cleaned_data
        return {
            "name": data["name"],
            "module": data["module"],
            "conditions": self.conditions,
            "measure": data["measure"],
            "measure_field": data["measure_field"],
            "grouping": data["grouping"],
        }

    def unsaved(self) -> CustomStatistic:
        """The statistic as defined on the page, not saved (for the preview)."""
        return CustomStatistic(owner=self.user, **self.definition)


def _customer_codes(module: ModuleSpec, rows: list[dict], user) -> None:
    """A stored customer condition holds keys; the builder's box takes codes (what people
    type): show the codes, so that saving again resolves the same customers (one query)."""
    from customers.models import Customer

    rows = [r for r in rows if getattr(module.fields.get(r["field"]), "type", None) == CUSTOMER]
    pks = {
        int(v)
        for r in rows
        for v in (r["value"] if isinstance(r["value"], list) else [r["value"]])
        if str(v).isdigit()
    }
    if not pks:
        return
    codes = {
        str(pk): code
        for pk, code in Customer.objects.visible_to(user)
        .filter(pk__in=pks)
        .values_list("pk", "code")
    }
    for r in rows:
        if isinstance(r["value"], list):
            r["value"] = [codes.get(str(v), str(v)) for v in r["value"]]
        else:
            r["value"] = codes.get(str(r["value"]), r["value"])


def _count(data) -> int:
    raw = str(data.get("c-count") or "0")
    return min(int(raw), MAX_CONDITIONS) if raw.isdigit() and len(raw) < 4 else 0


def _getlist(data, key: str) -> list:
    getter = getattr(data, "getlist", None)
    return getter(key) if getter else data.get(key) or []


def _row_value(data, key: str):
    values = _getlist(data, key)
    if len(values) > 1:
        return values
    return values[0] if values else ""


def _row_from_condition(condition: dict) -> dict:
    value = condition.get("value")
    if isinstance(value, dict):
        value = ""

    def text(key: str) -> str:
        raw = condition.get(key)
        return raw if isinstance(raw, str) else ""

    row = {"field": text("field"), "op": text("op"), "value2": ""}
    if condition.get("op") == "between" and isinstance(value, list) and len(value) == 2:
        row["value"], row["value2"] = value
    elif condition.get("op") == "in" and isinstance(value, list):
        row["value"] = value
    else:
        row["value"] = value or ""
    return row
