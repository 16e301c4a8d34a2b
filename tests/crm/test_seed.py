"""seed_demo builds the demo company, and running it again changes nothing."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from crm.models import Team, User
from crm.scopes import DataScope, reach_of

pytestmark = pytest.mark.django_db


def seed(password: str = "demo-pass") -> str:
    out = io.StringIO()
    call_command("seed_demo", password=password, force=True, stdout=out)
    return out.getvalue()


def test_seed_demo_builds_a_believable_company():
    output = seed()
    assert "admin" in output
    assert "demo-pass" in output
    assert Team.objects.filter(kind=Team.Kind.COMPANY).count() == 1
    assert Team.objects.filter(kind=Team.Kind.REGION).count() == 3
    assert Team.objects.filter(kind=Team.Kind.TEAM).count() == 6
    assert User.objects.filter(position__kind="sales_rep").count() == 20
    assert not Team.objects.filter(manager__isnull=True).exists()
    # Managers' data scope covers their teams; reps see their own.
    assert reach_of(User.objects.get(username="zhou.min")).level == DataScope.TEAM
    assert reach_of(User.objects.get(username="wang.fang")).level == DataScope.OWN


def test_the_printed_admin_login_works():
    seed(password="printed-pass-1")
    client = Client()
    response = client.post("/accounts/login/", {"username": "admin", "password": "printed-pass-1"})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_seed_demo_is_idempotent():
    seed()
    counts = (User.objects.count(), Team.objects.count(), User.history.count())
    seed()
    assert (User.objects.count(), Team.objects.count(), User.history.count()) == counts


def test_seed_demo_refuses_a_production_database_without_force():
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo", password="x", stdout=io.StringIO())
    assert not User.objects.exists()
