"""Automatic lead assignment (docs/leads.md): the engine under row locks, the pure picking."""

from leads.assignment.engine import (
    BatchResult,
    active_rules,
    assign_waiting,
    dry_run,
    open_loads,
    sla_reassign_due,
    waiting_q,
)

__all__ = [
    "BatchResult",
    "active_rules",
    "assign_waiting",
    "dry_run",
    "open_loads",
    "sla_reassign_due",
    "waiting_q",
]
