"""Views of the shared core: home dashboard, people and org chart, health check."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views import i18n as i18n_views
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from crm import selectors
from crm.dashboard import my_work
from crm.health import health_report
from crm.models import Team, User
from crm.scopes import get_visible_or_404, reach_of
from customers.selectors import customer_counts

PAGE_SIZE = 50


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    context = {
        "view_reach": reach_of(user),
        "change_reach": reach_of(user, for_change=True),
        "visible_people": User.objects.visible_to(user).filter(is_active=True).count(),
        **customer_counts(user),
        **my_work(user),
    }
    return render(request, "crm/home.html", context)


@login_required
@require_GET
def user_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    team = None
    if team_id := request.GET.get("team", "").strip():
        team = get_object_or_404(Team, pk=team_id) if team_id.isdigit() else None
    people = selectors.user_list(viewer=request.user, search=search, team=team)
    page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "crm/user_list.html",
        {
            "page": page,
            "search": search,
            "team": team,
            "teams": selectors.team_tree(viewer=request.user),
        },
    )


@login_required
@require_GET
def user_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_visible_or_404(
        User.objects.select_related("team", "position"), request.user, pk=pk, is_active=True
    )
    return render(request, "crm/user_detail.html", {"person": person})


@login_required
@require_GET
def team_list(request: HttpRequest) -> HttpResponse:
    return render(
        request, "crm/team_list.html", {"teams": selectors.team_tree(viewer=request.user)}
    )


@login_required
@require_GET
def team_detail(request: HttpRequest, pk: int) -> HttpResponse:
    # Teams are not secret (everyone sees the org chart above them); members are scoped.
    teams = {t.pk: t for t in selectors.team_tree(viewer=request.user)}
    if pk not in teams:
        raise Http404
    team = teams[pk]
    members = selectors.user_list(viewer=request.user, team=team)
    return render(
        request,
        "crm/team_detail.html",
        {
            "team": team,
            "ancestors": [teams[i] for i in team.ancestor_ids() if i in teams and i != pk],
            "members": members,
            "children": [t for t in teams.values() if t.parent_id == pk],
        },
    )


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch, remembered on the user's profile when signed in."""
    response = i18n_views.set_language(request)
    language = request.POST.get("language", "")
    user = request.user
    if user.is_authenticated and language in dict(settings.LANGUAGES) and user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return response


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    healthy, report = health_report()
    return JsonResponse(report, status=200 if healthy else 503)
