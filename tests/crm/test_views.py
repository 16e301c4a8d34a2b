"""The UI shell and the people pages, through HTTP, with the three personas."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url_name", ["home", "user-list"])
def test_pages_need_a_login(client, url_name):
    url = reverse(url_name)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["Log in to the CRM", "Username", "Password"]),
        ("zh-hans", ["登录客户关系管理系统", "用户名", "密码"]),
    ],
)
def test_login_page_renders_in_both_languages(client, language, expected):
    response = client.get(reverse("login"), headers={"accept-language": language})
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    for text in expected:
        assert text in html


def test_logging_in_lands_on_the_dashboard(org):
    client = Client()
    response = client.post(
        reverse("login"), {"username": "rep", "password": "pass-for-tests"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("home")
    assert "Welcome" in response.content.decode()


def test_a_wrong_password_shows_an_error_and_does_not_log_in(client, org):
    response = client.post(reverse("login"), {"username": "rep", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_switching_language_switches_the_shell(rep_client):
    response = rep_client.post(
        reverse("set_language"), {"language": "zh-hans", "next": reverse("home")}, follow=True
    )
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert "欢迎" in html  # the dashboard greeting
    assert "退出" in html  # log out, in the user menu
    response = rep_client.post(
        reverse("set_language"), {"language": "en", "next": "/"}, follow=True
    )
    assert "Log out" in response.content.decode()


def test_logout_is_a_post(rep_client):
    assert rep_client.get(reverse("logout")).status_code == 405
    response = rep_client.post(reverse("logout"))
    assert response.status_code == 302
    assert rep_client.get(reverse("home")).status_code == 302


def test_password_change(org):
    client = Client()
    client.force_login(org.rep)
    response = client.post(
        reverse("password_change"),
        {"old_password": "pass-for-tests", "new_password1": "123", "new_password2": "123"},
    )
    assert response.status_code == 200  # refused: too short, too common, numeric
    assert "This password is too short" in response.content.decode()
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "pass-for-tests",
            "new_password1": "Harbour-lantern-41",
            "new_password2": "Harbour-lantern-41",
        },
    )
    assert response.status_code == 302
    org.rep.refresh_from_db()
    assert org.rep.check_password("Harbour-lantern-41")


def test_dashboard_tells_the_user_their_scope(rep_client, manager_client):
    html = rep_client.get(reverse("home")).content.decode()
    assert 'data-testid="view-scope">Own records<' in html
    html = manager_client.get(reverse("home")).content.decode()
    assert 'data-testid="view-scope">Own team and the teams below it<' in html


def test_navigation_shows_admin_only_to_staff(rep_client, admin_client_):
    assert reverse("admin:index") not in rep_client.get(reverse("home")).content.decode()
    assert reverse("admin:index") in admin_client_.get(reverse("home")).content.decode()


def test_people_list_is_scoped(rep_client, manager_client, org):
    html = rep_client.get(reverse("user-list")).content.decode()
    assert org.rep.get_absolute_url() in html
    assert org.teammate.get_absolute_url() not in html

    html = manager_client.get(reverse("user-list")).content.decode()
    for person in (org.rep, org.teammate, org.manager):
        assert person.get_absolute_url() in html
    for person in (org.east_rep, org.other_team_rep, org.vp):
        assert person.get_absolute_url() not in html


def test_people_list_search_and_team_filter(org):
    client = Client()
    client.force_login(org.vp)
    html = client.get(reverse("user-list"), {"q": "east_"}).content.decode()
    assert org.east_rep.get_absolute_url() in html
    assert org.rep.get_absolute_url() not in html
    html = client.get(reverse("user-list"), {"team": org.north.pk}).content.decode()
    assert org.other_team_rep.get_absolute_url() in html
    assert org.rep.get_absolute_url() not in html


def test_people_list_query_count_does_not_grow_with_length(org, django_assert_max_num_queries):
    client = Client()
    client.force_login(org.vp)
    for i in range(60):
        UserFactory(username=f"extra{i}", team=org.beijing)
    # session + user + position, count + page (team and position joined), team tree
    with django_assert_max_num_queries(8):
        response = client.get(reverse("user-list"))
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 71
    with django_assert_max_num_queries(8):
        client.get(reverse("user-list"), {"page": 2})


def test_person_detail_of_another_team_is_404(rep_client, manager_client, other_team_client, org):
    assert rep_client.get(org.rep.get_absolute_url()).status_code == 200
    assert rep_client.get(org.teammate.get_absolute_url()).status_code == 404
    assert manager_client.get(org.teammate.get_absolute_url()).status_code == 200
    assert other_team_client.get(org.teammate.get_absolute_url()).status_code == 404
    assert rep_client.post(org.rep.get_absolute_url()).status_code == 405


def test_team_page_shows_only_members_in_scope(rep_client, other_team_client, org):
    response = rep_client.get(org.shanghai.get_absolute_url())
    assert response.status_code == 200
    assert list(response.context["members"]) == [org.rep]
    # A rep sees the chain above their own team, not the other branches.
    assert rep_client.get(org.east.get_absolute_url()).status_code == 200
    assert rep_client.get(org.beijing.get_absolute_url()).status_code == 404
    assert other_team_client.get(org.shanghai.get_absolute_url()).status_code == 404


def test_regional_manager_browses_teams_below(org):
    client = Client()
    client.force_login(org.regional_manager)
    response = client.get(org.east.get_absolute_url())
    assert [t.name for t in response.context["children"]] == ["Shanghai", "Hangzhou"]
    members = {p.username for p in response.context["members"]}
    assert members == {"regional_manager", "rep", "teammate", "manager", "east_rep"}


def test_static_assets_and_phone_layout(rep_client):
    html = rep_client.get(reverse("home")).content.decode()
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in html
    assert "vendor/bootstrap/bootstrap.min.css" in html
    assert "vendor/htmx/htmx.min.js" in html
    assert 'class="navbar-toggler"' in html  # the navigation collapses on a phone


def test_org_chart_shows_the_chain_above_and_the_subtree_below(org):
    client = Client()
    client.force_login(org.rep)
    names = [t.name for t in client.get(reverse("team-list")).context["teams"]]
    assert names == ["Hengtai", "East", "Shanghai"]
    client.force_login(org.regional_manager)
    names = [t.name for t in client.get(reverse("team-list")).context["teams"]]
    assert names == ["Hengtai", "East", "Shanghai", "Hangzhou"]
    client.force_login(org.vp)
    teams = client.get(reverse("team-list")).context["teams"]
    assert len(teams) == 6
    assert {t.name: t.member_count for t in teams}["Shanghai"] == 3


def test_the_chosen_language_follows_the_user_to_another_device(org):
    laptop = Client()
    laptop.force_login(org.rep)
    laptop.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    org.rep.refresh_from_db()
    assert org.rep.language == "zh-hans"

    phone = Client()  # no language cookie, English browser
    phone.force_login(org.rep)
    response = phone.get(reverse("home"), headers={"accept-language": "en"})
    assert '<html lang="zh-hans">' in response.content.decode()
    assert response.cookies["django_language"].value == "zh-hans"

    # A cookie (an explicit choice on this device) wins over the profile.
    phone.cookies["django_language"] = "en"
    assert '<html lang="en">' in phone.get(reverse("home")).content.decode()


def test_anonymous_language_switch_changes_only_the_cookie(client, org):
    response = client.post(
        reverse("set_language"), {"language": "zh-hans", "next": "/accounts/login/"}
    )
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "zh-hans"
    assert client.get(reverse("set_language")).status_code == 405


@pytest.mark.parametrize(
    "url",
    [
        "/admin/",
        "/admin/crm/user/",
        "/admin/crm/user/add/",
        "/admin/crm/team/",
        "/admin/crm/team/add/",
        "/admin/crm/position/",
        "/admin/crm/heartbeat/",
        "/admin/django_celery_beat/periodictask/",
    ],
)
def test_admin_pages_work(admin_client_, url):
    assert admin_client_.get(url).status_code == 200


def test_admin_edits_a_positions_scope_but_not_beyond_what_it_sees(admin_client_, org):
    from crm.models import Position

    rep = Position.objects.get(kind="sales_rep")
    url = f"/admin/crm/position/{rep.pk}/change/"
    response = admin_client_.post(url, {"view_scope": "own", "edit_scope": "all"})
    assert response.status_code == 200
    assert "A position cannot change what it cannot see." in response.content.decode()
    response = admin_client_.post(url, {"view_scope": "team", "edit_scope": "own"})
    assert response.status_code == 302
    rep.refresh_from_db()
    assert (rep.view_scope, rep.edit_scope) == ("team", "own")


def test_non_staff_cannot_reach_the_admin(rep_client):
    response = rep_client.get("/admin/crm/position/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_a_language_we_do_not_offer_is_ignored(rep_client, org):
    response = rep_client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    assert response.status_code == 302
    org.rep.refresh_from_db()
    assert org.rep.language == ""


def test_an_explicit_choice_beats_the_profile_on_a_device_without_cookie(org):
    org.rep.language = "zh-hans"
    org.rep.save()
    client = Client()
    client.force_login(org.rep)
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.cookies["django_language"].value == "en"
    org.rep.refresh_from_db()
    assert org.rep.language == "en"


def test_logging_in_records_the_time_without_a_history_row(org):
    client = Client()
    before = org.rep.history.count()
    response = client.post(reverse("login"), {"username": "rep", "password": "pass-for-tests"})
    assert response.status_code == 302
    org.rep.refresh_from_db()
    assert org.rep.last_login is not None
    assert org.rep.history.count() == before
