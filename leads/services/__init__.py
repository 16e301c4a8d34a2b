"""Writes of the leads app (one transaction each): leads/services/core.py (create, edit,
follow-ups, status, disqualify, reopen), manual.py (managers' assignment, the rep hand-over),
convert.py. Automatic assignment lives in leads/assignment/. Every creation path (form, import,
API) goes through `lead_create`, which queues `assign_lead` after commit when no owner is given.
"""

from leads.services.convert import customer_fields_from, lead_convert, opportunity_service
from leads.services.core import (
    EDITABLE_FIELDS,
    LeadError,
    lead_activity_log,
    lead_create,
    lead_disqualify,
    lead_reopen,
    lead_set_status,
    lead_update,
    queue_assignment,
)
from leads.services.manual import (
    MAX_BULK,
    leads_assign,
    leads_handover,
    register_handover_step,
)

__all__ = [
    "EDITABLE_FIELDS",
    "MAX_BULK",
    "LeadError",
    "customer_fields_from",
    "lead_activity_log",
    "lead_convert",
    "lead_create",
    "lead_disqualify",
    "lead_reopen",
    "lead_set_status",
    "lead_update",
    "leads_assign",
    "leads_handover",
    "opportunity_service",
    "queue_assignment",
    "register_handover_step",
]
