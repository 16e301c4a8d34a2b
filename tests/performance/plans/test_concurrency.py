"""Races on PostgreSQL (real connections, real row locks): two copies of last month at once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from crm.models import Team
from performance.models import SalesPlan
from performance.periods import Period
from performance.plans.access import plan_access
from performance.plans.services import plans_copy_previous_month
from tests.performance.plans.factories import OCT, SEP, plan

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL (CI runs it)"
    ),
]


def test_two_copies_at_once_copy_each_plan_once(org):
    plan(org.shanghai, month=SEP, revenue="100")
    plan(org.rep, month=SEP, revenue="60")
    plan(org.teammate, month=SEP, revenue="40")
    results, errors = [], []
    barrier = threading.Barrier(2)

    def worker():
        try:
            team = Team.objects.get(pk=org.shanghai.pk)
            planner = type(org.planner).objects.get(pk=org.planner.pk)
            barrier.wait()
            results.append(
                plans_copy_previous_month(
                    team=team, month=Period.parse("2026-10"), by=planner,
                    access=plan_access(planner),
                )
            )  # fmt: skip
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert sorted((r.copied, r.skipped) for r in results) == [(0, 3), (3, 0)]
    assert SalesPlan.objects.filter(month=OCT).count() == 3
