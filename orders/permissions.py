"""Who may decide on contracts and expenses, beyond the data scope (crm/scopes.py)."""

from __future__ import annotations

from crm.models import Team, is_administrator
from orders.models import Contract, Expense


def managed_paths(user) -> list[str]:
    """Paths of the active teams `user` manages (one query)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return [
        p
        for p in Team.objects.filter(manager=user, is_active=True).values_list("path", flat=True)
        if p
    ]


def manages_team_of(user, member, *, paths: list[str] | None = None) -> bool:
    """Whether `user` manages the team of `member` or a team above it. Pass `paths`
    (managed_paths) and a member with its team loaded to check many rows without a query."""
    if member.team_id is None:
        return False
    paths = managed_paths(user) if paths is None else paths
    team_path = member.team.path
    return bool(team_path) and any(team_path.startswith(p) for p in paths)


def may_decide_contract(user, contract: Contract) -> bool:
    """The approver found when the contract was submitted, or an administrator (also when no
    approver could be found). Never the contract's owner or its author, administrator or not:
    nobody approves their own contract, nor one they wrote for someone else."""
    if contract.status != Contract.Status.PENDING or user.pk in (
        contract.owner_id,
        contract.created_by_id,
    ):
        return False
    if is_administrator(user):
        return True
    return contract.approver_id is not None and contract.approver_id == user.pk


def may_decide_expense(user, expense: Expense, *, paths: list[str] | None = None) -> bool:
    """A manager of the rep's team (or above), or an administrator; never the rep themselves."""
    if expense.owner_id == user.pk:
        return False
    return is_administrator(user) or manages_team_of(user, expense.owner, paths=paths)


def may_manage_products(user) -> bool:
    return is_administrator(user) or bool(getattr(user, "is_staff", False))
