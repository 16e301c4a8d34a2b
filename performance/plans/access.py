"""Who may read and who may change sales plans: the one place the plan pages decide it.

- Sales planning and administrators (and superusers) read and change every plan.
- The sales VP and HR read every plan and change none (planning sets the targets).
- Whoever manages a team (its `manager`) reads the plans of that team, of the teams below it
  and of the people in them, and changes those of the teams below and of the people, except
  their own rows: nobody sets their own target, so their personal row and the row of the team
  they manage (the target handed down to them, which the roll-up check holds their split
  against) are set by the level above, like the team's parent, which stays out of reach.
- Everyone else reads their own targets only.

A plan outside a person's reading reach is a 404 (its existence is not revealed); one read but
not changeable is shown read-only, and a forged POST for it changes nothing (403).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from crm.models import Position, Team, is_administrator

EDIT_ALL_POSITIONS = frozenset({Position.Kind.SALES_PLANNER, Position.Kind.ADMIN})
READ_ALL_POSITIONS = frozenset({Position.Kind.SALES_VP, Position.Kind.HR})

_CACHE_ATTR = "_plan_access"


@dataclass(frozen=True)
class PlanAccess:
    user_id: int | None
    read_all: bool = False
    edit_all: bool = False
    # Subtrees (team paths) the person manages: read and changed (but for their own row).
    managed_paths: tuple[str, ...] = ()

    @property
    def sees_teams(self) -> bool:
        """Whether any team's plans are open to this person (else only their own targets)."""
        return self.read_all or bool(self.managed_paths)

    @property
    def edits_any(self) -> bool:
        return self.edit_all or bool(self.managed_paths)

    def _under(self, path: str | None) -> bool:
        return bool(path) and any(path.startswith(p) for p in self.managed_paths)

    def can_read_team(self, team: Team) -> bool:
        return self.read_all or self._under(team.path)

    def can_edit_team(self, team: Team) -> bool:
        """A team's own row: not the row of a team this person manages (that target is handed
        down to them by the level above, and it anchors the roll-up check of what they split
        among their people), only of the teams below it."""
        if self.edit_all:
            return True
        return self._under(team.path) and team.manager_id != self.user_id

    def can_edit_within(self, team: Team) -> bool:
        """Whether some rows of `team`'s subtree are this person's to change (copy last month
        of that subtree copies those rows only)."""
        return self.edit_all or self._under(team.path)

    def can_read_user(self, user: Any) -> bool:
        if self.read_all or user.pk == self.user_id:
            return True
        team = user.team if user.team_id else None
        return team is not None and self._under(team.path)

    def can_edit_user(self, user: Any) -> bool:
        if self.edit_all:
            return True
        if user.pk == self.user_id:
            return False
        team = user.team if user.team_id else None
        return team is not None and self._under(team.path)

    def can_edit_user_in(self, user_id: int, team_path: str | None) -> bool:
        """`can_edit_user` from preloaded values (no query)."""
        if self.edit_all:
            return True
        return user_id != self.user_id and self._under(team_path)

    def visible_q(self) -> Q:
        """SalesPlan rows this person may read."""
        if self.read_all:
            return Q()
        q = Q(user_id=self.user_id) if self.user_id else Q(pk__in=[])
        for path in self.managed_paths:
            q |= Q(team__path__startswith=path) | Q(user__team__path__startswith=path)
        return q

    def editable_q(self) -> Q:
        """SalesPlan rows this person may change."""
        if self.edit_all:
            return Q()
        q = Q(pk__in=[])
        for path in self.managed_paths:
            q |= (Q(team__path__startswith=path) & ~Q(team__manager_id=self.user_id)) | (
                Q(user__team__path__startswith=path) & ~Q(user_id=self.user_id)
            )
        return q

    def teams_q(self) -> Q:
        """Teams whose grid this person may open."""
        if self.read_all:
            return Q()
        q = Q(pk__in=[])
        for path in self.managed_paths:
            q |= Q(path__startswith=path)
        return q


NO_ACCESS = PlanAccess(user_id=None)


def plan_access(user: Any) -> PlanAccess:
    """The plan rights of `user` (one query at most, cached on the user object)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return NO_ACCESS
    cached = user.__dict__.get(_CACHE_ATTR)
    if cached is not None:
        return cached
    kind = user.position.kind if user.position_id else None
    if is_administrator(user) or kind in EDIT_ALL_POSITIONS:
        access = PlanAccess(user.pk, read_all=True, edit_all=True)
    elif kind in READ_ALL_POSITIONS:
        access = PlanAccess(user.pk, read_all=True)
    else:
        paths = sorted(
            Team.objects.filter(manager=user, is_active=True)
            .exclude(path="")
            .values_list("path", flat=True)
        )
        # A manager of a region and of a team inside it needs only the region's prefix.
        roots = tuple(p for p in paths if not any(p != q and p.startswith(q) for q in paths))
        access = PlanAccess(user.pk, managed_paths=roots)
    user.__dict__[_CACHE_ATTR] = access
    return access
