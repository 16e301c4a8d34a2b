"""Order-facts sources for the segmentation tests (settings.CRM_RFM_FACTS_SOURCE).

`from_list` serves the dicts a test puts in FACTS; `from_orders` runs the real aggregate
(customers.segments.order_facts_from) over the test's stand-in Order model, until the orders app
has its own.
"""

from __future__ import annotations

from datetime import date

from customers.segments import order_facts_from

FACTS: list[dict] = []
ORDER_MODEL = None


def from_list(*, today: date) -> list[dict]:
    return list(FACTS)


def from_orders(*, today: date):
    return order_facts_from(ORDER_MODEL, today=today)
