"""Models of the service app: service flows and tickets (tickets.py), care rules and the care
messages they send (care.py)."""

from service.models.care import CareMessage, CareRule
from service.models.tickets import (
    FlowStep,
    ServiceFlow,
    ServiceSettings,
    Ticket,
    TicketEvent,
)

__all__ = [
    "CareMessage",
    "CareRule",
    "FlowStep",
    "ServiceFlow",
    "ServiceSettings",
    "Ticket",
    "TicketEvent",
]
