"""Web-to-lead API, the admins' rules page (rules, members, dry-run, tokens) and the import."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from leads.models import AssignmentLog, AssignmentRule, Lead, LeadSource
from tests.leads.factories import LeadFactory, rule_with

pytestmark = pytest.mark.django_db

API = "/api/leads/"


@pytest.fixture
def token(org):
    cache.clear()
    raw = "lt_test-token-123"
    LeadSource.objects.create(
        name="官网表单",
        source="website",
        token_hash=LeadSource.hash_token(raw),
        token_prefix=raw[:10],
    )
    return raw


def post_json(client, data, token=None, **headers):
    if token:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client.post(API, json.dumps(data), content_type="application/json", **headers)


def test_api_creates_a_lead_and_queues_its_assignment(
    token, queued, django_capture_on_commit_callbacks
):
    client = Client(enforce_csrf_checks=True)  # no CSRF token needed: the API token authenticates
    with django_capture_on_commit_callbacks(execute=True):
        response = post_json(
            client,
            {"name": "赵敏", "phone": "13812345678", "region": "浙江", "industry": "it"},
            token,
        )
    assert response.status_code == 201
    lead = Lead.objects.get(pk=response.json()["id"])
    assert lead.source == "website"
    assert lead.api_source.name == "官网表单"
    assert lead.region == "浙江"
    assert lead.industry == "it"
    assert lead.owner is None
    assert queued == [lead.pk]
    assert LeadSource.objects.get().last_used_at is not None


def test_api_accepts_a_form_post_with_the_header_token(token):
    response = Client(enforce_csrf_checks=True).post(
        API,
        {"name": "Form", "email": "form@example.com", "source": "exhibition"},
        HTTP_X_API_TOKEN=token,
    )
    assert response.status_code == 201
    assert Lead.objects.get().source == "exhibition"


def test_api_rejects_bad_tokens_and_revoked_ones(token):
    client = Client()
    assert post_json(client, {"name": "x", "phone": "1"}).status_code == 401
    assert post_json(client, {"name": "x", "phone": "1"}, "wrong").status_code == 401
    LeadSource.objects.update(is_active=False)
    assert post_json(client, {"name": "x", "phone": "1"}, token).status_code == 401
    assert not Lead.objects.exists()


def test_api_validation_errors_are_400_with_fields(token):
    response = post_json(Client(), {"email": "not-an-email", "industry": "bakery"}, token)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) >= {"name", "email", "industry"}
    response = post_json(Client(), {"name": "No contact"}, token)
    assert response.status_code == 400
    assert "__all__" in response.json()["errors"]
    bad = Client().post(
        API, "[1, 2", content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert bad.status_code == 400
    assert not Lead.objects.exists()


def test_api_deduplicates_the_same_lead_posted_twice(token):
    data = {"name": "钱 多多", "phone": "13600000000", "company": "恒泰"}
    first = post_json(Client(), data, token)
    second = post_json(Client(), {**data, "name": "钱   多多"}, token)
    assert first.status_code == 201
    assert second.status_code == 200
    assert second.json() == {"id": first.json()["id"], "duplicate": True}
    third = post_json(Client(), {**data, "phone": "13600000001"}, token)
    assert third.status_code == 201
    assert Lead.objects.count() == 2


def test_api_rate_limit_per_token(token, settings):
    LeadSource.objects.update(rate_limit=3)
    codes = [
        post_json(Client(), {"name": f"n{i}", "phone": f"1{i}"}, token).status_code
        for i in range(5)
    ]
    assert codes == [201, 201, 201, 429, 429]
    assert Lead.objects.count() == 3


def test_api_is_post_only(token):
    assert Client().get(API, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 405


# --- rules page ---------------------------------------------------------------------------------


def test_rules_page_is_for_admins_only(org, admin_client_, manager_client):
    assert manager_client.get(reverse("leads:rule-list")).status_code == 403
    assert admin_client_.get(reverse("leads:rule-list")).status_code == 200


def test_admin_creates_a_rule_with_members(org, admin_client_):
    data = {
        "name": "华东官网",
        "priority": 5,
        "method": "weighted",
        "sla_hours": 2,
        "is_active": "on",
        "sources": ["website", "advertising"],
        "regions": "上海， 浙江,",
        "industries": [],
        "members-TOTAL_FORMS": 3,
        "members-INITIAL_FORMS": 0,
        "members-0-user": org.rep.pk,
        "members-0-weight": 3,
        "members-0-capacity": 20,
        "members-0-is_active": "on",
        "members-1-user": org.teammate.pk,
        "members-1-weight": 1,
        "members-1-capacity": 0,
        "members-1-is_active": "on",
        "members-2-user": "",
        "members-2-weight": 1,
        "members-2-capacity": 50,
        "members-2-is_active": "on",
    }
    response = admin_client_.post(reverse("leads:rule-create"), data)
    assert response.status_code == 302
    rule = AssignmentRule.objects.get()
    assert rule.sources == ["advertising", "website"] or set(rule.sources) == {
        "website",
        "advertising",
    }
    assert rule.regions == ["上海", "浙江"]
    assert {(m.user_id, m.weight, m.capacity) for m in rule.members.all()} == {
        (org.rep.pk, 3, 20),
        (org.teammate.pk, 1, 0),
    }
    page = admin_client_.get(reverse("leads:rule-list")).content.decode()
    assert "华东官网" in page


def test_same_rep_twice_is_an_error(org, admin_client_):
    data = {
        "name": "R", "priority": 1, "method": "round_robin", "sla_hours": 0,
        "members-TOTAL_FORMS": 2, "members-INITIAL_FORMS": 0,
        "members-0-user": org.rep.pk, "members-0-weight": 1, "members-0-capacity": 1,
        "members-1-user": org.rep.pk, "members-1-weight": 1, "members-1-capacity": 1,
    }  # fmt: skip
    response = admin_client_.post(reverse("leads:rule-create"), data)
    assert response.status_code == 200
    assert not AssignmentRule.objects.exists()


def test_pause_a_member_and_deactivate_a_rule(org, admin_client_):
    rule = rule_with([org.rep, org.teammate])
    member = rule.members.get(user=org.rep)
    admin_client_.post(reverse("leads:member-toggle", args=[member.pk]))
    member.refresh_from_db()
    assert not member.is_active
    admin_client_.post(reverse("leads:rule-toggle", args=[rule.pk]))
    rule.refresh_from_db()
    assert not rule.is_active


def test_dry_run_page(org, admin_client_):
    rule_with([org.rep, org.teammate])
    LeadFactory(name="Queued one")
    response = admin_client_.get(reverse("leads:rule-dry-run") + "?count=3")
    names = [row["user"].username for row in response.context["rows"]]
    assert names == ["rep", "teammate", "rep"]
    response = admin_client_.get(reverse("leads:rule-dry-run") + "?count=3&use_queue=on")
    assert [row["lead"].name for row in response.context["rows"]] == ["Queued one"]
    assert not AssignmentLog.objects.exists()


def test_token_is_shown_once_and_only_its_hash_stored(org, admin_client_):
    response = admin_client_.post(
        reverse("leads:source-create"), {"name": "Partner A", "source": "partner", "rate_limit": 30}
    )
    token = response.context["new_token"]["token"]
    assert token in response.content.decode()
    source = LeadSource.objects.get()
    assert source.token_hash == LeadSource.hash_token(token)
    assert token not in source.token_hash
    assert token not in admin_client_.get(reverse("leads:rule-list")).content.decode()
    cache.clear()
    ok = post_json(Client(), {"name": "p", "phone": "1"}, token)
    assert ok.status_code == 201
    admin_client_.post(reverse("leads:source-revoke", args=[source.pk]))
    assert post_json(Client(), {"name": "q", "phone": "2"}, token).status_code == 401


# --- import ---------------------------------------------------------------------------------


def _csv(tmp_path, text):
    path = tmp_path / "leads.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_import_csv_assigns_blank_owners_by_the_rules(
    org, tmp_path, queued, django_capture_on_commit_callbacks
):
    from django.core.management import call_command

    path = _csv(
        tmp_path,
        "姓名,公司,电话,邮箱,来源,地区,行业,创建时间,负责人\n"
        "王伟,杭州恒泰,13800001234,,官网,浙江,制造业,2025-03-05 14:30,\n"
        "Li Na,Acme,,li@example.com,referral,上海,it,,teammate\n",
    )
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_csv", "leads", str(path))
    wang = Lead.objects.get(name="王伟")
    li = Lead.objects.get(name="Li Na")
    assert wang.owner is None
    assert wang.source == "website"
    assert wang.industry == "manufacturing"
    assert wang.created_at.year == 2025
    assert queued == [wang.pk]
    assert li.owner == org.teammate
    assert li.assignment_logs.get().reason == AssignmentLog.Reason.IMPORTED
    # Importing the same file again adds nothing for rows with a created_at.
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_csv", "leads", str(path))
    assert Lead.objects.filter(name="王伟").count() == 1


def test_import_validates_every_row_first(org, tmp_path):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    path = _csv(
        tmp_path,
        "name,phone,email,owner\nGood,1380000,,\nNo contact,,,\nBad owner,139,,nobody\n",
    )
    with pytest.raises((CommandError, SystemExit)):
        call_command("import_csv", "leads", str(path))
    assert not Lead.objects.exists()
