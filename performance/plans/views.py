"""Sales plan pages: the grid of one team and month (edit, roll-up check, copy last month,
export) and, for people who manage no team, their own targets.
Who may do what: performance/plans/access.py."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm.interchange import ExportTooLargeError, export_response
from crm.models import Team
from performance.models import SalesPlan
from performance.periods import MONTH, Period
from performance.plans import selectors, services
from performance.plans.access import PlanAccess, plan_access
from performance.plans.forms import PlanRowForm
from performance.plans.selectors import TARGETS


def _month(value: str | None) -> Period:
    try:
        period = Period.parse(value or "")
    except ValueError:
        return Period.containing()
    if period.kind != MONTH or not 2000 <= period.start.year <= 2999:
        return Period.containing()
    return period


def _team(value: str | None, user, access: PlanAccess) -> Team:
    """The team asked for (404 if out of reach or unknown), else the user's default team."""
    if value:
        try:
            team = Team.objects.select_related("parent").get(pk=int(value), is_active=True)
        except (ValueError, Team.DoesNotExist):
            raise Http404 from None
        if not access.can_read_team(team):
            raise Http404
        return team
    team = selectors.default_team(user, access)
    if team is None:
        raise Http404
    return team


def grid_url(team: Team, month: Period) -> str:
    return reverse("performance:plan-grid") + "?" + urlencode({"team": team.pk, "month": month.key})


@login_required
@require_http_methods(["GET", "POST"])
def plan_grid(request: HttpRequest) -> HttpResponse:
    access = plan_access(request.user)
    month = _month(request.GET.get("month"))
    if not access.sees_teams:
        if request.method == "POST":
            raise PermissionDenied
        return my_targets(request, month)
    team = _team(request.GET.get("team"), request.user, access)
    grid = selectors.plan_grid(team, month, access)
    data = request.POST if request.method == "POST" else None
    if data is not None and not grid.editable:
        raise PermissionDenied
    for row in grid.rows:
        # A row the page did not post (someone joined the team, or was given a plan by an
        # import, after the page was loaded) is left alone: an absent row is not an emptied
        # one, which would remove its plan.
        row.submitted = data is not None and any(f"{row.key}-{name}" in data for name in TARGETS)
        row.form = PlanRowForm(
            data if row.editable and row.submitted else None,
            prefix=row.key,
            initial=row.initial(),
            row_label=str(row.target),
            readonly=not row.editable,
        )
    if data is not None:
        editable = [row for row in grid.rows if row.editable and row.submitted]
        valid = [row.form.is_valid() for row in editable]  # every row, to show every error
        if all(valid):
            try:
                result = services.plans_save(
                    month=month.start,
                    changes=[(row.target, row.form.targets()) for row in editable],
                    by=request.user,
                    access=access,
                )
            except IntegrityError:
                # Someone added the same plan between our read and our write.
                messages.error(
                    request,
                    _("Someone else saved this grid at the same time: check and save again."),
                )
                return redirect(grid_url(team, month))
            if result.changed:
                messages.success(
                    request,
                    _("Plans saved: %(created)s added, %(updated)s changed, %(deleted)s removed.")
                    % {
                        "created": result.created,
                        "updated": result.updated,
                        "deleted": result.deleted,
                    },
                )
            else:
                messages.info(request, _("Nothing changed."))
            return redirect(grid_url(team, month))
        messages.error(request, _("Nothing was saved: correct the highlighted cells."))
    return render(
        request,
        "performance/plans/plan_grid.html",
        {
            "grid": grid,
            "team": team,
            "month": month,
            "previous": month.previous(),
            "next": month.next(),
            "parent": grid.ancestors[-1] if grid.ancestors else None,
            "can_edit": grid.editable,
            "can_copy": access.can_edit_within(team),
            "can_import": access.edits_any,
        },
    )


def my_targets(request: HttpRequest, month: Period) -> HttpResponse:
    """A person who manages no team reads their own targets: the months of the year and the
    totals of the month, quarter and year."""
    user = request.user
    quarter = Period.containing(month.start, "quarter")
    year = Period.containing(month.start, "year")
    return render(
        request,
        "performance/plans/my_targets.html",
        {
            "month": month,
            "months": selectors.own_targets(user, month.start.year),
            "totals": [
                (month, selectors.plan_for(user, month)),
                (quarter, selectors.plan_for(user, quarter)),
                (year, selectors.plan_for(user, year)),
            ],
            "previous_year": Period.month(month.start.year - 1, month.start.month),
            "next_year": Period.month(month.start.year + 1, month.start.month),
        },
    )


@login_required
@require_POST
def plan_copy(request: HttpRequest) -> HttpResponse:
    """Copy last month's plans of the team's subtree into this month (never overwriting)."""
    access = plan_access(request.user)
    if not access.sees_teams:
        raise Http404
    team = _team(request.POST.get("team") or "0", request.user, access)
    month = _month(request.POST.get("month"))
    try:
        result = services.plans_copy_previous_month(
            team=team, month=month, by=request.user, access=access
        )
    except IntegrityError:
        # Someone added one of the same plans meanwhile: nothing was copied.
        messages.error(
            request,
            _("Someone else saved this grid at the same time: check and save again."),
        )
        return redirect(grid_url(team, month))
    messages.success(
        request,
        _(
            "Plans copied from %(source)s: %(copied)s; skipped (already planned in "
            "%(month)s): %(skipped)s."
        )
        % {
            "copied": result.copied,
            "skipped": result.skipped,
            "source": result.source.key,
            "month": month.key,
        },
    )
    return redirect(grid_url(team, month))


@login_required
@require_GET
def plan_export(request: HttpRequest) -> HttpResponse:
    """The people's plans of the team's subtree for the month, in the import's format."""
    access = plan_access(request.user)
    if not access.sees_teams:
        raise Http404
    team = _team(request.GET.get("team") or "0", request.user, access)
    month = _month(request.GET.get("month"))
    fmt = request.GET.get("fmt", "csv")
    if fmt not in ("csv", "xlsx"):
        raise Http404
    queryset = SalesPlan.objects.filter(month=month.start, user__team__path__startswith=team.path)
    try:
        return export_response(
            "plans", queryset, fmt, user=request.user, filename=f"plans-{month.key}.{fmt}"
        )
    except ExportTooLargeError as exc:
        messages.error(request, exc.message)
        return redirect(grid_url(team, month))
