"""What each dashboard shows, assembled from the selectors: the rep's own page, a team page and
the company page. Each builder runs a fixed number of queries whatever the number of people
(one pass per metric, one GROUP BY per series)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q

from crm.models import Position, Team, User
from performance.dashboards import kpis, selectors
from performance.dashboards.access import visible_scorecards
from performance.metrics import Figure
from performance.models import EvaluationPeriod, KpiSchemeItem, Scorecard
from performance.models.schemes import DEFAULT_CAP
from performance.periods import MONTH, Period

ZERO = Decimal("0.00")
GRADES = ("S", "A", "B", "C", "D")


def _achievement(actual: Decimal, target: Decimal | None) -> Decimal | None:
    if target is None or not target:
        return None
    return actual / target


# --- the rep's own page ----------------------------------------------------------------------


@dataclass
class Rank:
    position: int | None
    out_of: int
    period_key: str = ""


@dataclass
class RepDashboard:
    user: User
    period: Period
    cells: list[kpis.KpiCell]
    has_scheme: bool
    revenue: Decimal
    revenue_target: Decimal | None
    revenue_cell: kpis.KpiCell
    months: list[Period]
    revenue_trend: list[Decimal]
    score_trend: list[Decimal | None]
    revenue_rank: Rank | None
    score_rank: Rank | None
    scorecards: list[Scorecard]


def rep_dashboard(user: User, period: Period) -> RepDashboard:
    """`user`'s own figures: `period` so far against their scheme, 12 months of revenue and
    published totals, their rank in their team, their published scorecards."""
    scheme = kpis.active_schemes([user.position_id]).get(user.position_id)
    items = kpis.scheme_items(scheme)
    keys = [item.metric for item in items] or kpis.default_keys()
    figures = kpis.live_figures([user.pk], period, keys)
    user_plans, _teams = kpis.plan_totals(period, user_ids=[user.pk])
    plan = user_plans.get(user.pk)
    by_key = {item.metric: item for item in items}
    cells = []
    for key in keys:
        item = by_key.get(key)
        target = kpis.item_target(item, plan) if item else None
        cap = item.cap if item else DEFAULT_CAP
        cells.append(kpis.cell_from_figure(key, figures.get(key, {}).get(user.pk), target, cap))

    teammates = selectors.team_members(user.team).filter(team=user.team) if user.team_id else None
    revenues = selectors.revenue_by_user(teammates if teammates is not None else [user.pk], period)
    revenue = revenues.get(user.pk, ZERO)
    revenue_target = plan.get("revenue_target") if plan else None
    revenue_cell = kpis.KpiCell("", revenue, revenue_target, _achievement(revenue, revenue_target))

    months = selectors.trend_months(period)
    published = Scorecard.objects.filter(user=user, status=Scorecard.Status.PUBLISHED)
    revenue_rank = score_rank = None
    if teammates is not None:
        ids = list(teammates.values_list("pk", flat=True))
        if user.pk in ids:
            ranks = selectors.competition_ranks([revenues.get(pk, ZERO) for pk in ids])
            revenue_rank = Rank(ranks[ids.index(user.pk)], len(ids), period.key)
        score_rank = _score_rank(user, published)
    return RepDashboard(
        user=user,
        period=period,
        cells=cells,
        has_scheme=scheme is not None,
        revenue=revenue,
        revenue_target=revenue_target,
        revenue_cell=revenue_cell,
        months=months,
        revenue_trend=selectors.revenue_by_month(Q(owner=user), months),
        score_trend=selectors.score_by_month(published, months),
        revenue_rank=revenue_rank,
        score_rank=score_rank,
        scorecards=list(
            published.select_related("period", "scheme").order_by("-period__start", "period__kind")
        ),
    )


def _score_rank(user: User, published) -> Rank | None:
    """The rank of `user`'s total among the published scorecards of their team in the latest
    month published for them (results under review are never compared)."""
    latest = (
        published.filter(period__kind=MONTH).select_related("period").order_by("-period__start")
    ).first()
    if latest is None or latest.total is None:
        return None
    totals = list(
        Scorecard.objects.filter(
            period=latest.period_id,
            team=latest.team_id,
            status=Scorecard.Status.PUBLISHED,
            total__isnull=False,
        ).values_list("total", flat=True)
    )
    position = 1 + sum(1 for total in totals if total > latest.total)
    return Rank(position, len(totals), latest.period.key)


# --- team page -------------------------------------------------------------------------------


@dataclass
class MemberRow:
    user: User
    revenue: Decimal
    scorecard: Scorecard | None
    cells: list[kpis.KpiCell | None]
    rank: int | None = None

    @property
    def total(self) -> Decimal | None:
        return self.scorecard.total if self.scorecard else None

    @property
    def grade(self) -> str:
        return self.scorecard.grade if self.scorecard else ""


@dataclass
class TeamDashboard:
    team: Team
    period: Period
    keys: list[str]
    rows: list[MemberRow]
    team_cells: list[kpis.KpiCell]
    revenue: Decimal
    revenue_target: Decimal | None
    months: list[Period]
    revenue_trend: list[Decimal]
    score_trend: list[Decimal | None]
    funnel: list = field(default_factory=list)
    pipeline: object = None


def _columns(scorecards: dict[int, Scorecard], schemes: dict, members: list[User]) -> list[str]:
    keys: dict[str, tuple[int, int]] = {}
    for card in scorecards.values():
        for item in card.items.all():
            keys.setdefault(item.metric, (item.sort_order, len(keys)))
    for member in members:
        if member.pk in scorecards:
            continue
        scheme = schemes.get(member.position_id)
        for item in kpis.scheme_items(scheme):
            keys.setdefault(item.metric, (item.sort_order, len(keys)))
    if not keys:
        return kpis.default_keys()
    return sorted(keys, key=lambda k: keys[k])


def team_dashboard(viewer: User, team: Team, period: Period) -> TeamDashboard:
    """The members of `team`'s subtree ranked for `period`: their scorecard (total, grade and the
    figures it was scored on) where there is one, else their live figures against their scheme;
    the team's combined figures; 12 months of revenue and average published total; the funnel."""
    members = list(selectors.team_members(team))
    ids = [m.pk for m in members]
    cards = {
        card.user_id: card
        for card in visible_scorecards(viewer)
        .filter(period__key=period.key, user_id__in=ids)
        .select_related("period")
        .prefetch_related("items")
    }
    schemes = kpis.active_schemes({m.position_id for m in members})
    keys = _columns(cards, schemes, members)
    figures = kpis.live_figures(ids, period, keys)
    user_plans, team_plans = kpis.plan_totals(period, user_ids=ids, team_ids=[team.pk])
    revenues = selectors.revenue_by_user(ids, period)

    rows = []
    for member in members:
        card = cards.get(member.pk)
        if card is not None:
            by_metric = {item.metric: item for item in card.items.all()}
            cells = [kpis.cell_from_item(by_metric[k]) if k in by_metric else None for k in keys]
        else:
            items = {i.metric: i for i in kpis.scheme_items(schemes.get(member.position_id))}
            cells = []
            for key in keys:
                item = items.get(key)
                figure = figures.get(key, {}).get(member.pk)
                if item is None:
                    cells.append(kpis.cell_from_figure(key, figure, None, DEFAULT_CAP))
                else:
                    target = kpis.item_target(item, user_plans.get(member.pk))
                    cells.append(kpis.cell_from_figure(key, figure, target, item.cap))
        rows.append(MemberRow(member, revenues.get(member.pk, ZERO), card, cells))
    rows.sort(
        key=lambda r: (
            r.total is None,
            -(r.total or 0),
            -r.revenue,
            str(r.user),
        )
    )
    by_total = any(r.total is not None for r in rows)
    ranks = selectors.competition_ranks([r.total if by_total else r.revenue for r in rows])
    for row, rank in zip(rows, ranks, strict=True):
        row.rank = rank

    team_plan = team_plans.get(team.pk)
    reference = _reference_items(schemes)
    team_cells = []
    for key in keys:
        figure = kpis.combined(key, figures.get(key, {}).values())
        item = reference.get(key)
        target = kpis.item_target(item, team_plan) if item else None
        team_cells.append(
            kpis.cell_from_figure(key, figure, target, item.cap if item else DEFAULT_CAP)
        )
    revenue = sum(revenues.values(), ZERO)
    revenue_target = team_plan.get("revenue_target") if team_plan else None

    months = selectors.trend_months(period)
    in_team = Q(owner__team__path__startswith=team.path)
    pipeline = selectors.default_pipeline()
    return TeamDashboard(
        team=team,
        period=period,
        keys=keys,
        rows=rows,
        team_cells=team_cells,
        revenue=revenue,
        revenue_target=revenue_target,
        months=months,
        revenue_trend=selectors.revenue_by_month(in_team, months),
        score_trend=selectors.score_by_month(
            visible_scorecards(viewer).filter(
                team__path__startswith=team.path, status=Scorecard.Status.PUBLISHED
            ),
            months,
        ),
        funnel=selectors.team_funnel(viewer=viewer, team=team, period=period, pipeline=pipeline),
        pipeline=pipeline,
    )


def _reference_items(schemes: dict) -> dict[str, KpiSchemeItem]:
    """For the team row: each metric's item in the reps' scheme (their targets are what a team
    is held to), else in any scheme in use."""
    ordered = sorted(
        schemes.values(),
        key=lambda s: s.position.kind != Position.Kind.SALES_REP if s.position_id else True,
    )
    reference: dict[str, KpiSchemeItem] = {}
    for scheme in ordered:
        for item in kpis.scheme_items(scheme):
            reference.setdefault(item.metric, item)
    return reference


# --- company page ----------------------------------------------------------------------------


@dataclass
class TeamRow:
    team: Team
    members: int = 0
    revenue: Decimal = ZERO
    revenue_target: Decimal | None = None
    cells: list[kpis.KpiCell] = field(default_factory=list)
    figures: dict[str, list[Figure]] = field(default_factory=dict)

    @property
    def completion(self) -> kpis.KpiCell:
        return kpis.KpiCell(
            "", self.revenue, self.revenue_target, _achievement(self.revenue, self.revenue_target)
        )

    @property
    def indent(self) -> int:
        return max(self.team.depth - 2, 0)


@dataclass
class GradeRow:
    grade: str
    count: int
    percent: Decimal | None


@dataclass
class CompanyDashboard:
    period: Period
    keys: list[str]
    rows: list[TeamRow]
    company: TeamRow | None
    grades: list[GradeRow]
    graded: int
    evaluation: EvaluationPeriod | None


def company_dashboard(viewer: User, period: Period) -> CompanyDashboard:
    """Every team compared for `period` (members' figures combined, revenue against the team's
    plan) and the distribution of grades of the period's scorecards."""
    teams = list(Team.objects.filter(is_active=True).exclude(path="").order_by("path"))
    company = next((t for t in teams if t.parent_id is None), None)
    if company is None:
        users = []
    else:
        users = list(selectors.team_members(company).values_list("pk", "team__path"))
    ids = [pk for pk, _path in users]
    scheme = kpis.rep_scheme()
    items = {item.metric: item for item in kpis.scheme_items(scheme)}
    keys = list(items) or kpis.default_keys()
    figures = kpis.live_figures(ids, period, keys)
    revenues = selectors.revenue_by_user(ids, period)
    _users, team_plans = kpis.plan_totals(period, team_ids=[t.pk for t in teams])

    rows = {
        t.pk: TeamRow(t, revenue_target=(team_plans.get(t.pk) or {}).get("revenue_target"))
        for t in teams
    }
    for pk, path in users:
        for team_id in (int(part) for part in (path or "").strip("/").split("/") if part):
            row = rows.get(team_id)
            if row is None:
                continue
            row.members += 1
            row.revenue += revenues.get(pk, ZERO)
            for key in keys:
                if key in figures:
                    row.figures.setdefault(key, []).append(figures[key][pk])
    for row in rows.values():
        plan = team_plans.get(row.team.pk)
        for key in keys:
            item = items.get(key)
            figure = kpis.combined(key, row.figures.get(key, []))
            target = kpis.item_target(item, plan) if item else None
            row.cells.append(
                kpis.cell_from_figure(key, figure, target, item.cap if item else DEFAULT_CAP)
            )

    evaluation = EvaluationPeriod.objects.filter(key=period.key).first()
    counts = {
        r["grade"]: r["n"]
        for r in visible_scorecards(viewer)
        .filter(period__key=period.key, total__isnull=False)
        .order_by()
        .values("grade")
        .annotate(n=Count("pk"))
    }
    graded = sum(counts.values())
    letters = list(GRADES) + sorted(g for g in counts if g not in GRADES)
    grades = [
        GradeRow(
            letter,
            counts.get(letter, 0),
            (Decimal(100) * counts.get(letter, 0) / graded).quantize(Decimal("0.1"))
            if graded
            else None,
        )
        for letter in letters
    ]
    company_row = rows.get(company.pk) if company else None
    return CompanyDashboard(
        period=period,
        keys=keys,
        rows=[rows[t.pk] for t in teams if t.parent_id is not None],
        company=company_row,
        grades=grades,
        graded=graded,
        evaluation=evaluation,
    )
