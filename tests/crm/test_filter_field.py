"""`filter_field` (crm_tags) renders a list's filter bar in Python: the same HTML as
crispy-forms' Bootstrap 5 field it replaces, at a fraction of the cost (docs/performance.md)."""

from __future__ import annotations

import pytest
from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django.http import QueryDict
from django.test.html import parse_html

from crm.templatetags.crm_tags import filter_field
from customers.filters import CustomerFilter
from customers.models import Customer
from leads.filters import LeadFilter
from leads.models import Lead
from orders.filters import OrderFilter
from orders.models import Order

pytestmark = pytest.mark.django_db

QUERIES = [
    "",
    "q=Acme&level=A&in_pool=true&completeness_below=50",
    "contacted_after=not-a-date&status=nonsense&completeness_below=x",
]


def _form(filterset_class, model, query: str, request):
    # A new filter set each time: crispy writes its classes into the widgets it renders.
    filterset = filterset_class(QueryDict(query), queryset=model.objects.none(), request=request)
    filterset.form.is_valid()
    return filterset.form


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize(
    ("filterset_class", "model"),
    [(CustomerFilter, Customer), (LeadFilter, Lead), (OrderFilter, Order)],
)
def test_the_same_html_as_crispy(rf, org, filterset_class, model, query):
    request = rf.get("/")
    request.user = org.manager
    fast, crispy = (_form(filterset_class, model, query, request) for _ in range(2))
    for name in fast.fields:
        assert parse_html(str(filter_field(fast[name]))) == parse_html(
            str(as_crispy_field(crispy[name]))
        ), name


def test_errors_and_selection_are_shown(rf, org):
    request = rf.get("/")
    request.user = org.manager
    form = _form(CustomerFilter, Customer, "level=B&contacted_after=x", request)
    level, contacted = str(filter_field(form["level"])), str(filter_field(form["contacted_after"]))
    assert '<option value="B" selected>' in level
    assert 'class="dateinput form-control is-invalid"' in contacted
    assert "invalid-feedback" in contacted
    assert '<option value="" selected>' in str(filter_field(form["status"]))
