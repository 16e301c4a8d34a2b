"""Reads of sales plans: the grid of one team and month, the roll-up check, targets over a
period. Every function answers in a fixed number of queries, whatever the size of the tree."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from crm.models import Position, Team, User
from performance.models import SalesPlan
from performance.periods import Period
from performance.plans.access import PlanAccess

TARGETS = ("revenue_target", "new_customer_target", "visit_target")
TARGET_LABELS = {
    "revenue_target": _("Revenue target"),
    "new_customer_target": _("New-customer target"),
    "visit_target": _("Visit target"),
}
ZERO_MONEY = Decimal("0.00")
# Members of a team who carry a quota and get a row in the grid (others only if they have one).
QUOTA_POSITIONS = (Position.Kind.SALES_REP, Position.Kind.REGIONAL_MANAGER)


def zero_targets() -> dict[str, Any]:
    return {"revenue_target": ZERO_MONEY, "new_customer_target": 0, "visit_target": 0}


def _sums() -> dict[str, Any]:
    return {
        "revenue_target": Coalesce(Sum("revenue_target"), ZERO_MONEY),
        "new_customer_target": Coalesce(Sum("new_customer_target"), 0),
        "visit_target": Coalesce(Sum("visit_target"), 0),
    }


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "revenue_target": Decimal(values["revenue_target"] or 0).quantize(Decimal("0.01")),
        "new_customer_target": int(values["new_customer_target"] or 0),
        "visit_target": int(values["visit_target"] or 0),
    }


# --- targets over a period -------------------------------------------------------------------
def plan_for(user_or_team: User | Team, period: Period) -> dict[str, Any]:
    """The three targets of one person or one team summed over the months of `period` (zeros
    where no plan was set): {"revenue_target": Decimal, "new_customer_target": int,
    "visit_target": int}. One query."""
    lookup = {"team": user_or_team} if isinstance(user_or_team, Team) else {"user": user_or_team}
    row = SalesPlan.objects.filter(month__in=period.month_starts(), **lookup).aggregate(**_sums())
    return _clean(row)


def plans_for_users(user_ids: list[int], period: Period) -> dict[int, dict[str, Any]]:
    """`plan_for` of many people at once (one query); people without a plan are absent."""
    rows = (
        SalesPlan.objects.filter(month__in=period.month_starts(), user_id__in=list(user_ids))
        .values("user_id")
        .annotate(**_sums())
        .order_by()
    )
    return {row["user_id"]: _clean(row) for row in rows}


# --- the roll-up check -----------------------------------------------------------------------
@dataclass
class Rollup:
    """One team in one month: its own targets against the sum of its child teams' and direct
    reps' targets. `differences` holds children - own for each target that does not add up
    (positive: the level below plans more than the team; negative: less)."""

    team_id: int
    name: str
    path: str
    has_own: bool
    own: dict[str, Any]
    children: dict[str, Any]
    has_children: bool
    differences: dict[str, Any] = field(default_factory=dict)

    @property
    def mismatched(self) -> bool:
        return bool(self.differences)

    @property
    def depth(self) -> int:
        return self.path.count("/") - 1

    @property
    def lines(self) -> list[dict[str, Any]]:
        """One line per target that does not add up, for the summary table."""
        return [
            {
                "name": name,
                "label": TARGET_LABELS[name],
                "money": name == "revenue_target",
                "own": self.own[name],
                "below": self.children[name],
                "difference": difference,
            }
            for name, difference in self.differences.items()
        ]


def _path_q(prefix: str, paths: tuple[str, ...] | None) -> Q:
    if paths is None:
        return Q()
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(**{f"{prefix}path__startswith": path})
    return q


def rollups(month: dt.date, *, paths: tuple[str, ...] | None) -> dict[int, Rollup]:
    """The roll-up of every active team under `paths` (None: the whole company) for `month`,
    keyed by team id, in four queries whatever the number of teams."""
    teams = list(
        Team.objects.filter(_path_q("", paths), is_active=True)
        .exclude(path="")
        .order_by("path")
        .values("pk", "name", "path")
    )
    own = {
        row["team_id"]: _clean(row)
        for row in SalesPlan.objects.filter(_path_q("team__", paths), month=month)
        .filter(team__isnull=False)
        .values("team_id", *TARGETS)
    }
    child_sums = {
        row["team__parent_id"]: _clean(row)
        for row in SalesPlan.objects.filter(
            _path_q("team__", paths), month=month, team__is_active=True
        )
        .filter(team__parent__isnull=False)
        .values("team__parent_id")
        .annotate(**_sums())
        .order_by()
    }
    rep_sums = {
        row["user__team_id"]: _clean(row)
        for row in SalesPlan.objects.filter(_path_q("user__team__", paths), month=month)
        .filter(user__isnull=False, user__team__isnull=False)
        .values("user__team_id")
        .annotate(**_sums())
        .order_by()
    }
    result: dict[int, Rollup] = {}
    for team in teams:
        pk = team["pk"]
        below = zero_targets()
        for sums in (child_sums.get(pk), rep_sums.get(pk)):
            if sums:
                for name in TARGETS:
                    below[name] += sums[name]
        has_children = pk in child_sums or pk in rep_sums
        rollup = Rollup(
            team_id=pk,
            name=team["name"],
            path=team["path"],
            has_own=pk in own,
            own=own.get(pk) or zero_targets(),
            children=below,
            has_children=has_children,
        )
        if rollup.has_own or has_children:
            rollup.differences = {
                name: below[name] - rollup.own[name]
                for name in TARGETS
                if below[name] != rollup.own[name]
            }
        result[pk] = rollup
    return result


def mismatches(month: dt.date, access: PlanAccess) -> list[Rollup]:
    """The teams whose targets for `month` do not add up, over the tree `access` reads."""
    paths = None if access.read_all else access.managed_paths
    return [r for r in rollups(month, paths=paths).values() if r.mismatched]


# --- the grid --------------------------------------------------------------------------------
@dataclass
class GridRow:
    key: str  # form prefix: "t<team id>" or "u<user id>"
    team: Team | None
    user: User | None
    plan: SalesPlan | None
    editable: bool
    is_own_team: bool = False  # the grid's team itself (first row)
    rollup: Rollup | None = None
    form: Any = None

    @property
    def target(self) -> Team | User:
        return self.team or self.user

    def initial(self) -> dict[str, Any]:
        if self.plan is None:
            return {}
        return {name: getattr(self.plan, name) for name in TARGETS}


@dataclass
class Grid:
    team: Team
    month: Period
    rows: list[GridRow]
    ancestors: list[Team]
    rollup: Rollup | None
    mismatches: list[Rollup]

    @property
    def editable(self) -> bool:
        return any(row.editable for row in self.rows)

    @property
    def children_total(self) -> dict[str, Any]:
        return self.rollup.children if self.rollup else zero_targets()


def default_team(user: User, access: PlanAccess) -> Team | None:
    """The team a grid opens on: the user's own team if they may read it, else the first team
    they manage, else (company-wide readers) the company."""
    if user.team_id and access.can_read_team(user.team):
        return user.team
    if access.managed_paths:
        return Team.objects.filter(path=access.managed_paths[0]).first()
    if access.read_all:
        return Team.objects.filter(parent__isnull=True).first()
    return None


def grid_members(team: Team, month: dt.date):
    """People shown as rows of `team`'s grid: its active quota carriers, plus anyone of the team
    who has a plan that month (so that every row the roll-up counts is on the page)."""
    return (
        User.objects.filter(team=team)
        .filter(Q(is_active=True, position__kind__in=QUOTA_POSITIONS) | Q(sales_plans__month=month))
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def plan_grid(team: Team, month: Period, access: PlanAccess) -> Grid:
    """Everything the grid page of `team` for `month` shows, in a fixed number of queries."""
    children = list(Team.objects.filter(parent=team, is_active=True).order_by("name"))
    members = list(grid_members(team, month.start))
    plans = SalesPlan.objects.filter(month=month.start).filter(
        Q(team=team) | Q(team__in=[c.pk for c in children]) | Q(user__in=[m.pk for m in members])
    )
    team_plans, user_plans = {}, {}
    for plan in plans:
        if plan.team_id:
            team_plans[plan.team_id] = plan
        else:
            user_plans[plan.user_id] = plan
    tree = rollups(month.start, paths=None if access.read_all else access.managed_paths)
    rows = [
        GridRow(
            f"t{team.pk}",
            team,
            None,
            team_plans.get(team.pk),
            access.can_edit_team(team),
            is_own_team=True,
            rollup=tree.get(team.pk),
        )
    ]
    rows += [
        GridRow(
            f"t{c.pk}",
            c,
            None,
            team_plans.get(c.pk),
            access.can_edit_team(c),
            rollup=tree.get(c.pk),
        )
        for c in children
    ]
    for member in members:
        member.team = team  # (already known: spares a query per row in the templates)
        rows.append(
            GridRow(
                f"u{member.pk}",
                None,
                member,
                user_plans.get(member.pk),
                access.can_edit_user_in(member.pk, team.path),
            )
        )
    ancestors = list(
        Team.objects.filter(access.teams_q(), pk__in=team.ancestor_ids()[:-1]).order_by("path")
    )
    return Grid(
        team=team,
        month=month,
        rows=rows,
        ancestors=ancestors,
        rollup=tree.get(team.pk),
        mismatches=[r for r in tree.values() if r.mismatched],
    )


def own_targets(user: User, year: int) -> list[tuple[dt.date, dict[str, Any] | None]]:
    """A person's targets for each month of `year` (None where no plan was set): one query."""
    plans = {
        p["month"]: _clean(p)
        for p in SalesPlan.objects.filter(user=user, month__year=year).values("month", *TARGETS)
    }
    months = Period.parse(str(year)).month_starts()
    return [(m, plans.get(m)) for m in months]
