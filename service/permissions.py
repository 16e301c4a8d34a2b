"""Who may do what with tickets and care rules.

Seeing a ticket follows its customer (crm.scopes; customer service staff see everything through
their position). Working a ticket (assign, move, comment, edit) is for customer service staff,
administrators, the ticket's assignee, and whoever may change the customer (its owner and their
managers): the position's "may change" scope is about customer records, and customer service
staff change no customer but work every ticket they see.
"""

from __future__ import annotations

from crm.models import Position, is_administrator
from crm.scopes import can_change, can_change_any


def is_service_staff(user) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return is_administrator(user) or (
        user.position is not None and user.position.kind == Position.Kind.CUSTOMER_SERVICE
    )


def can_open_tickets(user) -> bool:
    return is_service_staff(user) or can_change_any(user)


def can_work_ticket(user, ticket) -> bool:
    """`ticket` must already be visible to `user` (get_visible_or_404)."""
    if is_service_staff(user) or ticket.assignee_id == user.pk:
        return True
    return can_change(user, ticket)


def can_manage_care(user) -> bool:
    """Care rules speak to customers in the company's name: administrators only."""
    return is_administrator(user)
