"""The scheme form (settings and grade bands) and its items formset."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.utils.translation import gettext_lazy as _

from performance.metrics import get_metric, metric_choices
from performance.models import KpiScheme, KpiSchemeItem
from performance.models.schemes import DEFAULT_BANDS, DEFAULT_CAP

BANDS = ("S", "A", "B", "C")


class KpiSchemeForm(forms.ModelForm):
    """Name, code, position, team figures, adjustment limit and the lowest total of each grade
    (S > A > B > C; below C is D). The code is fixed once the scheme exists."""

    band_s = forms.DecimalField(label=_("S from"), max_digits=6, decimal_places=2, min_value=0)
    band_a = forms.DecimalField(label=_("A from"), max_digits=6, decimal_places=2, min_value=0)
    band_b = forms.DecimalField(label=_("B from"), max_digits=6, decimal_places=2, min_value=0)
    band_c = forms.DecimalField(label=_("C from"), max_digits=6, decimal_places=2, min_value=0)

    class Meta:
        model = KpiScheme
        fields = ["name", "code", "position", "uses_team_figures", "adjustment_limit", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bands = (self.instance.bands if self.instance.pk else None) or DEFAULT_BANDS
        for letter in BANDS:
            self.fields[f"band_{letter.lower()}"].initial = Decimal(str(bands.get(letter, "0")))
        if self.instance.pk:
            self.fields["code"].disabled = True
            self.fields["code"].help_text = _("Versions of a scheme share its code.")

    def clean(self):
        data = super().clean()
        values = [data.get(f"band_{letter.lower()}") for letter in BANDS]
        if all(v is not None for v in values):
            for i in range(1, len(BANDS)):
                if values[i] >= values[i - 1]:
                    self.add_error(
                        f"band_{BANDS[i].lower()}",
                        _("Each grade must start below the one above it (S > A > B > C)."),
                    )
                    break
        return data

    @property
    def bands(self) -> dict[str, str]:
        return {letter: str(self.cleaned_data[f"band_{letter.lower()}"]) for letter in BANDS}

    def scheme_fields(self) -> dict:
        data = {
            name: self.cleaned_data[name]
            for name in ("name", "position", "uses_team_figures", "adjustment_limit", "note")
        }
        data["bands"] = self.bands
        return data


class KpiSchemeItemForm(forms.ModelForm):
    metric = forms.ChoiceField(label=_("Metric"))

    class Meta:
        model = KpiSchemeItem
        fields = ["metric", "weight", "target_source", "target", "cap"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["metric"].choices = [("", "---------"), *metric_choices()]
        self.fields["cap"].initial = DEFAULT_CAP
        self.fields["cap"].required = False

    def clean(self):
        data = super().clean()
        key, source = data.get("metric"), data.get("target_source")
        if not key:
            return data
        metric = get_metric(key)
        if source == KpiSchemeItem.TargetSource.PLAN and not metric.plan_field:
            self.add_error(
                "target_source", _("This metric has no target in the sales plan: give a value.")
            )
        if source == KpiSchemeItem.TargetSource.FIXED and data.get("target") is None:
            self.add_error("target", _("Give the target value."))
        if data.get("cap") is None:
            data["cap"] = DEFAULT_CAP
        return data


class BaseItemFormSet(BaseInlineFormSet):
    def clean(self):
        if any(self.errors):
            return
        seen = set()
        kept = 0
        for form in self.forms:
            if not form.cleaned_data or form.cleaned_data.get("DELETE"):
                continue
            metric = form.cleaned_data.get("metric")
            if not metric:
                continue
            if metric in seen:
                form.add_error("metric", _("Each metric may appear once in a scheme."))
            seen.add(metric)
            kept += 1
        if any(self.errors):
            return  # (said on the row; Django's own duplicate check would say it again)
        super().clean()
        if not kept:
            raise forms.ValidationError(_("A scheme needs at least one item."))

    def items(self) -> list[dict]:
        """The kept rows, in order, as plain dicts for the service."""
        rows = []
        for form in self.forms:
            data = form.cleaned_data
            if not data or data.get("DELETE") or not data.get("metric"):
                continue
            rows.append({name: data.get(name) for name in KpiSchemeItemForm.Meta.fields})
        return rows


def ItemFormSet(*args, instance: KpiScheme, **kwargs):  # noqa: N802 (a formset class stand-in)
    """The items formset with a row for every metric that could still be added (each metric
    appears once in a scheme), at least one empty row."""
    existing = instance.items.count() if instance.pk else 0
    extra = max(1, len(metric_choices()) - existing)
    formset_class = inlineformset_factory(
        KpiScheme,
        KpiSchemeItem,
        form=KpiSchemeItemForm,
        formset=BaseItemFormSet,
        extra=extra,
        can_delete=True,
    )
    return formset_class(*args, instance=instance, **kwargs)
