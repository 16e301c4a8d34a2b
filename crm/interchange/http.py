"""A list page's "export what you see": `?export=csv|xlsx` on any list answers with the filtered
rows as a download in the import format of its kind (so an export re-imports)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from crm.interchange.writing import ExportTooLargeError, export_response

EXPORT_FORMATS = ("csv", "xlsx")


def export_or_none(request: HttpRequest, kind: str, queryset) -> HttpResponse | None:
    """The download when the request asks for one, else None (render the page). An XLSX over
    the row cap comes back to the page, without `export`, with the message saying why."""
    fmt = request.GET.get("export", "")
    if fmt not in EXPORT_FORMATS:
        return None
    try:
        return export_response(kind, queryset, fmt, user=request.user)
    except ExportTooLargeError as exc:
        messages.error(request, exc.message)
        query = request.GET.copy()
        query.pop("export")
        return redirect(f"{request.path}?{query.urlencode()}")
