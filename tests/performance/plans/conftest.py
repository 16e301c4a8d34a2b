"""Fixtures of the sales plan tests: signed-in clients for the company-wide positions."""

from __future__ import annotations

import importlib

import pytest
from django.test import Client

from crm.models import Position

_POSITIONS = importlib.import_module("crm.migrations.0002_default_positions").DEFAULTS


@pytest.fixture(autouse=True)
def _positions(db):
    """The seven positions with their default scopes (made by a data migration, which
    `--nomigrations` does not run)."""
    for kind, (view_scope, edit_scope) in _POSITIONS.items():
        Position.objects.get_or_create(
            kind=kind, defaults={"view_scope": view_scope, "edit_scope": edit_scope}
        )


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def planner_client(org) -> Client:
    return client_for(org.planner)


@pytest.fixture
def hr_client(org) -> Client:
    return client_for(org.hr)


@pytest.fixture
def vp_client(org) -> Client:
    return client_for(org.vp)


@pytest.fixture
def regional_client(org) -> Client:
    return client_for(org.regional_manager)
