"""Shared by every performance test: the rows the data migrations seed (positions with their
scopes, default pipelines, default service flows), made by the migrations' own functions, since
the performance tests may run with --nomigrations (idempotent: with migrations they exist)."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

SEEDS = (
    ("crm.migrations.0002_default_positions", "create_positions"),
    ("opportunities.migrations.0002_default_pipelines", "seed"),
    ("service.migrations.0002_default_flows", "create"),
)


@pytest.fixture(autouse=True)
def _seeded(db):
    for module, function in SEEDS:
        getattr(importlib.import_module(module), function)(apps, None)
