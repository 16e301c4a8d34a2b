"""Filters of the lead list (django-filter); every filter and sort is an indexed column."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm.models import User
from crm.widgets import FastSelect
from customers.models import Customer
from leads.models import Lead

ANY = _("Any")
PRIMARY_FILTERS = ("q", "status", "source", "owner")


def _owners(request):
    if request is None:
        return User.objects.none()
    return User.objects.visible_to(request.user).filter(is_active=True).order_by("username")


class LeadFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"), method="filter_search", widget=forms.TextInput(attrs={"type": "search"})
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=Lead.Status.choices, empty_label=ANY
    )
    source = django_filters.ChoiceFilter(
        label=_("Source"), choices=Lead.Source.choices, empty_label=ANY
    )
    owner = django_filters.ModelChoiceFilter(
        label=_("Owner"), queryset=_owners, empty_label=ANY, widget=FastSelect
    )
    mine = django_filters.ChoiceFilter(
        label=_("Mine"),
        choices=[("new", _("My new leads")), ("open", _("My open leads")), ("all", _("All mine"))],
        method="filter_mine",
        empty_label=ANY,
    )
    industry = django_filters.ChoiceFilter(
        label=_("Industry"), choices=Customer.Industry.choices, empty_label=ANY
    )
    region = django_filters.CharFilter(label=_("Area"), field_name="region")
    unassigned = django_filters.BooleanFilter(
        label=_("Waiting for assignment"),
        field_name="owner",
        lookup_expr="isnull",
        widget=forms.Select(choices=[("", _("Any")), ("true", _("Yes")), ("false", _("No"))]),
    )
    overdue = django_filters.BooleanFilter(
        label=_("First contact overdue"),
        method="filter_overdue",
        widget=forms.Select(choices=[("", _("Any")), ("true", _("Yes"))]),
    )
    ordering = django_filters.OrderingFilter(
        label=_("Sort by"),
        fields=(("created_at", "created_at"), ("name", "name"), ("sla_due_at", "sla_due_at")),
        field_labels={
            "created_at": _("Created"),
            "name": _("Name"),
            "sla_due_at": _("First contact due"),
        },
    )

    class Meta:
        model = Lead
        fields: list[str] = []

    def primary_fields(self):
        return [self.form[name] for name in PRIMARY_FILTERS if name != "q"]

    def more_fields(self):
        skip = {*PRIMARY_FILTERS, "ordering"}
        return [field for field in self.form if field.name not in skip]

    def more_is_active(self) -> bool:
        return any(self.data.get(field.name) for field in self.more_fields())

    def filter_search(self, queryset, name, value):
        term = value.strip()
        if not term:
            return queryset
        return queryset.filter(
            Q(name__icontains=term)
            | Q(company__icontains=term)
            | Q(phone__icontains=term)
            | Q(email__iexact=term)
        )

    def filter_mine(self, queryset, name, value):
        user = self.request.user if self.request is not None else None
        if user is None:
            return queryset.none()
        queryset = queryset.filter(owner=user)
        if value == "new":
            return queryset.filter(status=Lead.Status.NEW)
        if value == "open":
            return queryset.filter(status__in=Lead.OPEN_STATUSES)
        return queryset

    def filter_overdue(self, queryset, name, value):
        from django.utils import timezone

        if value:
            return queryset.filter(sla_due_at__lt=timezone.now())
        return queryset
