"""Reads of the dashboards: revenue and score series in one aggregate query each, the people of
a team, ranks, the funnel of a team. Nothing here loops over orders in Python."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from crm.models import Team, User
from crm.selectors import may_own_records
from opportunities import reports
from opportunities.models import Pipeline
from orders.models import Order
from performance.models import Scorecard
from performance.periods import MONTH, Period

ZERO = Decimal("0.00")
CENTS = Decimal("0.01")


def trend_months(period: Period, count: int = 12) -> list[Period]:
    """The `count` calendar months ending with the last month of `period`, oldest first."""
    last = Period.containing(period.last_day)
    months = [last]
    while len(months) < count:
        months.append(months[-1].previous())
    return months[::-1]


def team_members(team: Team) -> QuerySet[User]:
    """The people of a team subtree who carry figures (who may own records: not planning or HR),
    active, in name order."""
    return (
        User.objects.filter(is_active=True, team__path__startswith=team.path)
        .filter(may_own_records())
        .select_related("team", "position")
        .order_by("last_name", "first_name", "username")
    )


def _counted_orders(period_start: dt.date, period_end: dt.date) -> QuerySet[Order]:
    return Order.objects.counted().filter(order_date__gte=period_start, order_date__lt=period_end)


def revenue_by_user(users: Iterable[int] | QuerySet, period: Period) -> dict[int, Decimal]:
    """revenue(U, P) of ../shared/KPIS.md for each person (one GROUP BY query). `users` is a list
    of ids or a queryset of users (sent as a sub-select, for large teams)."""
    owners = users.values("pk") if isinstance(users, QuerySet) else list(users)
    rows = (
        _counted_orders(period.start, period.end)
        .filter(owner__in=owners)
        .order_by()
        .values("owner_id")
        .annotate(revenue=Sum("total"))
    )
    return {r["owner_id"]: Decimal(r["revenue"] or 0).quantize(CENTS) for r in rows}


def revenue_by_month(owners: Q, months: list[Period]) -> list[Decimal]:
    """The revenue of the orders matching `owners` in each month of `months` (one query)."""
    rows = (
        _counted_orders(months[0].start, months[-1].end)
        .filter(owners)
        .order_by()
        .annotate(month=TruncMonth("order_date"))
        .values("month")
        .annotate(revenue=Sum("total"))
    )
    by_month = {}
    for r in rows:
        month = r["month"].date() if isinstance(r["month"], dt.datetime) else r["month"]
        by_month[month] = Decimal(r["revenue"] or 0).quantize(CENTS)
    return [by_month.get(m.start, ZERO) for m in months]


def score_by_month(scorecards: QuerySet[Scorecard], months: list[Period]) -> list[Decimal | None]:
    """The mean total of `scorecards` in each month of `months` (one query; the mean is taken
    in Decimal from the database's sum and count)."""
    rows = (
        scorecards.filter(
            period__kind=MONTH,
            period__start__in=[m.start for m in months],
            total__isnull=False,
        )
        .order_by()
        .values("period__start")
        .annotate(total_sum=Sum("total"), n=Count("pk"))
    )
    by_month = {
        r["period__start"]: (Decimal(r["total_sum"]) / r["n"]).quantize(
            CENTS, rounding=ROUND_HALF_UP
        )
        for r in rows
        if r["n"]
    }
    return [by_month.get(m.start) for m in months]


def competition_ranks(values: list[Decimal | None]) -> list[int | None]:
    """1, 2, 2, 4 ranks of `values` (higher is better); None ranks nothing."""
    ordered = sorted((v for v in values if v is not None), reverse=True)
    first_index: dict[Decimal, int] = {}
    for index, value in enumerate(ordered):
        first_index.setdefault(value, index + 1)
    return [first_index[v] if v is not None else None for v in values]


# --- funnel ----------------------------------------------------------------------------------


def default_pipeline() -> Pipeline | None:
    return Pipeline.objects.filter(is_active=True).order_by("-is_default", "order", "id").first()


def team_funnel(
    *, viewer: User, team: Team, period: Period, pipeline: Pipeline | None
) -> list[reports.FunnelStep]:
    """The funnel of opportunities.reports for the opportunities owned in `team`'s subtree and
    created in `period`."""
    if pipeline is None:
        return []
    return reports.funnel(
        viewer=viewer,
        team=team,
        pipeline=pipeline,
        start=period.start,
        end=period.last_day,
    )
