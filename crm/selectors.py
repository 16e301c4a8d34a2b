"""Reads of the shared core: scoped querysets with what their pages need loaded."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from crm.models import Team, User
from crm.scopes import DataScope, reach_of


def user_list(*, viewer: User, search: str = "", team: Team | None = None) -> QuerySet[User]:
    """The people `viewer` may see, with team and position loaded for the list page."""
    qs = User.objects.visible_to(viewer).filter(is_active=True).select_related("team", "position")
    if search:
        qs = qs.filter(
            Q(username__icontains=search)
            | Q(first_name__icontains=search)
            | Q(last_name__icontains=search)
            | Q(email__icontains=search)
        )
    if team is not None:
        qs = qs.filter(team__path__startswith=team.path)
    return qs.order_by("team__path", "last_name", "first_name", "username")


def team_tree(*, viewer: User) -> list[Team]:
    """The org chart as far as `viewer` reaches, in tree order, with member counts.

    A rep sees the chain of teams above their own; a manager also sees their subtree; the
    members' names stay behind the data scope (see user_list).
    """
    reach = reach_of(viewer)
    qs = Team.objects.filter(is_active=True).select_related("manager")
    if reach.level != DataScope.ALL:
        q = Q(pk__in=viewer.team.ancestor_ids() if viewer.team_id else [])
        for path in reach.team_paths:
            q |= Q(path__startswith=path)
        qs = qs.filter(q)
    qs = qs.annotate(member_count=Count("members", filter=Q(members__is_active=True)))
    return list(qs.order_by("path"))


def may_own_records() -> Q:
    """People who can own customers, leads and deals: whose position may change records (not
    read-only positions such as planning or HR, who could then never follow them up)."""
    return Q(is_superuser=True) | ~Q(position__edit_scope=DataScope.NONE)
