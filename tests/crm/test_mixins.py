"""The class-based-view mixins over the data scope, on the scope test model."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import RequestFactory
from django.views.generic import DetailView, ListView, UpdateView

from crm.mixins import ScopedListMixin, ScopedObjectMixin
from tests.scopeapp.models import Record

pytestmark = pytest.mark.django_db


class RecordList(ScopedListMixin, ListView):
    model = Record


class RecordDetail(ScopedObjectMixin, DetailView):
    model = Record


class RecordUpdate(ScopedObjectMixin, UpdateView):
    model = Record
    fields = ["title"]
    scope_action = "change"


def request_as(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


def test_list_mixin_limits_rows(org):
    mine = Record.objects.create(title="mine", owner=org.rep, team=org.shanghai)
    Record.objects.create(title="theirs", owner=org.other_team_rep, team=org.beijing)
    view = RecordList()
    view.setup(request_as(org.rep))
    assert list(view.get_queryset()) == [mine]


def test_list_mixin_sends_anonymous_users_to_login():
    response = RecordList.as_view()(request_as(AnonymousUser()))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_object_mixin_404_outside_scope_403_read_only(org):
    theirs = Record.objects.create(title="theirs", owner=org.teammate, team=org.shanghai)
    with pytest.raises(Http404):
        RecordDetail.as_view()(request_as(org.rep), pk=theirs.pk)
    assert RecordDetail.as_view()(request_as(org.manager), pk=theirs.pk).status_code == 200
    assert RecordDetail.as_view()(request_as(org.hr), pk=theirs.pk).status_code == 200
    with pytest.raises(PermissionDenied):
        RecordUpdate.as_view()(request_as(org.hr), pk=theirs.pk)
    assert RecordUpdate.as_view()(request_as(org.manager), pk=theirs.pk).status_code == 200
