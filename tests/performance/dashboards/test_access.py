"""Who may open which dashboard: a rep only their own page; a manager their subtree's team
pages (another team is a 404); VP, planning, HR and admins the company and every team."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

HOME = reverse("performance:home")
MY = reverse("performance:my-dashboard")
TEAM = reverse("performance:team-dashboard")
COMPANY = reverse("performance:company-dashboard")


def test_anonymous_is_sent_to_sign_in(client, org):
    for url in (HOME, MY, TEAM, COMPANY, reverse("performance:scorecard-export")):
        response = client.get(url)
        assert response.status_code == 302
        assert "login" in response["Location"]


def test_pages_refuse_post(clients):
    assert clients.vp.post(COMPANY).status_code == 405
    assert clients.rep.post(MY).status_code == 405


def test_rep_lands_on_their_own_page_only(org, clients):
    response = clients.rep.get(HOME)
    assert response.status_code == 200
    primary = [d for d in response.context["dashboards"] if d["url"] == MY]
    assert primary
    assert response.context["primary"]["url"] == MY
    urls = {d["url"] for d in response.context["dashboards"]}
    assert TEAM not in urls
    assert COMPANY not in urls
    assert clients.rep.get(TEAM).status_code == 403
    assert clients.rep.get(TEAM, {"team": org.shanghai.pk}).status_code == 404
    assert clients.rep.get(COMPANY).status_code == 403


def test_manager_lands_on_their_team(org, clients):
    response = clients.manager.get(HOME)
    assert response.context["primary"]["url"] == TEAM
    page = clients.manager.get(TEAM)
    assert page.status_code == 200
    assert page.context["team"] == org.shanghai
    assert clients.manager.get(COMPANY).status_code == 403


@pytest.mark.parametrize("team", ["hangzhou", "beijing", "east", "company"])
def test_manager_gets_404_outside_their_subtree(org, clients, team):
    assert clients.manager.get(TEAM, {"team": getattr(org, team).pk}).status_code == 404


def test_regional_manager_reaches_the_teams_below(org, clients):
    assert clients.regional_manager.get(TEAM, {"team": org.hangzhou.pk}).status_code == 200
    assert clients.regional_manager.get(TEAM, {"team": org.east.pk}).status_code == 200
    assert clients.regional_manager.get(TEAM, {"team": org.beijing.pk}).status_code == 404
    assert clients.regional_manager.get(TEAM).context["team"] == org.east


def test_malformed_team_is_404(clients):
    assert clients.vp.get(TEAM, {"team": "abc"}).status_code == 404
    assert clients.vp.get(TEAM, {"team": "999999"}).status_code == 404


@pytest.mark.parametrize("persona", ["vp", "planner", "hr", "admin"])
def test_company_positions_see_company_and_every_team(org, clients, persona):
    client = getattr(clients, persona)
    home = client.get(HOME)
    assert home.context["primary"]["url"] == COMPANY
    assert client.get(COMPANY).status_code == 200
    assert client.get(TEAM, {"team": org.beijing.pk}).status_code == 200
    assert client.get(TEAM).context["team"] == org.company


def test_customer_service_has_no_team_or_company_page(clients):
    assert clients.service.get(TEAM).status_code == 403
    assert clients.service.get(COMPANY).status_code == 403


def test_landing_page_lists_only_links_that_exist(clients):
    """Links to the other parts render only when their URL exists; schemes for admins only."""
    from django.urls import NoReverseMatch

    def exists(name):
        try:
            return reverse(f"performance:{name}")
        except NoReverseMatch:
            return None

    admin_links = {link["url"] for link in clients.admin.get(HOME).context["others"]}
    rep_links = {link["url"] for link in clients.rep.get(HOME).context["others"]}
    scheme_url = exists("scheme-list")
    if scheme_url:
        assert scheme_url in admin_links
        assert scheme_url not in rep_links
    for name in ("scorecard-list", "plan-grid", "run-list", "statistic-list"):
        url = exists(name)
        assert (url in admin_links) == bool(url)


def test_statistics_shared_with_the_position_show_on_the_landing_page(org, clients):
    from crm.models import Position
    from performance.models import CustomStatistic

    statistic = CustomStatistic.objects.create(
        name="本月订单数", module="orders", measure="count", grouping="owner", owner=org.vp
    )
    statistic.shared_positions.add(Position.objects.get(kind=Position.Kind.SALES_REP))
    assert "本月订单数" in clients.rep.get(HOME).content.decode()
    assert "本月订单数" in clients.rep.get(MY).content.decode()
    assert "本月订单数" not in clients.hr.get(HOME).content.decode()


def test_landing_page_links_open_for_the_person(org, clients):
    """Every performance link of the landing page opens (no 403 behind a link): a rep and
    customer service get no link to the computations, managers and company positions do."""
    import re

    runs = reverse("performance:run-list")
    for persona in ("rep", "service", "manager", "hr", "vp"):
        client = getattr(clients, persona)
        html = client.get(HOME).content.decode()
        links = set(re.findall(r'href="(/performance/[^"?]*)', html))
        for url in links:
            assert client.get(url).status_code == 200, (persona, url)
        assert (runs in links) == (persona in ("manager", "hr", "vp")), persona
