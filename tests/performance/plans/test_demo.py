"""Demo plans: four months for every level, adding up but for one deliberate mismatch;
a second run creates nothing."""

from __future__ import annotations

import io

import pytest

from performance.models import SalesPlan
from performance.periods import Period
from performance.plans import demo
from performance.plans.selectors import rollups

pytestmark = pytest.mark.django_db


def test_seed_is_idempotent_and_has_one_deliberate_mismatch(org):
    reps = [org.rep, org.teammate, org.east_rep, org.other_team_rep]
    out = io.StringIO()
    created = demo.seed(reps, org.admin, out)
    # 4 reps + 6 teams, for 4 months.
    assert created == SalesPlan.objects.count() == 40
    assert "Sales plans: 40 created" in out.getvalue()
    assert demo.seed(reps, org.admin, io.StringIO()) == 0
    assert SalesPlan.objects.count() == 40

    this_month = Period.containing()
    mismatched = [r.name for r in rollups(this_month.start, paths=None).values() if r.mismatched]
    # The last sales team in tree order plans more than its reps; its region and the company
    # were planned from the reps, so they do not add up either... but only for revenue.
    # The last sales team in tree order plans 50,000 more than its reps (the levels above
    # include those 50,000 and add up).
    assert mismatched == ["Beijing"]
    beijing = rollups(this_month.start, paths=None)[org.beijing.pk]
    assert beijing.differences == {"revenue_target": -demo.MISMATCH}
    assert [
        r.name for r in rollups(this_month.previous().start, paths=None).values() if r.mismatched
    ] == []
    revenues = {p.revenue_target for p in SalesPlan.objects.filter(user__isnull=False)}
    assert len(revenues) > 1  # reps' targets vary


def test_seed_counts_rep_plans_made_before_it(org):
    """Plans another seeder made first are kept, and the teams add up with them."""
    from decimal import Decimal

    from tests.performance.plans.factories import plan

    this_month = Period.containing()
    plan(org.rep, month=this_month.start, revenue="1234.50", customers=1, visits=2)
    demo.seed([org.rep, org.teammate], org.admin, io.StringIO())
    assert SalesPlan.objects.get(user=org.rep, month=this_month.start).revenue_target == Decimal(
        "1234.50"
    )
    last = rollups(this_month.previous().start, paths=None)
    assert not any(r.mismatched for r in last.values())
    shanghai = rollups(this_month.start, paths=None)[org.shanghai.pk]
    assert shanghai.children["revenue_target"] > Decimal("1234.50")
