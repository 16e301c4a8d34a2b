"""htmx helpers shared by the apps' views."""

from __future__ import annotations

from django.http import HttpRequest


def is_htmx(request: HttpRequest) -> bool:
    """Whether htmx sent the request (it swaps a fragment instead of loading a page)."""
    return request.headers.get("HX-Request") == "true"
