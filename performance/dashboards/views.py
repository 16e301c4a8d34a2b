"""The performance landing page, the rep's own page, the team page and the company page, the
scorecard export (XLSX / CSV) and the scorecard PDF. Access is decided in access.py; the figures
come from pages.py; the charts get their numbers as strings."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from crm.models import is_administrator
from performance.compute.selectors import can_start_runs
from performance.dashboards import access, charts, exports, pages
from performance.periods import Period


def _period(request: HttpRequest) -> Period:
    """The period asked for (?period=2026-10, 2026-Q4 or 2026), else the current month; a
    malformed one falls back to the current month with a message."""
    key = request.GET.get("period", "").strip()
    if key:
        try:
            return Period.parse(key)
        except ValueError:
            message = _("“%(key)s” is not a period (use 2026-10, 2026-Q4 or 2026).")
            messages.warning(request, message % {"key": key})
    return Period.containing()


def shared_statistic_results(user) -> list:
    """The custom statistics shared with `user` (the statistics part's panel)."""
    from performance.statistics.selectors import shared_statistic_results as results

    return results(user)


def _nav(user) -> dict:
    return {"nav_teams": access.may_see_teams(user), "nav_company": access.sees_company(user)}


def _link(name: str, label: str, icon: str) -> dict | None:
    try:
        return {"url": reverse(f"performance:{name}"), "label": label, "icon": icon}
    except NoReverseMatch:  # a part of the app not installed (yet)
        return None


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Where each person starts: their own page, their team's, the company's, and the other
    performance pages they may use."""
    user = request.user
    dashboards = [_link("my-dashboard", _("My performance"), "person")]
    if access.may_see_teams(user):
        dashboards.append(_link("team-dashboard", _("Team performance"), "people"))
    if access.sees_company(user):
        dashboards.append(_link("company-dashboard", _("Company performance"), "building"))
    others = [
        _link("scorecard-list", _("Scorecards"), "card-checklist"),
        _link("plan-grid", _("Sales plans"), "calendar3"),
        # Only for whoever may start computations (managers, planning, VP, HR, administrators):
        # a rep would get a 403.
        _link("run-list", _("Scorecard computations"), "cpu") if can_start_runs(user) else None,
        _link("statistic-list", _("Custom statistics"), "bar-chart"),
    ]
    if is_administrator(user):
        others.insert(1, _link("scheme-list", _("KPI schemes"), "sliders"))
    # Sales reps start on their own page, managers on their team's, the others on the company's.
    primary = dashboards[-1] if access.sees_company(user) or access.may_see_teams(user) else None
    return render(
        request,
        "performance/dashboards/home.html",
        {
            "dashboards": [d for d in dashboards if d],
            "primary": primary or dashboards[0],
            "others": [link for link in others if link],
            "period": Period.containing(),
            "statistic_results": shared_statistic_results(user),
            **_nav(user),
        },
    )


@login_required
@require_GET
def my_dashboard(request: HttpRequest) -> HttpResponse:
    period = _period(request)
    data = pages.rep_dashboard(request.user, period)
    labels = charts.month_labels(data.months)
    context = {
        "data": data,
        "period": period,
        "revenue_chart": charts.chart(
            "bar", labels, charts.dataset(_("Revenue"), data.revenue_trend)
        ),
        "score_chart": charts.chart(
            "line", labels, charts.dataset(_("Published total"), data.score_trend)
        ),
        "trend": list(zip(data.months, data.revenue_trend, data.score_trend, strict=True)),
        "statistic_results": shared_statistic_results(request.user),
        **_nav(request.user),
    }
    return render(request, "performance/dashboards/my.html", context)


@login_required
@require_GET
def team_dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    if request.GET.get("team"):
        team = access.team_or_404(user, request.GET["team"])
    else:
        team = access.default_team(user)
        if team is None:
            raise PermissionDenied
    period = _period(request)
    data = pages.team_dashboard(user, team, period)
    labels = charts.month_labels(data.months)
    context = {
        "data": data,
        "team": team,
        "period": period,
        "teams": access.reachable_teams(user),
        "labels": [pages.kpis.metric_label(key) for key in data.keys],
        "revenue_chart": charts.chart(
            "bar", labels, charts.dataset(_("Team revenue"), data.revenue_trend)
        ),
        "score_chart": charts.chart(
            "line", labels, charts.dataset(_("Average published total"), data.score_trend)
        ),
        "funnel_chart": charts.chart(
            "bar",
            [step.stage.label for step in data.funnel],
            charts.dataset(_("Opportunities reaching the stage"), [s.reached for s in data.funnel]),
            horizontal=True,
        ),
        "trend": list(zip(data.months, data.revenue_trend, data.score_trend, strict=True)),
        **_nav(user),
    }
    return render(request, "performance/dashboards/team.html", context)


@login_required
@require_GET
def company_dashboard(request: HttpRequest) -> HttpResponse:
    if not access.sees_company(request.user):
        raise PermissionDenied
    period = _period(request)
    data = pages.company_dashboard(request.user, period)
    context = {
        "data": data,
        "period": period,
        "labels": [pages.kpis.metric_label(key) for key in data.keys],
        "teams_chart": charts.chart(
            "bar",
            [row.team.name for row in data.rows],
            charts.dataset(_("Revenue"), [row.revenue for row in data.rows]),
            charts.dataset(_("Revenue target"), [row.revenue_target for row in data.rows]),
        ),
        "grades_chart": charts.chart(
            "bar",
            [row.grade or _("not graded") for row in data.grades],
            charts.dataset(_("Scorecards"), [row.count for row in data.grades]),
            counts=True,
        ),
        **_nav(request.user),
    }
    return render(request, "performance/dashboards/company.html", context)


@login_required
@require_GET
def scorecard_export(request: HttpRequest) -> HttpResponse:
    """A period's scorecards for the team subtree asked for (or everything the user may see):
    a rep gets their own published ones only."""
    fmt = request.GET.get("format", "xlsx")
    if fmt not in exports.FORMATS:
        raise Http404
    try:
        period = Period.parse(request.GET.get("period", ""))
    except ValueError:
        period = Period.containing()
    scorecards = access.visible_scorecards(request.user).filter(period__key=period.key)
    name = period.key
    if request.GET.get("team"):
        team = access.team_or_404(request.user, request.GET["team"])
        scorecards = scorecards.filter(team__path__startswith=team.path)
        name = f"{team.name}-{period.key}"
    filename = f"{_('scorecards')}-{name}.{fmt}"
    return exports.scorecards_response(scorecards, fmt, filename)


@login_required
@require_GET
def scorecard_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    card = (
        access.visible_scorecards(request.user)
        .select_related("user", "team", "period", "scheme")
        .prefetch_related("items")
        .filter(pk=pk)
        .first()
    )
    if card is None:
        raise Http404
    response = HttpResponse(exports.scorecard_pdf(card), content_type="application/pdf")
    stem = f"scorecard-{card.period.key}-{card.user.username}".encode("ascii", "ignore").decode()
    response["Content-Disposition"] = f'inline; filename="{stem.replace(chr(34), "")}.pdf"'
    return response
