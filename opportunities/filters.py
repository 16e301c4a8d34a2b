"""Filters of the opportunity list (django-filter). Each is an indexed column of
opportunities_opportunity (models.Opportunity.Meta.indexes) or the owner's team path."""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm.models import User
from crm.widgets import FastSelect
from customers.filters import TeamFilter, _teams
from opportunities.models import Opportunity, Pipeline, Stage

ANY = _("Any")


def _owners(request):
    if request is None:
        return User.objects.none()
    return User.objects.visible_to(request.user).filter(is_active=True).order_by("username")


def _pipelines(request):
    return Pipeline.objects.filter(is_active=True)


def _stages(request):
    return Stage.objects.filter(pipeline__is_active=True).select_related("pipeline")


class StageChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Stage) -> str:
        return f"{obj.pipeline.label} · {obj.label}"


class StageFilter(django_filters.ModelChoiceFilter):
    field_class = StageChoiceField


class MonthInput(forms.DateInput):
    input_type = "month"

    def format_value(self, value):
        if isinstance(value, dt.date):
            return f"{value:%Y-%m}"
        return value


class MonthField(forms.DateField):
    widget = MonthInput
    input_formats = ["%Y-%m"]


class MonthFilter(django_filters.Filter):
    field_class = MonthField


class OpportunityFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"), method="filter_search", widget=forms.TextInput(attrs={"type": "search"})
    )
    pipeline = django_filters.ModelChoiceFilter(
        label=_("Pipeline"), queryset=_pipelines, empty_label=ANY
    )
    stage = StageFilter(label=_("Stage"), queryset=_stages, empty_label=ANY)
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=Opportunity.Status.choices, empty_label=ANY
    )
    owner = django_filters.ModelChoiceFilter(
        label=_("Owner"), queryset=_owners, empty_label=ANY, widget=FastSelect
    )
    team = TeamFilter(
        label=_("Team"), queryset=_teams, method="filter_team", empty_label=ANY, widget=FastSelect
    )
    close_month = MonthFilter(label=_("Expected close month"), method="filter_close_month")
    amount_min = django_filters.NumberFilter(
        label=_("Amount from"), field_name="amount", lookup_expr="gte"
    )
    amount_max = django_filters.NumberFilter(
        label=_("Amount up to"), field_name="amount", lookup_expr="lte"
    )
    ordering = django_filters.OrderingFilter(
        label=_("Sort by"),
        fields=(
            ("created_at", "created_at"),
            ("amount", "amount"),
            ("expected_close_on", "expected_close_on"),
        ),
        field_labels={
            "created_at": _("Created"),
            "amount": _("Amount"),
            "expected_close_on": _("Expected close date"),
        },
    )

    class Meta:
        model = Opportunity
        fields: list[str] = []

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value)
            | Q(code__iexact=value)
            | Q(customer__name__icontains=value)
            | Q(customer__code__iexact=value)  # the customer page's "all" link
        )

    def filter_team(self, queryset, name, value):
        return queryset.filter(owner__team__path__startswith=value.path) if value else queryset

    def filter_close_month(self, queryset, name, value):
        start = value.replace(day=1)
        end = (start + dt.timedelta(days=32)).replace(day=1)
        return queryset.filter(expected_close_on__gte=start, expected_close_on__lt=end)
