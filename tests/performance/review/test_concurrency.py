"""Two reviewers passing the same scorecard on at the same moment (PostgreSQL row locks): the
step is taken once; the slower one is told the scorecard has moved on."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import close_old_connections, connection

from performance.models import ReviewStep, Scorecard
from performance.review import services

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_two_reviewers_at_once_take_the_step_once(org, make_scorecard):
    card = make_scorecard(org.rep, status=Scorecard.Status.VP)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def act(user):
        try:
            barrier.wait()
            services.submit(card, user, "", expected_status=Scorecard.Status.VP)
            outcomes.append("ok")
        except ValidationError:
            outcomes.append("moved on")
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=act, args=(u,)) for u in (org.vp, org.admin)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["moved on", "ok"]
    card.refresh_from_db()
    assert card.status == Scorecard.Status.HR
    assert card.steps.filter(action=ReviewStep.Action.SUBMITTED).count() == 1
