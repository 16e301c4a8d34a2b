"""Filters of the customer list (django-filter). Every filter and sort here is an indexed column
(customers/models.py Meta.indexes; trigram indexes for substring search on PostgreSQL)."""

from __future__ import annotations

import django_filters
from django import forms
from django.contrib.postgres.fields import ArrayField
from django.db import connection, models
from django.db.models import Func, Q
from django.utils.translation import gettext_lazy as _

from crm.dates import start_of_day
from crm.models import Team, User
from crm.selectors import team_tree
from crm.widgets import FastSelect
from customers.models import Contact, Customer


def _owners(request):
    if request is None:
        return User.objects.none()
    return User.objects.visible_to(request.user).filter(is_active=True).order_by("username")


def _teams(request):
    if request is None:
        return Team.objects.none()
    return Team.objects.filter(pk__in=[t.pk for t in team_tree(viewer=request.user)])


class TeamChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Team) -> str:
        return obj.indented_name


class TeamFilter(django_filters.ModelChoiceFilter):
    field_class = TeamChoiceField


class Bigrams(Func):
    """`crm_bigrams(text)`: the upper-cased two-character substrings of a text (PostgreSQL,
    customers migration 0007, GIN-indexed on the customer's and the contact's name)."""

    function = "crm_bigrams"
    output_field = ArrayField(models.TextField())


def customer_search_q(term: str) -> Q:
    """Name, phone or contact name containing `term`, or the exact code."""
    term = term.strip()
    # One id list, a UNION of index lookups (trigram on UPPER(name) and UPPER(phone), UPPER(code),
    # trigram on the contact's name), joined to the scoped list. ORing the contact sub-select into
    # the customer's WHERE instead makes PostgreSQL test it row by row over the whole table
    # (seconds at a million customers; bench/customers.py).
    if len(term) == 2 and connection.vendor == "postgresql":
        # pg_trgm has no trigram to look up in two characters (凯鑫, 王伟) and would scan both
        # tables: the bigram indexes instead (a two-digit phone search means nothing).
        bigram = Q(name_bigrams__contains=[term.upper()])
        customers = Customer.objects.alias(name_bigrams=Bigrams("name")).filter(
            bigram | Q(code__iexact=term)
        )
        contacts = Contact.objects.alias(name_bigrams=Bigrams("name")).filter(bigram)
    else:
        customers = Customer.objects.filter(
            Q(name__icontains=term) | Q(code__iexact=term) | Q(phone__icontains=term)
        )
        contacts = Contact.objects.filter(name__icontains=term)
    ids = customers.order_by().values("pk").union(contacts.order_by().values("customer_id"))
    # Read first when few (most searches: a name, a code, a phone): the list then fetches
    # exactly those rows by primary key. Given the sub-select instead, PostgreSQL guessed
    # hundreds of matches and walked a team manager's customers in the list's order until it
    # met one (0.7 s at a million customers, docs/performance.md). A broad term keeps the
    # sub-select: walking the order finds its many matches at once.
    found = [row["pk"] for row in ids[: SEARCH_IDS_READ + 1]]
    return Q(pk__in=found) if len(found) <= SEARCH_IDS_READ else Q(pk__in=ids)


SEARCH_IDS_READ = 1000


ANY = _("Any")
# Shown at once; the others sit under "More filters" (open when one of them is set).
PRIMARY_FILTERS = ("q", "level", "status", "owner")


class CustomerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"), method="filter_search", widget=forms.TextInput(attrs={"type": "search"})
    )
    kind = django_filters.ChoiceFilter(
        label=_("Kind"), choices=Customer.Kind.choices, empty_label=ANY
    )
    industry = django_filters.ChoiceFilter(
        label=_("Industry"), choices=Customer.Industry.choices, empty_label=ANY
    )
    level = django_filters.ChoiceFilter(
        label=_("Level"), choices=Customer.Level.choices, empty_label=ANY
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=Customer.Status.choices, empty_label=ANY
    )
    source = django_filters.ChoiceFilter(
        label=_("Source"), choices=Customer.Source.choices, empty_label=ANY
    )
    segment = django_filters.ChoiceFilter(
        label=_("Segment"), choices=Customer.Segment.choices, empty_label=ANY
    )
    # FastSelect: a manager's owner list can hold a thousand people (docs/performance.md).
    owner = django_filters.ModelChoiceFilter(
        label=_("Owner"), queryset=_owners, empty_label=ANY, widget=FastSelect
    )
    team = TeamFilter(
        label=_("Team"), queryset=_teams, method="filter_team", empty_label=ANY, widget=FastSelect
    )
    in_pool = django_filters.BooleanFilter(
        label=_("In the public pool"),
        field_name="owner",
        lookup_expr="isnull",
        widget=forms.Select(choices=[("", _("Any")), ("true", _("Yes")), ("false", _("No"))]),
    )
    contacted_after = django_filters.DateFilter(
        label=_("Last contacted on or after"),
        method="filter_contacted_after",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    contacted_before = django_filters.DateFilter(
        label=_("Last contacted before"),
        method="filter_contacted_before",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    completeness_below = django_filters.NumberFilter(
        label=_("Completeness below (%)"), field_name="completeness", lookup_expr="lt"
    )
    ordering = django_filters.OrderingFilter(
        label=_("Sort by"),
        fields=(
            ("name", "name"),
            ("code", "code"),
            ("last_contacted_at", "last_contacted_at"),
            ("next_follow_up_on", "next_follow_up_on"),
            ("created_at", "created_at"),
            ("completeness", "completeness"),
            ("level", "level"),
        ),
        field_labels={
            "name": _("Name"),
            "code": _("Code"),
            "last_contacted_at": _("Last contacted"),
            "next_follow_up_on": _("Next follow-up"),
            "created_at": _("Created"),
            "completeness": _("Completeness"),
            "level": _("Level"),
        },
    )

    class Meta:
        model = Customer
        fields: list[str] = []

    def primary_fields(self):
        return [self.form[name] for name in PRIMARY_FILTERS if name != "q"]

    def more_fields(self):
        skip = {*PRIMARY_FILTERS, "ordering"}
        return [field for field in self.form if field.name not in skip]

    def more_is_active(self) -> bool:
        return any(self.data.get(field.name) for field in self.more_fields())

    def filter_search(self, queryset, name, value):
        return queryset.filter(customer_search_q(value)) if value.strip() else queryset

    def filter_team(self, queryset, name, value):
        return queryset.filter(owner__team__path__startswith=value.path) if value else queryset

    def filter_contacted_after(self, queryset, name, value):
        # A range on the stored timestamp (not __date), so the index on it is used.
        return queryset.filter(last_contacted_at__gte=start_of_day(value))

    def filter_contacted_before(self, queryset, name, value):
        return queryset.filter(
            Q(last_contacted_at__lt=start_of_day(value)) | Q(last_contacted_at__isnull=True)
        )
