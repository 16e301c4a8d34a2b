"""Import pages: pick a kind, upload, preview (dry run) with the errors by row and column,
confirm, follow the progress; plus template downloads, rejected rows and exports."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm.forms import ImportUploadForm
from crm.interchange import (
    FORMATS,
    ExportTooLargeError,
    Importer,
    ImportFileError,
    export_response,
    get_importer,
    registered_importers,
    rejected_rows_file,
    template_response,
)
from crm.interchange import jobs as import_jobs
from crm.interchange.writing import file_response, rejected_rows_filename
from crm.models import ImportJob
from crm.scopes import get_editable_or_404, get_visible_or_404

ERRORS_SHOWN = 500


def _importer_or_404(kind: str) -> type[Importer]:
    try:
        return get_importer(kind)
    except LookupError as exc:
        raise Http404 from exc


def _importable(request: HttpRequest, kind: str) -> type[Importer]:
    importer = _importer_or_404(kind)
    if not importer.may_import(request.user):
        raise PermissionDenied
    return importer


def _format_or_404(fmt: str) -> str:
    if fmt not in FORMATS:
        raise Http404
    return fmt


@login_required
@require_GET
def import_index(request: HttpRequest) -> HttpResponse:
    kinds = [i for i in registered_importers() if i.may_import(request.user)]
    jobs = ImportJob.objects.visible_to(request.user).select_related("created_by")[:20]
    return render(request, "crm/import_index.html", {"kinds": kinds, "jobs": jobs})


@login_required
@require_http_methods(["GET", "POST"])
def import_start(request: HttpRequest, kind: str) -> HttpResponse:
    importer = _importable(request, kind)
    form = ImportUploadForm(request.POST, request.FILES) if request.method == "POST" else None
    if form is not None and form.is_valid():
        job = import_jobs.import_job_create(
            kind=kind, uploaded_file=form.cleaned_data["file"], by=request.user
        )
        return redirect(job)
    return render(
        request, "crm/import_start.html", {"importer": importer, "form": form or ImportUploadForm()}
    )


@login_required
@require_GET
def import_template(request: HttpRequest, kind: str, fmt: str) -> HttpResponse:
    _importable(request, kind)
    return template_response(kind, _format_or_404(fmt))


def _job_context(job: ImportJob) -> dict:
    return {
        "job": job,
        "importer": _importer_or_404(job.kind),
        "errors": job.errors[:ERRORS_SHOWN],
        "errors_hidden": max(0, len(job.errors) - ERRORS_SHOWN),
    }


@login_required
@require_GET
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_visible_or_404(ImportJob, request.user, pk=pk)
    return render(request, "crm/import_job.html", _job_context(job))


@login_required
@require_GET
def import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The htmx fragment polled while a task runs; once the job has settled, htmx is told to
    reload the page (HX-Refresh) so that the result shows."""
    job = get_visible_or_404(ImportJob, request.user, pk=pk)
    response = render(request, "crm/partials/import_progress.html", {"job": job})
    if not job.is_running:
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_POST
def import_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_editable_or_404(ImportJob, request.user, pk=pk)
    if import_jobs.import_job_confirm(job=job, by=request.user):
        messages.info(request, _("The import has started."))
    else:
        messages.error(request, _("This file cannot be imported (it has errors or was imported)."))
    return redirect(job)


@login_required
@require_GET
def import_rejected(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_visible_or_404(ImportJob, request.user, pk=pk)
    if not job.has_row_errors or not job.file:  # (no file: purged after its retention)
        raise Http404
    try:
        table = import_jobs.import_job_table(job)
    except (ImportFileError, OSError) as exc:
        raise Http404 from exc
    content = rejected_rows_file(table, job.errors)
    return file_response(content, table.fmt, rejected_rows_filename(job.original_name, table.fmt))


@login_required
@require_GET
def export_all(request: HttpRequest, kind: str, fmt: str) -> HttpResponse:
    """Everything of `kind` the user may see (lists export their filtered rows themselves
    with export_response)."""
    importer = _importer_or_404(kind)
    if not importer.may_export(request.user):
        raise PermissionDenied
    try:
        return export_response(
            kind, importer.model._default_manager.all(), _format_or_404(fmt), user=request.user
        )
    except ExportTooLargeError as exc:
        messages.error(request, exc.message)
        return redirect("import-index")
