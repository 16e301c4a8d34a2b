"""Fixtures of the sales plan tests: signed-in clients for the company-wide positions."""

from __future__ import annotations

import pytest
from django.test import Client


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
