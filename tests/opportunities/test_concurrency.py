"""Stage moves racing on PostgreSQL (real connections, real row locks): the history stays one
unbroken chain (each move starts where the previous one ended) and the row ends where the last
committed move put it."""

from __future__ import annotations

import itertools
import threading

import pytest
from django.db import connection, connections

from opportunities import services
from opportunities.models import Opportunity
from tests.opportunities.factories import make_opportunity, stage

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL (CI runs it)"
    ),
]

ROUNDS = 10


def test_racing_moves_keep_the_history_a_chain(org):
    opp = make_opportunity(owner=org.rep, name="Raced")
    targets = [stage(name) for name in ("Visit", "Proposal", "Negotiation", "Contract")]
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(targets))

    def worker(target):
        try:
            for _ in range(ROUNDS):
                barrier.wait()
                services.opportunity_move_stage(
                    opportunity=Opportunity.objects.get(pk=opp.pk), to_stage=target, by=org.rep
                )
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(t,)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors

    history = list(opp.stage_changes.order_by("changed_at", "id"))
    assert history[0].from_stage is None
    for previous, change in itertools.pairwise(history):
        assert change.from_stage_id == previous.to_stage_id  # no lost update
        assert change.from_stage_id != change.to_stage_id
    opp.refresh_from_db()
    assert opp.stage_id == history[-1].to_stage_id
    assert opp.stage_entered_at == history[-1].changed_at
