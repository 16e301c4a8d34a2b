"""Two workers assigning 1,000 leads at once on PostgreSQL (real connections, real row locks):
every lead gets exactly one owner, capacities are never exceeded, round-robin stays even."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter

import pytest
from django.db import connection, connections
from django.db.models import OuterRef, Subquery

from leads import assignment
from leads.models import AssignmentLog, Lead
from tests.factories import UserFactory
from tests.leads.factories import rule_with

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL (CI runs it)"
    ),
]

N = 1000


def _make_leads(sources: tuple[str, ...] = ("website",)) -> list[int]:
    leads = [
        Lead(name=f"Lead {i}", phone=f"139{i:08d}", source=sources[i % len(sources)])
        for i in range(N)
    ]
    Lead.objects.bulk_create(leads, batch_size=500)
    return list(Lead.objects.order_by("pk").values_list("pk", flat=True))


def _run_in_parallel(*workers) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(workers))

    def run(work):
        try:
            barrier.wait()
            work()
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()  # this thread's own connection

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    assert not errors, errors


def _one_by_one(ids: list[int]):
    def work():
        for pk in ids:
            assignment.assign_waiting(lead_ids=[pk])

    return work


def _batches(size: int):
    def work():
        while True:
            result = assignment.assign_waiting(limit=size)
            if not result.assigned and not result.queued:
                break
            if not result.assigned and result.queued:
                break  # everything left is waiting for room

    return work


def test_two_workers_assign_each_lead_exactly_once_round_robin_even(org):
    reps = [org.rep, org.teammate, org.east_rep, org.other_team_rep]
    rule_with(reps)
    ids = _make_leads()
    shuffled = ids[:]
    random.Random(4).shuffle(shuffled)  # noqa: S311
    _run_in_parallel(_one_by_one(shuffled), _batches(40))

    assert not Lead.objects.filter(owner__isnull=True).exists()
    per_lead = Counter(AssignmentLog.objects.values_list("lead_id", flat=True))
    assert len(per_lead) == N
    assert set(per_lead.values()) == {1}
    # Each log's owner is the lead's owner (nobody overwrote anybody).
    owner_now = Lead.objects.filter(pk=OuterRef("lead_id")).values("owner_id")[:1]
    mismatched = AssignmentLog.objects.exclude(to_user_id=Subquery(owner_now))
    assert not mismatched.exists()
    counts = Counter(Lead.objects.values_list("owner_id", flat=True))
    assert max(counts.values()) - min(counts.values()) <= 1  # round-robin within one of even
    assert sum(counts.values()) == N


def test_two_workers_never_exceed_capacity_even_across_rules(org):
    shared = UserFactory(username="shared", team=org.shanghai, position="sales_rep")
    rule_with([org.rep, shared], capacity=[100, 120], sources=["website"], priority=1)
    rule_with([shared, org.teammate], capacity=[120, 150], sources=["referral"], priority=2)
    ids = _make_leads(("website", "referral"))
    shuffled = ids[:]
    random.Random(7).shuffle(shuffled)  # noqa: S311
    _run_in_parallel(_one_by_one(shuffled), _batches(25), _batches(60))

    counts = Counter(
        Lead.objects.filter(owner__isnull=False).values_list("owner__username", flat=True)
    )
    assert counts["rep"] == 100
    assert counts["teammate"] == 150
    assert counts["shared"] == 120  # full, never more, though two rules feed them
    assert Lead.objects.filter(owner__isnull=True).count() == N - 370
    assert AssignmentLog.objects.count() == 370


def test_a_rep_in_two_rules_is_not_overfilled_by_two_workers_at_once(org, monkeypatch):
    """Deterministic interleaving: each worker pauses after counting the loads, so without the
    user-row lock both would see the shared rep with room and both would give them a lead."""
    from leads.assignment import engine

    shared = UserFactory(username="shared", team=org.shanghai, position="sales_rep")
    rule_with([shared], capacity=1, sources=["website"], priority=1)
    rule_with([shared], capacity=1, sources=["referral"], priority=2)
    web, ref = (
        Lead.objects.create(name="W", phone="1", source="website"),
        Lead.objects.create(name="R", phone="2", source="referral"),
    )
    counted = engine.open_loads

    def slow_open_loads(user_ids):
        loads = counted(user_ids)
        time.sleep(0.5)  # the other worker runs meanwhile
        return loads

    monkeypatch.setattr(engine, "open_loads", slow_open_loads)
    _run_in_parallel(_one_by_one([web.pk]), _one_by_one([ref.pk]))
    assert Lead.objects.filter(owner=shared).count() == 1
    assert Lead.objects.filter(owner__isnull=True).count() == 1
