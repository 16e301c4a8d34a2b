"""Who may open which dashboard: the one place the dashboards decide it.

- Everyone signed in has their own page (their own figures only).
- A team page is open to whoever manages the team or a team above it (their subtrees), and to
  the company-wide positions (sales VP, sales planning, HR, administrators) for any team. A team
  outside that reach is a 404: its existence is not revealed.
- The company page is for the company-wide positions only.
- Scorecards follow the rule of the scorecard pages (performance/review/permissions.py): a
  person sees their own scorecard only once it is published.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from crm.models import Position, Team, User
from performance.models import Scorecard

COMPANY_POSITIONS = frozenset(
    {
        Position.Kind.SALES_VP,
        Position.Kind.SALES_PLANNER,
        Position.Kind.HR,
        Position.Kind.ADMIN,
    }
)


def sees_company(user: User) -> bool:
    """Sales VP, sales planning, HR and administrators: the company page and every team."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return user.position is not None and user.position.kind in COMPANY_POSITIONS


def managed_paths(user: User) -> list[str]:
    """The paths of the active teams `user` manages (one query, cached on the user)."""
    cache = user.__dict__.get("_dashboard_managed_paths")
    if cache is None:
        cache = list(
            Team.objects.filter(manager=user, is_active=True)
            .exclude(path="")
            .order_by("path")
            .values_list("path", flat=True)
        )
        user.__dict__["_dashboard_managed_paths"] = cache
    return cache


def reachable_teams(user: User) -> QuerySet[Team]:
    """The teams whose page `user` may open, in tree order."""
    qs = Team.objects.filter(is_active=True).exclude(path="").order_by("path")
    if sees_company(user):
        return qs
    paths = managed_paths(user)
    if not paths:
        return qs.none()
    q = Q()
    for path in paths:
        q |= Q(path__startswith=path)
    return qs.filter(q)


def may_see_teams(user: User) -> bool:
    return sees_company(user) or bool(managed_paths(user))


def team_or_404(user: User, team_id: object) -> Team:
    """The team `team_id` if `user` may open its page, else 404 (also for a malformed id)."""
    try:
        pk = int(str(team_id))
    except (TypeError, ValueError) as exc:
        raise Http404 from exc
    team = reachable_teams(user).filter(pk=pk).first()
    if team is None:
        raise Http404
    return team


def default_team(user: User) -> Team | None:
    """The team a page opens on: the company for company-wide positions, else the highest team
    the user manages."""
    teams = reachable_teams(user)
    if sees_company(user):
        return teams.filter(parent__isnull=True).first() or teams.first()
    return teams.first()


def visible_scorecards(user: User) -> QuerySet[Scorecard]:
    """The scorecards `user` may see: the rule of the scorecard pages (performance/review/
    permissions.py): managers their subtrees, company-wide positions all, and everyone their
    own only once published (a rep never sees a result still under review)."""
    from performance.review.selectors import scorecards_visible

    return scorecards_visible(user)
