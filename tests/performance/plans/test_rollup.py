"""The roll-up check: where a level's own targets differ from the sum of the level below."""

from __future__ import annotations

from decimal import Decimal

import pytest

from performance.periods import Period
from performance.plans.access import plan_access
from performance.plans.selectors import mismatches, plan_for, plans_for_users, rollups
from tests.factories import TeamFactory, UserFactory
from tests.performance.plans.factories import OCT, SEP, plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def plans(org):
    """East plans 100,000 / 10 / 100; its teams 60,000 and 30,000 (10,000 short) with the
    customer and visit targets adding up; Shanghai's reps plan 10,000 more than Shanghai."""
    plan(org.east, revenue="100000", customers=10, visits=100)
    plan(org.shanghai, revenue="60000", customers=6, visits=60)
    plan(org.hangzhou, revenue="30000", customers=4, visits=40)
    plan(org.rep, revenue="40000", customers=3, visits=30)
    plan(org.teammate, revenue="30000", customers=3, visits=30)
    plan(org.east_rep, revenue="30000", customers=4, visits=40)
    return org


def test_differences_in_both_directions(plans):
    org = plans
    tree = rollups(OCT, paths=None)
    assert tree[org.east.pk].differences == {"revenue_target": Decimal("-10000.00")}
    assert tree[org.shanghai.pk].differences == {"revenue_target": Decimal("10000.00")}
    assert tree[org.shanghai.pk].children["revenue_target"] == Decimal("70000.00")
    assert not tree[org.hangzhou.pk].mismatched
    # The company has no plan of its own while East has one: everything below is the gap.
    company = tree[org.company.pk]
    assert not company.has_own
    assert company.differences == {
        "revenue_target": Decimal("100000.00"),
        "new_customer_target": 10,
        "visit_target": 100,
    }
    # North and Beijing have no plans at all: nothing to check.
    assert not tree[org.north.pk].mismatched
    assert not tree[org.beijing.pk].mismatched


def test_other_months_do_not_count(plans):
    plan(plans.rep, month=SEP, revenue="999999")
    assert rollups(OCT, paths=None)[plans.shanghai.pk].children["revenue_target"] == Decimal(
        "70000.00"
    )


def test_summary_covers_only_the_tree_the_person_reads(plans):
    org = plans
    names = {r.name for r in mismatches(OCT, plan_access(org.planner))}
    assert names == {"Hengtai", "East", "Shanghai"}
    assert {r.name for r in mismatches(OCT, plan_access(org.manager))} == {"Shanghai"}
    assert mismatches(OCT, plan_access(org.rep)) == []


def test_grid_highlights_the_difference_and_lists_mismatching_teams(plans, planner_client):
    org = plans
    page = planner_client.get(f"/performance/plans/?team={org.east.pk}&month=2026-10")
    html = page.content.decode()
    assert "does not add up" in html
    assert "-10,000.00" in html  # East: its teams plan less than East
    assert "+10,000.00" in html  # Shanghai (summary list): its reps plan more
    assert [r.name for r in page.context["grid"].mismatches] == ["Hengtai", "East", "Shanghai"]
    hangzhou = planner_client.get(f"/performance/plans/?team={org.hangzhou.pk}&month=2026-10")
    assert "adds up" in hangzhou.content.decode()


def test_rollup_queries_are_fixed_whatever_the_tree(plans, django_assert_num_queries):
    org = plans
    with django_assert_num_queries(4):
        rollups(OCT, paths=None)
    for n in range(20):
        team = TeamFactory(name=f"T{n}", parent=org.north)
        plan(team, revenue="5")
        plan(UserFactory(username=f"u{n}", team=team), revenue="5")
    with django_assert_num_queries(4):
        tree = rollups(OCT, paths=None)
    assert tree[org.north.pk].children["revenue_target"] == Decimal("100.00")


def test_plan_for_sums_the_months_of_the_period(plans):
    org = plans
    plan(org.rep, month=SEP, revenue="5000", customers=1, visits=2)
    plan(org.rep, month=OCT.replace(month=12), revenue="0.50")
    assert plan_for(org.rep, Period.parse("2026-10")) == {
        "revenue_target": Decimal("40000.00"),
        "new_customer_target": 3,
        "visit_target": 30,
    }
    assert plan_for(org.rep, Period.parse("2026-Q4"))["revenue_target"] == Decimal("40000.50")
    assert plan_for(org.rep, Period.parse("2026"))["revenue_target"] == Decimal("45000.50")
    assert plan_for(org.shanghai, Period.parse("2026-Q4"))["visit_target"] == 60
    assert plan_for(org.other_team_rep, Period.parse("2026")) == {
        "revenue_target": Decimal("0.00"),
        "new_customer_target": 0,
        "visit_target": 0,
    }
    batch = plans_for_users([org.rep.pk, org.teammate.pk, org.hr.pk], Period.parse("2026-Q3"))
    assert batch == {
        org.rep.pk: {
            "revenue_target": Decimal("5000.00"),
            "new_customer_target": 1,
            "visit_target": 2,
        }
    }
