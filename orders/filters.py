"""Filters of the order, receivable, contract and expense lists. Every filter is an indexed column
(orders/models/ Meta.indexes) or the owner's team path."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm.models import Team, User
from crm.selectors import team_tree
from crm.widgets import FastSelect
from customers.filters import TeamFilter
from orders.models import Contract, Expense, Order, Payment, Receivable

ANY = _("Any")
DATE = forms.DateInput(attrs={"type": "date"})


def _owners(request):
    if request is None:
        return User.objects.none()
    return User.objects.visible_to(request.user).filter(is_active=True).order_by("username")


def _teams(request):
    if request is None:
        return Team.objects.none()
    return Team.objects.filter(pk__in=[t.pk for t in team_tree(viewer=request.user)])


def customer_q(value: str, field: str = "customer") -> Q:
    """A customer by primary key (links from the customer page), code, or part of the name."""
    value = value.strip()
    if value.isdigit():
        return Q(**{f"{field}_id": int(value)})
    return Q(**{f"{field}__code__iexact": value}) | Q(**{f"{field}__name__icontains": value})


class OwnedFilter(django_filters.FilterSet):
    """Owner, owner's team and customer: what every money list filters by."""

    owner = django_filters.ModelChoiceFilter(
        label=_("Owner"), queryset=_owners, empty_label=ANY, widget=FastSelect
    )
    team = TeamFilter(
        label=_("Team"), queryset=_teams, method="filter_team", empty_label=ANY, widget=FastSelect
    )

    def filter_team(self, queryset, name, value):
        return queryset.filter(owner__team__path__startswith=value.path) if value else queryset

    def filter_customer(self, queryset, name, value):
        return queryset.filter(customer_q(value)) if value.strip() else queryset


class OrderFilter(OwnedFilter):
    number = django_filters.CharFilter(label=_("Order number"), lookup_expr="iexact")
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=Order.Status.choices, empty_label=ANY
    )
    customer = django_filters.CharFilter(
        label=_("Customer (code or name)"), method="filter_customer"
    )
    date_from = django_filters.DateFilter(
        label=_("Ordered on or after"), field_name="order_date", lookup_expr="gte", widget=DATE
    )
    date_to = django_filters.DateFilter(
        label=_("Ordered on or before"), field_name="order_date", lookup_expr="lte", widget=DATE
    )

    class Meta:
        model = Order
        fields: list[str] = []


class ContractFilter(OwnedFilter):
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=Contract.Status.choices, empty_label=ANY
    )
    customer = django_filters.CharFilter(
        label=_("Customer (code or name)"), method="filter_customer"
    )
    awaiting_me = django_filters.BooleanFilter(
        label=_("Awaiting my approval"),
        method="filter_awaiting_me",
        widget=forms.CheckboxInput,
    )

    class Meta:
        model = Contract
        fields: list[str] = []

    def filter_awaiting_me(self, queryset, name, value):
        if not value or self.request is None:
            return queryset
        return queryset.filter(status=Contract.Status.PENDING, approver=self.request.user)


class ReceivableFilter(OwnedFilter):
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=Receivable.Status.choices, empty_label=ANY
    )
    customer = django_filters.CharFilter(
        label=_("Customer (code or name)"), method="filter_customer"
    )
    due_from = django_filters.DateFilter(
        label=_("Due on or after"), field_name="due_date", lookup_expr="gte", widget=DATE
    )
    due_to = django_filters.DateFilter(
        label=_("Due on or before"), field_name="due_date", lookup_expr="lte", widget=DATE
    )

    class Meta:
        model = Receivable
        fields: list[str] = []


class OverdueFilter(OwnedFilter):
    """The overdue list, per rep or team (and customer)."""

    customer = django_filters.CharFilter(
        label=_("Customer (code or name)"), method="filter_customer"
    )

    class Meta:
        model = Receivable
        fields: list[str] = []


class ExpenseFilter(OwnedFilter):
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=Expense.Status.choices, empty_label=ANY
    )
    category = django_filters.ChoiceFilter(
        label=_("Category"), choices=Expense.Category.choices, empty_label=ANY
    )
    date_from = django_filters.DateFilter(
        label=_("On or after"), field_name="spent_on", lookup_expr="gte", widget=DATE
    )
    date_to = django_filters.DateFilter(
        label=_("On or before"), field_name="spent_on", lookup_expr="lte", widget=DATE
    )

    class Meta:
        model = Expense
        fields: list[str] = []


class PaymentFilter(django_filters.FilterSet):
    """Payments received: per rep and team of their receivable, method and date."""

    owner = django_filters.ModelChoiceFilter(
        label=_("Owner"),
        queryset=_owners,
        field_name="receivable__owner",
        empty_label=ANY,
        widget=FastSelect,
    )
    team = TeamFilter(
        label=_("Team"), queryset=_teams, method="filter_team", empty_label=ANY, widget=FastSelect
    )
    method = django_filters.ChoiceFilter(
        label=_("Method"), choices=Payment.Method.choices, empty_label=ANY
    )
    date_from = django_filters.DateFilter(
        label=_("Paid on or after"), field_name="paid_on", lookup_expr="gte", widget=DATE
    )
    date_to = django_filters.DateFilter(
        label=_("Paid on or before"), field_name="paid_on", lookup_expr="lte", widget=DATE
    )

    class Meta:
        model = Payment
        fields: list[str] = []

    def filter_team(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(receivable__owner__team__path__startswith=value.path)
