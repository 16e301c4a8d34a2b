"""Sales reports over opportunities: weighted forecast by close month, the stage-to-stage
funnel with days per stage, and win rate with cycle time per rep.

Each figure is one aggregate query in the database (GROUP BY, conditional COUNT/SUM), over the
rows the viewer may see: no Python loop over opportunities. Money stays Decimal end to end
(charts get strings).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Avg,
    Case,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils.translation import gettext as _

from crm.dates import add_months, start_of_day
from crm.models import Team, User
from crm.scopes import DataScope, reach_of
from opportunities.models import Opportunity, Pipeline, Stage, StageChange
from opportunities.selectors import ZERO, weighted, weighted_sum


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _pct(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


# --- forecast -------------------------------------------------------------------------------


FORECAST_MAX_ROWS = 50


@dataclass
class ForecastRow:
    key: int | None  # owner or team id; None for the whole scope (or "others")
    label: str
    months: dict[dt.date, dict] = field(default_factory=dict)
    amount: Decimal = Decimal("0.00")
    weighted: Decimal = Decimal("0.00")
    count: int = 0
    cells: list[dict | None] = field(default_factory=list)  # one per month, for the table


@dataclass
class Forecast:
    months: list[dt.date]
    rows: list[ForecastRow]
    totals: ForecastRow


def forecast(
    *,
    viewer: User,
    start: dt.date,
    months: int = 6,
    group: str = "owner",
    pipeline: Pipeline | None = None,
) -> Forecast:
    """Open opportunities by expected close month: count, amount and weighted amount (amount x
    the stage's probability), per rep (`group="owner"`), per team (`"team"`) or in total."""
    first = month_start(start)
    end = add_months(first, months)
    month_list = [add_months(first, i) for i in range(months)]
    qs = Opportunity.objects.visible_to(viewer).filter(
        status=Opportunity.Status.OPEN, expected_close_on__gte=first, expected_close_on__lt=end
    )
    if pipeline is not None:
        qs = qs.filter(pipeline=pipeline)
    group_field = {"owner": "owner_id", "team": "owner__team_id"}.get(group)
    keys = ["month", group_field] if group_field else ["month"]
    data = (
        qs.order_by()
        .annotate(month=TruncMonth("expected_close_on"))
        .values(*keys)
        .annotate(n=Count("pk"), amount_sum=Coalesce(Sum("amount"), ZERO), weighted=weighted_sum())
    )
    rows: dict[int | None, ForecastRow] = {}
    totals = ForecastRow(None, "")
    for item in data:
        item["weighted"] = weighted(item["weighted"])
        month = item["month"]
        if isinstance(month, dt.datetime):
            month = month.date()
        key = item.get(group_field) if group_field else None
        row = rows.setdefault(key, ForecastRow(key, ""))
        for target in (row, totals):
            cell = target.months.setdefault(
                month, {"count": 0, "amount": Decimal("0.00"), "weighted": Decimal("0.00")}
            )
            cell["count"] += item["n"]
            cell["amount"] += item["amount_sum"]
            cell["weighted"] += item["weighted"]
            target.count += item["n"]
            target.amount += item["amount_sum"]
            target.weighted += item["weighted"]
    _label_rows(rows, group)
    ordered = sorted(rows.values(), key=lambda r: (-r.weighted, r.label))
    if len(ordered) > FORECAST_MAX_ROWS:
        # A company-wide view per rep is a thousand rows: the largest, then the rest summed.
        rest = ordered[FORECAST_MAX_ROWS - 1 :]
        others = ForecastRow(None, _("%(count)s others") % {"count": len(rest)})
        for row in rest:
            for month, cell in row.months.items():
                target = others.months.setdefault(
                    month, {"count": 0, "amount": Decimal("0.00"), "weighted": Decimal("0.00")}
                )
                for key in target:
                    target[key] += cell[key]
            others.count += row.count
            others.amount += row.amount
            others.weighted += row.weighted
        ordered = [*ordered[: FORECAST_MAX_ROWS - 1], others]
    for row in [*ordered, totals]:
        row.cells = [row.months.get(month) for month in month_list]
    return Forecast(month_list, ordered, totals)


def _label_rows(rows: dict, group: str) -> None:
    ids = [k for k in rows if k is not None]
    if group == "owner":
        names = {u.pk: str(u) for u in User.objects.filter(pk__in=ids)}
    elif group == "team":
        names = {t.pk: t.name for t in Team.objects.filter(pk__in=ids)}
    else:
        names = {}
    for key, row in rows.items():
        row.label = names.get(key, "–")


WON_ORDER = 100_000  # "reached the won stage" sorts after every open stage

# --- funnel ---------------------------------------------------------------------------------


@dataclass
class FunnelStep:
    stage: Stage
    reached: int
    conversion: Decimal | None  # % of those reaching this stage who reached the next one
    of_first: Decimal | None  # % of the cohort reaching this stage


@dataclass
class StageTime:
    stage: Stage
    moves: int
    avg_days: Decimal | None


def funnel(
    *,
    viewer: User,
    pipeline: Pipeline,
    start: dt.date,
    end: dt.date,
    team: Team | None = None,
) -> list[FunnelStep]:
    """The cohort of opportunities created in [start, end] in `pipeline` (owned in `team`'s
    subtree when given, always within what `viewer` sees): how many reached each
    open stage or went further, from their stage history. Every opportunity of the cohort counts
    at the first stage; won counts as beyond every open stage; a move to lost reaches nothing
    further. One query: per opportunity the furthest stage reached (GROUP BY in a subquery),
    then a conditional COUNT per stage over those."""
    steps = [s for s in pipeline.stages.order_by("order", "id") if s.kind != Stage.Kind.LOST]
    if not steps:
        return []
    cohort = Opportunity.objects.visible_to(viewer).filter(
        pipeline=pipeline,
        created_at__gte=start_of_day(start),
        created_at__lt=start_of_day(end + dt.timedelta(days=1)),
    )
    if team is not None:
        cohort = cohort.filter(owner__team__path__startswith=team.path)
    changes = StageChange.objects.filter(
        opportunity__in=cohort.values("pk"), to_stage__pipeline=pipeline
    )
    furthest = changes.values("opportunity").annotate(
        reached=Max(
            Case(
                When(to_stage__kind=Stage.Kind.WON, then=Value(WON_ORDER)),
                When(to_stage__kind=Stage.Kind.LOST, then=Value(-1)),
                default=F("to_stage__order"),
                output_field=IntegerField(),
            )
        )
    )
    counts = furthest.aggregate(
        **{
            f"s{stage.pk}": Count(
                "reached",
                filter=None
                if i == 0
                else Q(reached__gte=WON_ORDER if stage.kind == Stage.Kind.WON else stage.order),
            )
            for i, stage in enumerate(steps)
        }
    )
    result = []
    first = counts[f"s{steps[0].pk}"]
    for i, stage in enumerate(steps):
        reached = counts[f"s{stage.pk}"]
        following = counts[f"s{steps[i + 1].pk}"] if i + 1 < len(steps) else None
        result.append(
            FunnelStep(
                stage=stage,
                reached=reached,
                conversion=_pct(following, reached) if following is not None else None,
                of_first=_pct(reached, first),
            )
        )
    return result


def _scoped_changes(viewer: User):
    """Stage changes of the opportunities `viewer` sees (no sub-select for who sees all)."""
    if reach_of(viewer).level == DataScope.ALL:
        return StageChange.objects.all()
    return StageChange.objects.filter(
        opportunity__in=Opportunity.objects.visible_to(viewer).values("pk")
    )


def stage_times(
    *, viewer: User, pipeline: Pipeline, start: dt.date, end: dt.date
) -> list[StageTime]:
    """Average days spent in each stage, over the moves out of it made in [start, end]. One
    query (GROUP BY the stage left)."""
    rows = (
        _scoped_changes(viewer)
        .filter(
            from_stage__pipeline=pipeline,
            changed_at__gte=start_of_day(start),
            changed_at__lt=start_of_day(end + dt.timedelta(days=1)),
        )
        .order_by()
        .values("from_stage")
        .annotate(moves=Count("pk"), avg_seconds=Avg("seconds_in_previous"))
    )
    by_stage = {r["from_stage"]: r for r in rows}
    result = []
    for stage in pipeline.stages.filter(kind=Stage.Kind.OPEN).order_by("order", "id"):
        row = by_stage.get(stage.pk)
        avg = None
        if row and row["avg_seconds"] is not None:
            avg = (Decimal(str(row["avg_seconds"])) / Decimal(86400)).quantize(Decimal("0.1"))
        result.append(StageTime(stage=stage, moves=row["moves"] if row else 0, avg_days=avg))
    return result


# --- win rate -------------------------------------------------------------------------------


@dataclass
class WinRateRow:
    owner: User | None
    won: int
    lost: int
    won_amount: Decimal
    avg_cycle_days: Decimal | None

    @property
    def closed(self) -> int:
        return self.won + self.lost

    @property
    def win_rate(self) -> Decimal | None:
        return _pct(self.won, self.closed)


def win_rates(
    *, viewer: User, start: dt.date, end: dt.date, pipeline: Pipeline | None = None
) -> tuple[list[WinRateRow], WinRateRow]:
    """Per rep, the opportunities closed in [start, end]: won, lost, win rate (won / closed),
    amount won and the average cycle (created to won, in days). One GROUP BY query."""
    qs = Opportunity.objects.visible_to(viewer).filter(
        status__in=[Opportunity.Status.WON, Opportunity.Status.LOST],
        closed_at__gte=start_of_day(start),
        closed_at__lt=start_of_day(end + dt.timedelta(days=1)),
    )
    if pipeline is not None:
        qs = qs.filter(pipeline=pipeline)
    is_won = Q(status=Opportunity.Status.WON)
    cycle = ExpressionWrapper(F("closed_at") - F("created_at"), output_field=DurationField())
    data = list(
        qs.order_by()
        .values("owner")
        .annotate(
            won=Count("pk", filter=is_won),
            lost=Count("pk", filter=Q(status=Opportunity.Status.LOST)),
            won_amount=Coalesce(Sum("amount", filter=is_won), ZERO),
            avg_cycle=Avg(cycle, filter=is_won),
        )
    )
    people = User.objects.in_bulk([r["owner"] for r in data])
    rows = []
    total = WinRateRow(None, 0, 0, Decimal("0.00"), None)
    # The total's average cycle weighs each rep's exact average (not the rounded one shown).
    cycle_sum, cycle_n = Decimal(0), 0
    for r in data:
        seconds = _seconds(r["avg_cycle"])
        days = _days(seconds)
        rows.append(WinRateRow(people.get(r["owner"]), r["won"], r["lost"], r["won_amount"], days))
        total.won += r["won"]
        total.lost += r["lost"]
        total.won_amount += r["won_amount"]
        if seconds is not None:
            cycle_sum += seconds * r["won"]
            cycle_n += r["won"]
    if cycle_n:
        total.avg_cycle_days = _days(cycle_sum / cycle_n)
    rows.sort(key=lambda row: (-(row.win_rate or 0), -row.won, str(row.owner)))
    return rows, total


def _seconds(value) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, dt.timedelta):
        return Decimal(str(value.total_seconds()))
    return Decimal(str(value)) / Decimal(1_000_000)  # microseconds (some backends)


def _days(seconds: Decimal | None) -> Decimal | None:
    if seconds is None:
        return None
    return (seconds / Decimal(86400)).quantize(Decimal("0.1"))
