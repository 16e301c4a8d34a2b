"""Demo sales plans for `seed_demo`: the last three months and this month, for every rep, team,
region and the company. Reps' targets vary; each level is the sum of the level below, except one
deliberate mismatch this month (the last sales team plans 50,000 more than its reps; the levels
above include those 50,000), so that the roll-up check has something to show. Idempotent:
existing plans are left alone."""

from __future__ import annotations

import zlib
from decimal import Decimal

from simple_history.utils import bulk_create_with_history

from crm.models import Team, User
from performance.models import SalesPlan
from performance.periods import Period
from performance.plans.selectors import TARGETS, zero_targets

MISMATCH = Decimal("50000.00")


def _rep_targets(user: User, month_index: int) -> dict:
    """Stable, varied targets: 150,000 to 400,000 in steps of 10,000 growing a little each
    month, 2 to 7 new customers, 16 to 40 visits."""
    seed = zlib.crc32(user.username.encode())
    return {
        "revenue_target": Decimal(150_000 + (seed % 26) * 10_000 + month_index * 10_000).quantize(
            Decimal("0.01")
        ),
        "new_customer_target": 2 + (seed >> 5) % 6,
        "visit_target": 16 + ((seed >> 9) % 7) * 4,
    }


def seed(reps: list[User], admin: User, stdout=None) -> int:
    """Create the demo plans that do not exist yet; returns how many were created."""
    this_month = Period.containing()
    months = [this_month.previous().previous().previous(), this_month.previous().previous()]
    months += [this_month.previous(), this_month]
    teams = list(Team.objects.filter(is_active=True).exclude(path="").order_by("path"))
    if not teams or not reps:
        return 0
    by_id = {t.pk: t for t in teams}
    existing: dict[tuple, dict] = {
        (p["team_id"], p["user_id"], p["month"]): p
        for p in SalesPlan.objects.filter(month__in=[m.start for m in months]).values(
            "team_id", "user_id", "month", *TARGETS
        )
    }
    deliberate = max(
        (t for t in teams if t.kind == Team.Kind.TEAM), key=lambda t: t.path, default=None
    )
    new: list[SalesPlan] = []
    for index, month in enumerate(months):
        sums = {t.pk: zero_targets() for t in teams}
        for rep in reps:
            # A plan already there (an earlier run, another seeder) is kept and counted.
            current = existing.get((None, rep.pk, month.start))
            values = _rep_targets(rep, index) if current is None else current
            if rep.team_id in sums:
                for name in TARGETS:
                    sums[rep.team_id][name] += values[name]
            if current is None:
                new.append(SalesPlan(month=month.start, user=rep, updated_by=admin, **values))
        # Bottom-up: deepest teams first, each adding its sums into its parent's.
        for team in sorted(teams, key=lambda t: t.depth, reverse=True):
            values = dict(sums[team.pk])
            if team == deliberate and month == this_month:
                # The team plans more than its reps; the levels above include it and add up.
                values["revenue_target"] += MISMATCH
            if team.parent_id in sums:
                for name in TARGETS:
                    sums[team.parent_id][name] += values[name]
            if (team.pk, None, month.start) not in existing and team.pk in by_id:
                new.append(SalesPlan(month=month.start, team=team, updated_by=admin, **values))
    bulk_create_with_history(new, SalesPlan, default_user=admin, default_change_reason="demo data")
    if stdout is not None:
        stdout.write(f"Sales plans: {len(new)} created for {months[0]} to {months[-1]}.")
    return len(new)
