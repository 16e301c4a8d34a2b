"""Data scopes: the one place that answers "which rows may this user see, and which change".

Every list, detail, edit, export and search in the product goes through here:

- a model opts in by using `ScopedQuerySet` (or a manager built from it) and naming how its rows
  belong to people: `scope_owner_field` (the user it belongs to, "pk" for the User model itself)
  and `scope_team_fields` (team foreign keys whose subtree counts, e.g. ("team", "owner__team"));
- reads use `Model.objects.visible_to(user)`, writes `Model.objects.editable_by(user)`;
- views use `get_visible_or_404` / `get_editable_or_404` or the mixins in crm/mixins.py: a row
  outside the user's sight is a 404 (its existence is not revealed), one seen but not changeable
  is a 403.

The reach of a user comes from their position (admins set "may see" and "may change" per
position: own / team / all / nothing), widened for whoever manages a team: a manager always
reaches the subtree of the teams they manage. Superusers reach everything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db import models
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from crm.models import User


class DataScope(models.TextChoices):
    NONE = "none", _("Nothing")
    OWN = "own", _("Own records")
    TEAM = "team", _("Own team and the teams below it")
    ALL = "all", _("Everything")

    @classmethod
    def rank(cls, value: str) -> int:
        return [cls.NONE, cls.OWN, cls.TEAM, cls.ALL].index(value)


@dataclass(frozen=True)
class Reach:
    """What one user reaches for one kind of access: a level and, for TEAM, the subtree roots."""

    level: DataScope
    user_id: int | None
    team_paths: tuple[str, ...] = ()


_CACHE_ATTR = "_crm_reach"


def reach_of(user: User | Any, *, for_change: bool = False) -> Reach:
    """The reach of `user` for seeing (default) or changing rows, cached on the user object."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Reach(DataScope.NONE, None)
    cache = user.__dict__.setdefault(_CACHE_ATTR, {})
    if for_change not in cache:
        cache[for_change] = _compute_reach(user, for_change=for_change)
    return cache[for_change]


def forget_reach(user: User) -> None:
    """Drop the cached reach (after changing the user's team, position or managed teams)."""
    user.__dict__.pop(_CACHE_ATTR, None)
    user.__dict__.pop(_PATHS_ATTR, None)


_PATHS_ATTR = "_crm_team_paths"


def _team_paths(user: User) -> tuple[tuple[str, ...], str]:
    """The paths of the active teams `user` manages, and of their own team: one query, shared by
    the "see" and "change" reaches."""
    from crm.models import Team

    if _PATHS_ATTR not in user.__dict__:
        rows = Team.objects.filter(
            Q(manager=user, is_active=True) | Q(pk=user.team_id)
        ).values_list("pk", "path", "manager_id", "is_active")
        managed, own = [], ""
        for pk, path, manager_id, is_active in rows:
            if not path:
                continue  # an empty path (a row not saved via save()) would match everything
            if manager_id == user.pk and is_active:
                managed.append(path)
            if pk == user.team_id:
                own = path
        user.__dict__[_PATHS_ATTR] = (tuple(managed), own)
    return user.__dict__[_PATHS_ATTR]


def _compute_reach(user: User, *, for_change: bool) -> Reach:
    if user.is_superuser:
        return Reach(DataScope.ALL, user.pk)
    position = user.position
    if position is None:
        level = DataScope.OWN
    else:
        level = DataScope(position.edit_scope if for_change else position.view_scope)
    if level in (DataScope.ALL, DataScope.NONE):
        return Reach(level, user.pk)

    managed, own = _team_paths(user)
    paths = set(managed)
    if level == DataScope.TEAM and own:
        paths.add(own)
    if not paths:
        return Reach(DataScope.OWN, user.pk)
    # A manager of a region who also sits in one of its teams needs only the region's prefix.
    roots = tuple(sorted(p for p in paths if not any(p != q and p.startswith(q) for q in paths)))
    return Reach(DataScope.TEAM, user.pk, roots)


def scope_q(user: User | Any, model: type[models.Model], *, for_change: bool = False) -> Q:
    """The filter for the rows of `model` that `user` may see (or change)."""
    reach = reach_of(user, for_change=for_change)
    if reach.level == DataScope.ALL:
        return Q()
    nothing = Q(pk__in=[])
    if reach.level == DataScope.NONE:
        return nothing
    owner_field = getattr(model, "scope_owner_field", None)
    if reach.level != DataScope.TEAM:
        return Q(**{owner_field: reach.user_id}) if owner_field else nothing
    return _team_scope_q(owner_field, getattr(model, "scope_team_fields", ()), reach)


def _team_scope_q(owner_field: str | None, team_fields, reach: Reach) -> Q:
    """`owner_field` is the user, or a `team_fields` path lies under one of the reach's teams,
    written as `IN (sub-select of users | teams)` rather than as joins to the user and team
    tables: PostgreSQL then finds the rows through the owner's index instead of scanning the
    whole table and joining every row to its owner's team (the order list's totals for a team
    manager at 2,000,000 orders; docs/performance.md). The user's own rows join the sub-select
    where the owner and the team path meet (`owner` and `owner__team`)."""
    from crm.models import Team, User

    def under(prefix: str) -> Q:
        q = Q()
        for path in reach.team_paths:
            q |= Q(**{f"{prefix}path__startswith": path})
        return q

    q = Q(pk__in=[])
    owner_merged = False
    for field in team_fields:
        if not field.endswith("__team"):  # a team of the row itself
            q |= Q(**{f"{field}__in": Team._base_manager.filter(under("")).values("pk")})
            continue
        user_field = field.removesuffix("__team")
        users = under("team__")
        if user_field == owner_field:
            users |= Q(pk=reach.user_id)
            owner_merged = True
        q |= Q(**{f"{user_field}__in": User._base_manager.filter(users).values("pk")})
    if owner_field and not owner_merged:
        q |= Q(**{owner_field: reach.user_id})
    return q


class ScopedQuerySet(models.QuerySet):
    """A queryset that knows the data scope. Subclass and override `extra_visible_q` to let
    everyone see more (for example the public pool of unowned customers)."""

    def visible_to(self, user: User | Any) -> ScopedQuerySet:
        level = reach_of(user).level
        if level == DataScope.ALL:
            return self.all()  # (an empty Q() OR'ed with the extra rows would narrow, not widen)
        q = scope_q(user, self.model)
        if level != DataScope.NONE:
            q |= self.extra_visible_q(user)
        return self.filter(q)

    def editable_by(self, user: User | Any) -> ScopedQuerySet:
        return self.filter(scope_q(user, self.model, for_change=True))

    def extra_visible_q(self, user: User | Any) -> Q:
        return Q(pk__in=[])


def scoped_queryset(model_or_qs: type[models.Model] | models.QuerySet) -> ScopedQuerySet:
    qs = (
        model_or_qs
        if isinstance(model_or_qs, models.QuerySet)
        else model_or_qs._default_manager.all()
    )
    if not isinstance(qs, ScopedQuerySet):
        raise TypeError(f"{qs.model.__name__} has no data scope (use ScopedQuerySet)")
    return qs


def get_visible_or_404(model_or_qs: Any, user: User | Any, **lookup: Any) -> models.Model:
    """The row matching `lookup` if `user` may see it, else 404 (whether or not it exists)."""
    try:
        return scoped_queryset(model_or_qs).visible_to(user).get(**lookup)
    except ObjectDoesNotExist as exc:
        raise Http404 from exc


def get_editable_or_404(model_or_qs: Any, user: User | Any, **lookup: Any) -> models.Model:
    """The row if `user` may change it; 404 if they cannot even see it, 403 if they only see it."""
    obj = get_visible_or_404(model_or_qs, user, **lookup)
    if not can_change(user, obj):
        raise PermissionDenied
    return obj


def can_change_any(user: User | Any) -> bool:
    """Whether `user` may change any records at all (read-only positions, such as planning or
    HR, may not): who may create, claim or own records. `crm.selectors.may_own_records` is the
    same rule as a filter on people."""
    return reach_of(user, for_change=True).level != DataScope.NONE


def can_change(user: User | Any, obj: models.Model) -> bool:
    if reach_of(user, for_change=True).level == DataScope.ALL:
        return True
    return scoped_queryset(type(obj)).editable_by(user).filter(pk=obj.pk).exists()
