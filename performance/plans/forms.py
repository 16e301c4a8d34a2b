"""The row form of the plan grid: three targets, Decimal money, whole numbers >= 0."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from performance.plans.selectors import TARGETS

INT_MAX = 2_147_483_647


class PlanRowForm(forms.Form):
    """One row of the grid. All three cells empty means "no plan" for this row; a row with some
    cells filled treats the empty ones as 0."""

    revenue_target = forms.DecimalField(
        label=_("Revenue target"),
        required=False,
        min_value=Decimal("0"),
        max_digits=14,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}),
    )
    new_customer_target = forms.IntegerField(
        label=_("New-customer target"),
        required=False,
        min_value=0,
        max_value=INT_MAX,
        widget=forms.NumberInput(attrs={"min": "0", "inputmode": "numeric"}),
    )
    visit_target = forms.IntegerField(
        label=_("Visit target"),
        required=False,
        min_value=0,
        max_value=INT_MAX,
        widget=forms.NumberInput(attrs={"min": "0", "inputmode": "numeric"}),
    )

    def __init__(self, *args: Any, row_label: str = "", readonly: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-control form-control-sm text-end"
            # The accessible name says whose target the cell is ("Revenue target: 王芳").
            field.widget = copy.deepcopy(field.widget)
            field.widget.attrs["aria-label"] = f"{field.label}: {row_label}"
            if readonly:
                field.disabled = True
        self.readonly = readonly

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = widget.attrs.get("class", "") + " is-invalid"

    def targets(self) -> dict[str, Any] | None:
        """The cleaned targets, or None when the row was left empty (no plan)."""
        data = self.cleaned_data
        if all(data.get(name) is None for name in TARGETS):
            return None
        return {
            "revenue_target": data.get("revenue_target") or Decimal("0.00"),
            "new_customer_target": data.get("new_customer_target") or 0,
            "visit_target": data.get("visit_target") or 0,
        }
