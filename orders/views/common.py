"""What the orders pages share."""

from __future__ import annotations

from crm.htmx import is_htmx  # noqa: F401  (re-exported for the orders views)
