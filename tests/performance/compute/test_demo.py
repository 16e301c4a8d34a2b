"""The demo seed: the plans part's plans (company, teams, reps), the default schemes, last
month's scorecards scored against those plans; a second run adds nothing."""

from __future__ import annotations

import io

from performance import demo
from performance.models import KpiScheme, SalesPlan, Scorecard
from performance.periods import Period


def test_seed_uses_the_plans_seed_and_is_idempotent(org):
    reps = [org.rep, org.teammate, org.east_rep, org.other_team_rep]
    out = io.StringIO()
    demo.seed(reps=reps, admin=org.admin, stdout=out)

    this_month, last_month = Period.containing(), Period.containing().previous()
    # The plans seed's plans: this month and the three before, for every rep and every team
    # (company, regions, teams), not rep plans of the performance seed's own.
    assert "Sales plans:" in out.getvalue()
    months = {this_month.start, last_month.start}
    for rep in reps:
        assert months <= set(SalesPlan.objects.filter(user=rep).values_list("month", flat=True))
    for team in (org.company, org.east, org.shanghai, org.beijing):
        assert SalesPlan.objects.filter(team=team, month=last_month.start).exists()
    assert SalesPlan.objects.filter(month__lt=last_month.previous().previous().start).count() == 0

    # Last month's scorecards: the 4 reps and the 2 managers; plan completion scored against
    # the plans seed's revenue target (defined: the rep has a plan).
    counts = (KpiScheme.objects.count(), SalesPlan.objects.count(), Scorecard.objects.count())
    assert counts[0] == 2
    assert counts[2] == 6
    card = Scorecard.objects.get(user=org.rep, period__key=last_month.key)
    completion = card.items.get(metric="plan_completion")
    plan = SalesPlan.objects.get(user=org.rep, month=last_month.start)
    assert completion.denominator == plan.revenue_target
    assert completion.target == 1

    again = io.StringIO()
    demo.seed(reps=reps, admin=org.admin, stdout=again)
    assert (KpiScheme.objects.count(), SalesPlan.objects.count(), Scorecard.objects.count()) == (
        counts
    )
    assert "0 KPI schemes, 0 sales plans, 0 scorecards" in again.getvalue()
