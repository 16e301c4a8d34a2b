"""Pages of the computation: start a run (a period for a team subtree or the company), follow
its progress (htmx poll; a plain reload without JavaScript), the list of runs."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from crm.pagination import CappedPaginator
from performance.compute import selectors, services
from performance.compute.forms import RunForm
from performance.models import ScorecardRun

PAGE_SIZE = 30


def _require_starter(request: HttpRequest) -> None:
    if not selectors.can_start_runs(request.user):
        raise PermissionDenied


def _list(request: HttpRequest, form: RunForm) -> HttpResponse:
    runs = selectors.run_list(viewer=request.user)
    page = CappedPaginator(runs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "performance/compute/run_list.html", {"form": form, "page": page})


@login_required
@require_GET
def run_list(request: HttpRequest) -> HttpResponse:
    _require_starter(request)
    return _list(request, RunForm(user=request.user))


@login_required
@require_POST
def run_create(request: HttpRequest) -> HttpResponse:
    _require_starter(request)
    team_id = request.POST.get("team", "")
    if team_id.isdigit() and not selectors.run_teams(request.user).filter(pk=team_id).exists():
        raise Http404  # another team's subtree: not revealed
    form = RunForm(request.POST, user=request.user)
    if not form.is_valid():
        return _list(request, form)
    run = services.scorecard_run_create(
        period=form.cleaned_data["period"], team=form.cleaned_data["team"], by=request.user
    )
    messages.info(request, _("Computing: the scorecards appear as they are ready."))
    return redirect("performance:run-detail", run.pk)


def _is_running(run: ScorecardRun) -> bool:
    return run.status in (ScorecardRun.Status.QUEUED, ScorecardRun.Status.RUNNING)


@login_required
@require_GET
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = selectors.run_for_viewer(viewer=request.user, pk=pk)
    return render(
        request,
        "performance/compute/run_detail.html",
        {
            "run": run,
            "is_running": _is_running(run),
            "skips": services.describe_skips(run.message),
        },
    )


@login_required
@require_GET
def run_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The fragment htmx polls; once the run has settled, the page reloads to show the result."""
    run = selectors.run_for_viewer(viewer=request.user, pk=pk)
    response = render(request, "performance/compute/partials/run_progress.html", {"run": run})
    if not _is_running(run):
        response["HX-Refresh"] = "true"
    return response
