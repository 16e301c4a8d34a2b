"""What the orders pages share."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

EXPORT_FORMATS = ("csv", "xlsx")


def export_or_none(request: HttpRequest, kind: str, queryset) -> HttpResponse | None:
    """The list as a download when ?export=csv|xlsx is asked for (the import format of `kind`,
    so that an export re-imports), else None."""
    fmt = request.GET.get("export", "")
    if fmt not in EXPORT_FORMATS:
        return None
    from crm.interchange import ExportTooLargeError, export_response

    try:
        return export_response(kind, queryset, fmt, user=request.user)
    except ExportTooLargeError as exc:
        messages.error(request, exc.message)
        query = request.GET.copy()
        query.pop("export")
        return redirect(f"{request.path}?{query.urlencode()}")


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"
