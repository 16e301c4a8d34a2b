"""Copy last month: fills the gaps of this month in the team's subtree, never overwrites."""

from __future__ import annotations

from decimal import Decimal

import pytest

from performance.models import SalesPlan
from tests.performance.plans.factories import OCT, SEP, plan

pytestmark = pytest.mark.django_db

COPY = "/performance/plans/copy/"
DONE = "Plans copied from 2026-09: {}; skipped (already planned in 2026-10): {}."


def test_copy_fills_only_missing_rows_of_the_subtree(org, planner_client):
    plan(org.shanghai, month=SEP, revenue="70000", customers=6, visits=60)
    plan(org.rep, month=SEP, revenue="40000", customers=3, visits=30)
    plan(org.teammate, month=SEP, revenue="30000", customers=3, visits=30)
    plan(org.beijing, month=SEP, revenue="1")  # outside the Shanghai subtree
    plan(org.rep, month=OCT, revenue="45000")  # already planned: kept
    response = planner_client.post(COPY, {"team": org.shanghai.pk, "month": "2026-10"}, follow=True)
    assert DONE.format(2, 1) in response.content.decode()
    assert SalesPlan.objects.get(user=org.rep, month=OCT).revenue_target == Decimal("45000")
    teammate = SalesPlan.objects.get(user=org.teammate, month=OCT)
    assert (teammate.revenue_target, teammate.new_customer_target) == (Decimal("30000"), 3)
    assert teammate.updated_by == org.planner
    assert teammate.history.get().history_user == org.planner
    assert SalesPlan.objects.get(team=org.shanghai, month=OCT).visit_target == 60
    assert not SalesPlan.objects.filter(team=org.beijing, month=OCT).exists()
    # A second copy finds nothing missing.
    again = planner_client.post(COPY, {"team": org.shanghai.pk, "month": "2026-10"}, follow=True)
    assert DONE.format(0, 3) in again.content.decode()
    assert SalesPlan.objects.filter(month=OCT).count() == 3


def test_manager_copy_leaves_their_own_row_alone(org, manager_client):
    plan(org.manager, month=SEP, revenue="100")
    plan(org.rep, month=SEP, revenue="200")
    response = manager_client.post(COPY, {"team": org.shanghai.pk, "month": "2026-10"})
    assert response.status_code == 302
    assert SalesPlan.objects.filter(month=OCT, user=org.rep).exists()
    assert not SalesPlan.objects.filter(month=OCT, user=org.manager).exists()


def test_copy_needs_post(org, planner_client):
    response = planner_client.get(f"{COPY}?team={org.shanghai.pk}&month=2026-10")
    assert response.status_code == 405


def test_a_concurrent_write_is_reported_not_a_crash(org, planner_client, monkeypatch):
    from django.db import IntegrityError

    from performance.plans import services

    def collide(**kwargs):
        raise IntegrityError("duplicate key")

    monkeypatch.setattr(services, "plans_copy_previous_month", collide)
    monkeypatch.setattr(services, "plans_save", collide)
    copy = planner_client.post(COPY, {"team": org.shanghai.pk, "month": "2026-10"}, follow=True)
    assert "Someone else saved this grid at the same time" in copy.content.decode()
    save = planner_client.post(
        f"/performance/plans/?team={org.shanghai.pk}&month=2026-10",
        {f"u{org.rep.pk}-revenue_target": "5"},
        follow=True,
    )
    assert "Someone else saved this grid at the same time" in save.content.decode()
