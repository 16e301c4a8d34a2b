"""Demo data of the performance app for `seed_demo`: the sales plans of the plans part
(`performance.plans.demo.seed`: company, regions, teams and reps, the last three months and this
one), the default KPI schemes (a sales-rep scheme and a regional-manager scheme on team figures)
and last month's scorecards. Idempotent: a second run adds nothing."""

from __future__ import annotations

from crm.models import User
from performance.compute.selectors import run_users
from performance.compute.services import scorecards_compute
from performance.models import Scorecard
from performance.periods import Period
from performance.plans import demo as plans_demo
from performance.schemes.services import ensure_default_schemes


def seed(reps: list[User], admin: User, stdout) -> None:
    # The plans first: the scorecards below take their plan-based targets from them.
    plans = plans_demo.seed(list(reps), admin, stdout)
    schemes = ensure_default_schemes(by=admin)
    last_month = Period.containing().previous()
    computed = 0
    if not Scorecard.objects.filter(period__key=last_month.key).exists():
        users = list(run_users(None).select_related("team", "position"))
        computed = scorecards_compute(users, last_month, by=admin).computed
    stdout.write(
        f"Performance: {len(schemes)} KPI schemes, {plans} sales plans, "
        f"{computed} scorecards for {last_month.key}."
    )
