"""Personas on a three-level org (company > region > team), shared by every app's tests.

Hengtai (company, VP)
├── East (region, regional manager)
│   ├── Shanghai (team, manager): rep, teammate
│   └── Hangzhou (team): east_rep
└── North (region)
    └── Beijing (team): other_team_rep
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from celery._state import _set_task_join_will_block
from django.test import Client
from django.utils import translation

from crm.models import Position
from tests.browser import (  # noqa: F401 (fixtures and the screenshot hook, for every app)
    browser_factory,
    chromium,
    pytest_runtest_makereport,
)
from tests.factories import TeamFactory, UserFactory, client_for


def pytest_collection_modifyitems(items):
    """A transactional test must restore the data migrations' rows (serialized_rollback): one
    that does not flushes and re-creates content types, and the next test that restores
    serialized rows then fails on duplicates (only on PostgreSQL, where such tests run)."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        if (
            marker
            and marker.kwargs.get("transaction")
            and not marker.kwargs.get("serialized_rollback")
        ):
            raise pytest.UsageError(
                f"{item.nodeid}: use pytest.mark.django_db(transaction=True, "
                "serialized_rollback=True)"
            )


def pytest_terminal_summary(terminalreporter):
    """Say how much the access-control suite covered (issue 10: it prints what it checked)."""
    import sys

    module = sys.modules.get("tests.test_access_control")
    checked = getattr(module, "CHECKED", None)
    if checked:
        terminalreporter.write_line(
            f"access control: {checked.get('patterns', 0)} URL patterns of the project's apps; "
            f"{checked.get('record', 0) // 2} record URLs and {checked.get('list', 0) // 2} "
            "list/export URLs tried as another team's rep and manager (GET and POST)"
        )


@pytest.fixture(autouse=True)
def _english():
    """Each test starts in English: a request in an earlier test may have left Chinese active
    in this thread (LocaleMiddleware activates the request's language)."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _celery_join_allowed():
    """Celery keeps one process-wide "a task is running, result.get() would deadlock" flag, set
    and restored around every eager task. Two threads running eager tasks at once (the
    two-workers tests) can restore it in the wrong order and leave it set, which made a later
    test's `result.get()` refuse to wait. Each test starts with it cleared."""
    _set_task_join_will_block(False)
    yield
    _set_task_join_will_block(False)


@pytest.fixture
def org(db):
    company = TeamFactory(name="Hengtai", kind="company")
    east = TeamFactory(name="East", kind="region", parent=company)
    north = TeamFactory(name="North", kind="region", parent=company)
    shanghai = TeamFactory(name="Shanghai", parent=east)
    hangzhou = TeamFactory(name="Hangzhou", parent=east)
    beijing = TeamFactory(name="Beijing", parent=north)
    kind = Position.Kind
    people = SimpleNamespace(
        company=company,
        east=east,
        north=north,
        shanghai=shanghai,
        hangzhou=hangzhou,
        beijing=beijing,
        rep=UserFactory(username="rep", team=shanghai, position=kind.SALES_REP),
        teammate=UserFactory(username="teammate", team=shanghai, position=kind.SALES_REP),
        east_rep=UserFactory(username="east_rep", team=hangzhou, position=kind.SALES_REP),
        other_team_rep=UserFactory(
            username="other_team_rep", team=beijing, position=kind.SALES_REP
        ),
        manager=UserFactory(username="manager", team=shanghai, position=kind.REGIONAL_MANAGER),
        regional_manager=UserFactory(
            username="regional_manager", team=east, position=kind.REGIONAL_MANAGER
        ),
        vp=UserFactory(username="vp", team=company, position=kind.SALES_VP),
        planner=UserFactory(username="planner", team=company, position=kind.SALES_PLANNER),
        hr=UserFactory(username="hr", team=company, position=kind.HR),
        service=UserFactory(username="service", team=company, position=kind.CUSTOMER_SERVICE),
        admin=UserFactory(
            username="admin", team=company, position=kind.ADMIN, is_staff=True, is_superuser=True
        ),
    )
    shanghai.manager = people.manager
    shanghai.save()
    east.manager = people.regional_manager
    east.save()
    company.manager = people.vp
    company.save()
    return people


_client_for = client_for


@pytest.fixture
def rep_client(org) -> Client:
    return _client_for(org.rep)


@pytest.fixture
def manager_client(org) -> Client:
    return _client_for(org.manager)


@pytest.fixture
def other_team_client(org) -> Client:
    return _client_for(org.other_team_rep)


@pytest.fixture
def admin_client_(org) -> Client:
    return _client_for(org.admin)


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
