"""Order-facts sources for the segmentation tests (settings.CRM_RFM_FACTS_SOURCE).

`from_list` serves the dicts a test puts in FACTS. The default source over real orders is
tested in tests/orders/test_sections.py.
"""

from __future__ import annotations

from datetime import date

FACTS: list[dict] = []


def from_list(*, today: date) -> list[dict]:
    return list(FACTS)
