"""Races on PostgreSQL (real connections, real row locks): two activations of the same
position's drafts, two computations of the same period (the nightly run and a manager's)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from performance.compute import services
from performance.models import KpiScheme, ReviewStep, Scorecard
from performance.periods import Period
from performance.schemes.services import scheme_activate
from tests.performance.compute.factories import fig, scheme_with

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL (CI runs it)"
    ),
]


def _race(jobs) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(jobs))

    def worker(job):
        try:
            barrier.wait()
            job()
        except BaseException as exc:  # reported by the caller
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return errors


def test_two_activations_leave_one_active_scheme(org, fake_metrics):
    drafts = [scheme_with([("t_rate", "100", "0.8")], status="draft") for _i in range(2)]
    errors = _race([lambda s=s: scheme_activate(scheme=s) for s in drafts])
    assert not errors, errors
    statuses = sorted(KpiScheme.objects.values_list("status", flat=True))
    assert statuses == ["active", "retired"]


def test_two_computations_of_a_period_make_one_scorecard_each(org, fake_metrics):
    scheme_with([("t_rate", "100", "0.8")])
    people = [org.rep, org.teammate, org.east_rep]
    fake_metrics["t_rate"].data = {u.pk: fig(30, 40) for u in people}
    period = Period.parse("2026-10")
    errors = _race([lambda: services.scorecards_compute(people, period)] * 2)
    assert not errors, errors
    assert Scorecard.objects.count() == 3
    assert ReviewStep.objects.filter(action="computed").count() == 3
