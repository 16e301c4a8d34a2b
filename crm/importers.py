"""Import and export of people (the `users` kind): accounts, their team and position.

Teams are named by their path of names from the company down ("Hengtai/East/Shanghai"); a
missing team below an existing one is created (with Team.save(), which maintains the
materialised path). New accounts have no usable password: people set one through the password
reset. Only administrators may import people.
"""

from __future__ import annotations

import copy
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from crm.interchange import (
    CREATE,
    UNCHANGED,
    UPDATE,
    BoolColumn,
    ChoiceColumn,
    Column,
    Importer,
    Row,
    register,
)
from crm.models import Position, Team, User, is_administrator

# The short position names of the interchange format.
POSITION_NAMES = {
    "rep": Position.Kind.SALES_REP,
    "manager": Position.Kind.REGIONAL_MANAGER,
    "planner": Position.Kind.SALES_PLANNER,
    "vp": Position.Kind.SALES_VP,
    "hr": Position.Kind.HR,
    "service": Position.Kind.CUSTOMER_SERVICE,
    "admin": Position.Kind.ADMIN,
}
TEAM_SEPARATOR = "/"
USER_FIELDS = ("first_name", "last_name", "email", "team", "position")


def is_admin(user: Any) -> bool:
    return is_administrator(user)


def split_full_name(full_name: str) -> tuple[str, str]:
    """(first_name, last_name). Chinese names are family name first, without a space."""
    full_name = full_name.strip()
    if any("\u4e00" <= ch <= "\u9fff" for ch in full_name) and " " not in full_name:
        return full_name[1:], full_name[:1]
    first, _sep, last = full_name.rpartition(" ")
    return (first, last) if first else (last, "")


def team_names_by_id() -> dict[int, str]:
    return dict(Team.objects.values_list("pk", "name"))


def team_name_path(team: Team, names: dict[int, str]) -> str:
    return TEAM_SEPARATOR.join(names[pk] for pk in team.ancestor_ids() if pk in names)


@register
class UserImporter(Importer):
    kind = "users"
    label = gettext_lazy("people")
    model = User
    key = ("username",)
    columns = (
        Column("username", ("用户名", "账号", "登录名"), required=True, blank=False,
               example="wang.fang"),
        Column("full_name", ("姓名", "name"), example="王芳"),
        Column("email", ("邮箱", "电子邮件", "邮件"), example="wang.fang@example.com"),
        Column("team", ("团队", "部门", "所属团队"), example="Company/East/Shanghai 1"),
        ChoiceColumn("position", ("职位", "岗位"), choices=Position.Kind, names=POSITION_NAMES,
                     example="rep"),
        BoolColumn("is_team_manager", ("是否团队经理", "团队经理", "是否经理"), example="false"),
    )  # fmt: skip

    @classmethod
    def may_import(cls, user: Any) -> bool:
        return is_admin(user)

    @classmethod
    def may_export(cls, user: Any) -> bool:
        return is_admin(user)

    def prepare(self, rows: list[Row]) -> None:
        usernames = [row.get("username") for row in rows]
        self.existing: dict[str, User] = {}
        for batch in self.batches(usernames):
            for user in User.objects.filter(username__in=batch).select_related("team"):
                self.existing[user.username] = user
        self.positions = {p.kind: p for p in Position.objects.all()}
        names = team_names_by_id()
        self.teams: dict[tuple[str, ...], Team] = {}
        for team in Team.objects.all():
            path = tuple(names[pk] for pk in team.ancestor_ids() if pk in names)
            self.teams[path] = team
        self.path_by_team_id = {team.pk: path for path, team in self.teams.items()}
        self.roots = {path[0] for path in self.teams if len(path) == 1}
        self.teams_to_create: set[tuple[str, ...]] = set()
        self.managed_by_row: dict[tuple[str, ...], int] = {}
        self.to_create: list[tuple[User, tuple[str, ...] | None, bool | None]] = []
        self.to_update: list[tuple[User, tuple[str, ...] | None, bool | None, set[str]]] = []

    def _by_superuser(self) -> bool:
        return self.user is None or self.user.is_superuser  # None: the command line

    def _team_path(self, row: Row) -> tuple[str, ...] | None:
        text = row.get("team")
        if not text:
            return None
        path = tuple(part.strip() for part in text.split(TEAM_SEPARATOR) if part.strip())
        if path in self.teams:
            return path
        if path[0] not in self.roots and self.roots:
            # A typo in the company name would otherwise start a second org chart.
            row.error(
                "team",
                _("Unknown company “%(name)s”: a team path starts with %(roots)s.")
                % {"name": path[0], "roots": ", ".join(f"“{r}”" for r in sorted(self.roots))},
            )
            return None
        for depth in range(1, len(path) + 1):
            if path[:depth] not in self.teams:
                self.teams_to_create.add(path[:depth])
        return path

    def check(self, row: Row) -> str:
        username = row.get("username")
        current = self.existing.get(username)
        user = User(username=username) if current is None else copy.copy(current)
        if current is not None and current.is_superuser and not self._by_superuser():
            # Changing a superuser's email would let its password be reset by someone else.
            row.error("username", _("Only a superuser may change a superuser."))
            return UNCHANGED
        if row.has("full_name") and (
            current is None or current.get_full_name() != row.get("full_name")
        ):
            user.first_name, user.last_name = split_full_name(row.get("full_name"))
        if row.has("email"):
            user.email = row.get("email")
        if row.has("position"):
            kind = row.get("position")
            user.position = self.positions.get(kind) if kind else None
            if kind and user.position is None:
                row.error("position", _("This position does not exist."))
        team_path: tuple[str, ...] | None = None
        if row.has("team"):
            team_path = self._team_path(row)
            team = self.teams.get(team_path) if team_path else None
            if team_path and team is None:
                user.team = None  # created in write(); a new team is always a change
            else:
                user.team = team
        manager_flag: bool | None = None
        if row.has("is_team_manager"):
            manager_flag = row.get("is_team_manager")
            effective_path = team_path if row.has("team") else self._path_of(current)
            if manager_flag and effective_path is None:
                row.error("is_team_manager", _("Only a member of a team can manage it."))
            elif manager_flag:
                other = self.managed_by_row.setdefault(effective_path, row.number)
                if other != row.number:
                    row.error(
                        "is_team_manager",
                        _("Row %(row)s already makes someone the manager of this team.")
                        % {"row": other},
                    )
        self.clean_fields(user, row, extra=("username", "first_name", "last_name"))
        if row.errors:
            return UNCHANGED
        if current is None:
            self.to_create.append((user, team_path, manager_flag))
            return CREATE
        changed = {f for f in USER_FIELDS if _value(user, f) != _value(current, f)}
        if row.has("team") and team_path and team_path not in self.teams:
            changed.add("team")
        manager_change = manager_flag is not None and manager_flag != self._manages(current)
        if not changed and not manager_change:
            return UNCHANGED
        self.to_update.append((user, team_path if row.has("team") else None, manager_flag, changed))
        return UPDATE

    def _path_of(self, user: User | None) -> tuple[str, ...] | None:
        if user is None or user.team_id is None:
            return None
        return self.path_by_team_id.get(user.team_id)

    def _manages(self, user: User) -> bool:
        return user.team is not None and user.team.manager_id == user.pk

    def write(self) -> None:
        # Teams one by one, parents first: Team.save() computes the materialised path.
        for path in sorted(self.teams_to_create, key=len):
            parent = self.teams.get(path[:-1]) if len(path) > 1 else None
            kind = {1: Team.Kind.COMPANY, 2: Team.Kind.REGION}.get(len(path), Team.Kind.TEAM)
            team = Team(name=path[-1], parent=parent, kind=kind)
            team.save()
            self.teams[path] = team

        new_users = []
        for user, team_path, _flag in self.to_create:
            if team_path:
                user.team = self.teams[team_path]
            user.set_unusable_password()
            new_users.append(user)
        bulk_create_with_history(
            new_users,
            User,
            batch_size=self.batch_size,
            default_user=self.user,
            default_change_reason=self.change_reason,
        )
        updated, fields = [], set()
        for user, team_path, _flag, changed in self.to_update:
            if team_path:
                user.team = self.teams[team_path]
            updated.append(user)
            fields |= changed
        if updated and fields:
            bulk_update_with_history(
                updated,
                User,
                sorted(fields),
                batch_size=self.batch_size,
                default_user=self.user,
                default_change_reason=self.change_reason,
            )

        # Team managers: a handful of teams, saved one by one (history, path upkeep).
        flags = [(u, f) for u, _p, f in self.to_create]
        flags += [(u, f) for u, _p, f, _c in self.to_update]
        flags = [(u, f) for u, f in flags if f is not None and u.team_id is not None]
        teams = Team.objects.in_bulk({u.team_id for u, _f in flags})
        for user, flag in flags:
            team = teams[user.team_id]
            if flag and team.manager_id != user.pk:
                team.manager = user
                team.save(update_fields=["manager"])
            elif not flag and team.manager_id == user.pk:
                team.manager = None
                team.save(update_fields=["manager"])

    def export_queryset(self, queryset: QuerySet) -> QuerySet:
        self._names = team_names_by_id()
        return queryset.filter(is_active=True).select_related("team", "position")

    def export_row(self, obj: User) -> dict[str, Any]:
        return {
            "username": obj.username,
            "full_name": obj.get_full_name(),
            "email": obj.email,
            "team": team_name_path(obj.team, self._names) if obj.team else "",
            "position": obj.position.kind if obj.position else "",
            "is_team_manager": obj.team is not None and obj.team.manager_id == obj.pk,
        }


def _value(user: User, field: str) -> Any:
    return getattr(user, f"{field}_id") if field in ("team", "position") else getattr(user, field)
