"""Who may see and who may act on a scorecard in the review chain (逐级考核), docs/review.md.

Read access is not the position's data scope of customers and orders: a scorecard is personal.
- the person sees their own scorecard only once published (with the reviewer's comment);
- whoever manages a team (Team.manager) sees the scorecards of everyone in that subtree, at any
  status;
- sales planning, the sales VP, HR and administrators see all of them (HR keeps read-only
  access to the published results and needs the earlier steps to follow its period);
- customer service keeps the published results, read-only, and nothing at an earlier step
  (issue 8: "HR and customer service each keep the results (read-only)").

Acting: each status is one step with its role. The manager step belongs to the person's manager
(`manager_of`); planning to sales planners, VP to sales VPs, HR to HR. Administrators may act on
any step. Nobody acts on their own scorecard (except to appeal it).
"""

from __future__ import annotations

from django.db.models import F, Q

from crm.models import Position, Team, User, is_administrator
from performance.models import Recomputation, Scorecard

Status = Scorecard.Status
Kind = Position.Kind

# The positions that see every scorecard, at any step.
SEES_ALL = {Kind.SALES_PLANNER, Kind.SALES_VP, Kind.HR, Kind.ADMIN}
# The positions that keep every published result (read-only), and nothing under review.
SEES_PUBLISHED = {Kind.CUSTOMER_SERVICE}
# The role of each step before publication, by the position that takes it (MANAGER: the
# person's manager, whatever their position).
STEP_POSITION = {Status.PLANNING: Kind.SALES_PLANNER, Status.VP: Kind.SALES_VP, Status.HR: Kind.HR}
# How far up the org chart the manager step looks for a manager (company > region > team...).
MAX_DEPTH = 6


def position_kind(user: User) -> str:
    position = getattr(user, "position", None)
    return position.kind if position is not None else ""


def _is_active(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def managed_paths(user: User) -> list[str]:
    """The paths of the active teams `user` manages (cached on the user object)."""
    cache = "_review_managed_paths"
    if cache not in user.__dict__:
        paths = Team.objects.filter(manager=user, is_active=True).values_list("path", flat=True)
        user.__dict__[cache] = [p for p in paths if p]
    return user.__dict__[cache]


def sees_all(user: User) -> bool:
    return user.is_superuser or is_administrator(user) or position_kind(user) in SEES_ALL


def visible_q(user: User) -> Q:
    """The scorecards `user` may see, as a filter."""
    nothing = Q(pk__in=[])
    if not _is_active(user):
        return nothing
    own_published = Q(user=user, status=Status.PUBLISHED)
    if sees_all(user):  # administrators too: their own only once published, like everyone
        return ~Q(user=user) | own_published
    subtree = nothing
    for path in managed_paths(user):
        subtree |= Q(team__path__startswith=path)
    visible = (subtree & ~Q(user=user)) | own_published
    if position_kind(user) in SEES_PUBLISHED:
        visible |= Q(status=Status.PUBLISHED)
    return visible


def manager_of(scorecard: Scorecard) -> User | None:
    """The person who takes the manager step: the manager of the scorecard's team or, for that
    team's own manager (or a team without one), the first manager further up who is not the
    person."""
    team = scorecard.team
    if team is None:
        return None
    ancestors = Team.objects.filter(pk__in=team.ancestor_ids()).select_related("manager")
    by_depth = sorted(ancestors, key=lambda t: t.depth, reverse=True)
    for node in by_depth:
        # a manager who has left (inactive) is skipped: the step goes to the next one up
        if node.manager_id and node.manager_id != scorecard.user_id and node.manager.is_active:
            return node.manager
    return None


def manager_step_q(user: User) -> Q:
    """The scorecards whose manager step `user` takes (the same walk as `manager_of`, in SQL:
    each level up counts when every level below has no manager, an inactive one, or the
    person)."""
    q = Q(pk__in=[])
    below_is_empty = Q()
    prefix = "team"
    for _level in range(MAX_DEPTH):
        q |= below_is_empty & Q(**{f"{prefix}__manager": user}) & ~Q(user=user)
        below_is_empty &= (
            Q(**{f"{prefix}__manager__isnull": True})
            | Q(**{f"{prefix}__manager": F("user")})
            | Q(**{f"{prefix}__manager__is_active": False})
        )
        prefix += "__parent"
    return q


def inbox_q(user: User) -> Q:
    """The scorecards waiting for `user` to act: at a step of theirs, not their own."""
    if not _is_active(user):
        return Q(pk__in=[])
    if is_administrator(user):
        return ~Q(status=Status.PUBLISHED) & ~Q(user=user)
    q = Q(status=Status.MANAGER) & manager_step_q(user)
    kind = position_kind(user)
    for status, step_kind in STEP_POSITION.items():
        if kind == step_kind:
            q |= Q(status=status) & ~Q(user=user)
    return q


def can_see(user: User, scorecard: Scorecard) -> bool:
    return Scorecard.objects.filter(visible_q(user), pk=scorecard.pk).exists()


def can_act(user: User, scorecard: Scorecard) -> bool:
    """Whether `user` takes the scorecard's current step (adjust at the manager step, pass on,
    send back, publish at the HR step)."""
    if not _is_active(user) or scorecard.status == Status.PUBLISHED:
        return False
    if scorecard.user_id == user.pk:  # nobody, a superuser neither, acts on their own
        return False
    if is_administrator(user):
        return True
    if scorecard.status == Status.MANAGER:
        manager = manager_of(scorecard)
        return manager is not None and manager.pk == user.pk
    return position_kind(user) == STEP_POSITION.get(scorecard.status)


def can_adjust(user: User, scorecard: Scorecard) -> bool:
    return scorecard.status == Status.MANAGER and can_act(user, scorecard)


def can_send_back(user: User, scorecard: Scorecard) -> bool:
    return scorecard.status in PREVIOUS and can_act(user, scorecard)


def can_publish(user: User, scorecard: Scorecard) -> bool:
    return scorecard.status == Status.HR and can_act(user, scorecard)


def can_appeal(user: User, scorecard: Scorecard) -> bool:
    return (
        _is_active(user)
        and scorecard.user_id == user.pk
        and scorecard.status == Status.PUBLISHED
        and scorecard.appealed_at is None
    )


def can_request_recomputation(user: User, scorecard: Scorecard) -> bool:
    """Anyone who sees a published scorecard and reviews (not the person, not customer service,
    whose access is read-only)."""
    return (
        _is_active(user)
        and scorecard.status == Status.PUBLISHED
        and scorecard.user_id != user.pk
        and position_kind(user) != Kind.CUSTOMER_SERVICE
        and (is_administrator(user) or can_see(user, scorecard))
    )


def can_decide_recomputation(user: User, recomputation: Recomputation) -> bool:
    """HR or an administrator, never the person who asked (four eyes), nor the person scored."""
    return (
        _is_active(user)
        and recomputation.status == Recomputation.Status.PENDING
        and recomputation.requested_by_id != user.pk
        and recomputation.scorecard.user_id != user.pk
        and (is_administrator(user) or position_kind(user) == Kind.HR)
    )


def can_publish_period(user: User) -> bool:
    return _is_active(user) and (is_administrator(user) or position_kind(user) == Kind.HR)


NEXT = {
    Status.MANAGER: Status.PLANNING,
    Status.PLANNING: Status.VP,
    Status.VP: Status.HR,
    Status.HR: Status.PUBLISHED,
}
PREVIOUS = {Status.PLANNING: Status.MANAGER, Status.VP: Status.PLANNING, Status.HR: Status.VP}


def step_actors(scorecard: Scorecard, status: str) -> list[User]:
    """Who takes `status` for this scorecard (to notify them): the manager, or every active
    person in the step's position."""
    if status == Status.MANAGER:
        manager = manager_of(scorecard)
        return [manager] if manager is not None else []
    kind = STEP_POSITION.get(status)
    if kind is None:
        return []
    return list(
        User.objects.filter(position__kind=kind, is_active=True).exclude(pk=scorecard.user_id)
    )
