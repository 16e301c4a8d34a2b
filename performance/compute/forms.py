"""The "compute scorecards" form: a period (month, quarter or year) and a team subtree."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.models import Team
from performance.compute.selectors import is_company_wide, run_teams
from performance.models import EvaluationPeriod
from performance.periods import MONTH, QUARTER, YEAR, Period


def period_choices(count_months: int = 13) -> list[tuple[str, list[tuple[str, str]]]]:
    """Recent periods, newest first, grouped by kind: this month and the 12 before it, this
    quarter and the 4 before it, this year and the last."""
    months, period = [], Period.containing(kind=MONTH)
    for _i in range(count_months):
        months.append((period.key, period.key))
        period = period.previous()
    quarters, period = [], Period.containing(kind=QUARTER)
    for _i in range(5):
        quarters.append((period.key, period.key))
        period = period.previous()
    year = Period.containing(kind=YEAR)
    years = [(year.key, year.key), (year.previous().key, year.previous().key)]
    return [(_("Month"), months), (_("Quarter"), quarters), (_("Year"), years)]


class TeamChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Team) -> str:
        return obj.indented_name


class RunForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"))
    team = TeamChoiceField(label=_("Team"), queryset=Team.objects.none(), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["period"].choices = period_choices()
        self.fields["period"].initial = Period.containing().key
        self.fields["team"].queryset = run_teams(user)
        if is_company_wide(user):
            self.fields["team"].empty_label = _("The whole company")
        else:
            self.fields["team"].required = True
            self.fields["team"].empty_label = None

    def clean_period(self) -> Period:
        try:
            period = Period.parse(self.cleaned_data["period"])
        except ValueError as exc:
            raise forms.ValidationError(_("Choose a period.")) from exc
        if EvaluationPeriod.objects.filter(key=period.key, status="published").exists():
            raise forms.ValidationError(_("This period is published: its scorecards are frozen."))
        return period
