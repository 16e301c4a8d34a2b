"""Computing many people costs what computing a few does: figures in one pass per chunk, bulk
writes. With the real metrics and the default schemes."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from performance.compute import services
from performance.models import Scorecard
from performance.periods import Period
from performance.schemes.services import ensure_default_schemes
from tests.factories import UserFactory
from tests.performance.factories import evaluation_period

P = Period.parse("2026-10")


def _queries(users) -> tuple[int, int]:
    """Queries of a first computation and of a recomputation of `users`."""
    with CaptureQueriesContext(connection) as first:
        services.scorecards_compute(users, P)
    with CaptureQueriesContext(connection) as again:
        services.scorecards_compute(users, P)
    return len(first), len(again)


def test_thirty_people_cost_what_three_do(org, settings):
    ensure_default_schemes()
    evaluation_period(P.key)  # (creating the period row is a one-off)
    few = [UserFactory(team=org.shanghai, position="sales_rep") for _i in range(3)]
    many = [UserFactory(team=org.hangzhou, position="sales_rep") for _i in range(30)]
    few_counts = _queries(few)
    Scorecard.objects.filter(period__key=P.key).delete()
    many_counts = _queries(many)
    assert Scorecard.objects.filter(user__in=many).count() == 30
    if connection.vendor == "postgresql":
        assert many_counts == few_counts
    else:
        # SQLite binds at most 999 parameters: bulk writes of 30 people's items take a couple
        # more batches (PostgreSQL's limit is 65,535: one batch per chunk of 200).
        assert many_counts[0] <= few_counts[0] + 4
        assert many_counts[1] <= few_counts[1] + 4
    assert few_counts[0] < 60
