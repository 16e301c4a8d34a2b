"""Reads of the computation pages: who may start runs and for which teams, the runs a person
sees, the people a run scores."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from crm.models import Position, Team, User, is_administrator
from performance.models import KpiScheme, ScorecardRun

Kind = Position.Kind
# Positions that compute for the whole company (or any team); managers compute for their subtree.
COMPANY_WIDE = {Kind.SALES_PLANNER, Kind.SALES_VP, Kind.HR, Kind.ADMIN}


def _kind(user: User) -> str:
    return user.position.kind if getattr(user, "position", None) is not None else ""


def is_company_wide(user: User) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and (is_administrator(user) or _kind(user) in COMPANY_WIDE)
    )


def managed_paths(user: User) -> list[str]:
    paths = Team.objects.filter(manager=user, is_active=True).values_list("path", flat=True)
    return [p for p in paths if p]


def _subtree_q(paths: list[str], field: str = "path") -> Q:
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(**{f"{field}__startswith": path})
    return q


def run_teams(user: User) -> QuerySet[Team]:
    """The teams `user` may compute for: every team for company-wide positions, the subtrees
    they manage for managers, none for others."""
    teams = Team.objects.filter(is_active=True).order_by("path")
    if is_company_wide(user):
        return teams
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return teams.none()
    return teams.filter(_subtree_q(managed_paths(user)))


def can_start_runs(user: User) -> bool:
    return is_company_wide(user) or (
        getattr(user, "is_authenticated", False) and user.is_active and bool(managed_paths(user))
    )


def run_list(*, viewer: User) -> QuerySet[ScorecardRun]:
    """The runs `viewer` sees: all for company-wide positions; a manager's own subtree's."""
    runs = ScorecardRun.objects.select_related("period", "team", "requested_by")
    if is_company_wide(viewer):
        return runs
    paths = managed_paths(viewer)
    if not paths:
        return runs.none()
    return runs.filter(_subtree_q(paths, "team__path"))


def run_for_viewer(*, viewer: User, pk: int) -> ScorecardRun:
    try:
        return run_list(viewer=viewer).get(pk=pk)
    except ScorecardRun.DoesNotExist:
        raise Http404 from None


def run_users(team: Team | None) -> QuerySet[User]:
    """The people a run scores: the active users of the team subtree (or the company) whose
    position has an active scheme."""
    positions = KpiScheme.objects.filter(status=KpiScheme.Status.ACTIVE).values("position_id")
    users = User.objects.filter(is_active=True, position__in=positions)
    if team is not None:
        users = users.filter(team__path__startswith=team.path)
    return users.order_by("pk")
