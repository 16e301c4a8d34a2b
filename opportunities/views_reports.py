"""Forecast, funnel and win-rate pages: a period form, a chart (Chart.js, data handed over with
json_script) and the same figures as a table."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from opportunities import reports
from opportunities.forms import LabelChoiceField
from opportunities.models import Pipeline

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PeriodForm(forms.Form):
    start = forms.DateField(label=gettext_lazy("From"), required=False, widget=DATE)
    end = forms.DateField(label=gettext_lazy("To"), required=False, widget=DATE)
    pipeline = LabelChoiceField(
        label=gettext_lazy("Pipeline"),
        queryset=Pipeline.objects.filter(is_active=True),
        required=False,
        empty_label=gettext_lazy("All pipelines"),
    )

    def period(self, default_days: int = 90) -> tuple[dt.date, dt.date]:
        today = timezone.localdate()
        data = self.cleaned_data if self.is_valid() else {}
        end = data.get("end") or today
        start = data.get("start") or end - dt.timedelta(days=default_days - 1)
        if start > end:
            start, end = end, start
        return start, end


class ForecastForm(PeriodForm):
    months = forms.IntegerField(
        label=gettext_lazy("Months"), min_value=1, max_value=24, required=False, initial=6
    )
    group = forms.ChoiceField(
        label=gettext_lazy("Per"),
        required=False,
        choices=[
            ("owner", gettext_lazy("Rep")),
            ("team", gettext_lazy("Team")),
            ("total", gettext_lazy("Total")),
        ],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["end"]
        self.fields["start"].label = gettext_lazy("First month")


def _money(value) -> str:
    return f"{value:.2f}"


@login_required
@require_GET
def forecast(request: HttpRequest) -> HttpResponse:
    form = ForecastForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    start = data.get("start") or timezone.localdate()
    group = data.get("group") or "owner"
    if not form.is_bound:
        form = ForecastForm(initial={"start": start, "months": 6, "group": group})
    result = reports.forecast(
        viewer=request.user,
        start=start,
        months=data.get("months") or 6,
        group=group,
        pipeline=data.get("pipeline"),
    )
    labels = [date_format(m, "YEAR_MONTH_FORMAT") for m in result.months]
    chart = {
        "type": "bar",
        "labels": labels,
        "datasets": [
            {
                "label": _("Weighted amount"),
                "data": [
                    _money(result.totals.months.get(m, {}).get("weighted", 0))
                    for m in result.months
                ],
            },
            {
                "label": _("Amount"),
                "data": [
                    _money(result.totals.months.get(m, {}).get("amount", 0)) for m in result.months
                ],
            },
        ],
    }
    return render(
        request,
        "opportunities/forecast.html",
        {"form": form, "forecast": result, "chart": chart, "group": group},
    )


@login_required
@require_GET
def funnel(request: HttpRequest) -> HttpResponse:
    form = PeriodForm(request.GET or None)
    start, end = form.period()
    pipeline = (form.cleaned_data.get("pipeline") if form.is_valid() else None) or (
        Pipeline.objects.filter(is_active=True).order_by("-is_default", "order", "id").first()
    )
    if not form.is_bound:  # show the period and pipeline the figures are for
        form = PeriodForm(initial={"start": start, "end": end, "pipeline": pipeline})
    steps = times = []
    if pipeline is not None:
        steps = reports.funnel(viewer=request.user, pipeline=pipeline, start=start, end=end)
        times = reports.stage_times(viewer=request.user, pipeline=pipeline, start=start, end=end)
    chart = {
        "type": "bar",
        "indexAxis": "y",
        "labels": [s.stage.label for s in steps],
        "datasets": [
            {"label": _("Opportunities reaching the stage"), "data": [s.reached for s in steps]}
        ],
    }
    days_chart = {
        "type": "bar",
        "labels": [t.stage.label for t in times],
        "datasets": [
            {
                "label": _("Average days in the stage"),
                "data": [str(t.avg_days) if t.avg_days is not None else None for t in times],
            }
        ],
    }
    return render(
        request,
        "opportunities/funnel.html",
        {
            "form": form,
            "pipeline": pipeline,
            "start": start,
            "end": end,
            "steps": steps,
            "times": times,
            "chart": chart,
            "days_chart": days_chart,
        },
    )


@login_required
@require_GET
def win_rate(request: HttpRequest) -> HttpResponse:
    form = PeriodForm(request.GET or None)
    start, end = form.period()
    pipeline = form.cleaned_data.get("pipeline") if form.is_valid() else None
    if not form.is_bound:
        form = PeriodForm(initial={"start": start, "end": end})
    rows, total = reports.win_rates(viewer=request.user, start=start, end=end, pipeline=pipeline)
    chart = {
        "type": "bar",
        "labels": [str(r.owner) for r in rows],
        "datasets": [
            {
                "label": _("Win rate (%)"),
                "data": [str(r.win_rate) if r.win_rate is not None else None for r in rows],
            }
        ],
    }
    return render(
        request,
        "opportunities/win_rate.html",
        {"form": form, "rows": rows, "total": total, "start": start, "end": end, "chart": chart},
    )
