"""Review findings: hostile input to POST /api/leads/ (each answered with a clear JSON error and
nothing written) and the bulk-assign redirect (no open redirect)."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from customers.models import Activity
from leads.models import AssignmentLog, Lead, LeadSource
from tests.leads.factories import LeadFactory

pytestmark = pytest.mark.django_db

API = "/api/leads/"
TOKEN = "lt_review-token"


@pytest.fixture
def source(org):
    cache.clear()
    return LeadSource.objects.create(
        name="官网",
        source="website",
        token_hash=LeadSource.hash_token(TOKEN),
        token_prefix=TOKEN[:10],
    )


def post(body, content_type="application/json", token=TOKEN):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    client = Client(raise_request_exception=False)
    return client.generic("POST", API, body, content_type=content_type, **headers)


def assert_nothing_written(source):
    assert not Lead.objects.exists()
    assert not AssignmentLog.objects.exists()
    assert not Activity.objects.exists()
    source.refresh_from_db()
    assert source.last_used_at is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        # Over the model's 254 characters: was a 500 (the model check, not the form, caught it).
        (json.dumps({"name": "a", "email": "a" * 250 + "@example.com"}), "email"),
        (json.dumps({"name": "名" * 121, "phone": "1"}), "name"),
        (json.dumps({"name": "a", "phone": "1" * 41}), "phone"),
        (json.dumps({"name": "a", "phone": "1", "notes": "x" * 4001}), "notes"),
        # Objects, lists and booleans were stored as their Python repr ("{'x': 1}", "True").
        (json.dumps({"name": {"first": "a"}, "phone": "1"}), "name"),
        (json.dumps({"name": "a", "phone": ["1", "2"]}), "phone"),
        (json.dumps({"name": True, "phone": "1"}), "name"),
        # A lone surrogate cannot be stored as UTF-8: was a 500.
        ('{"name": "\\ud800", "phone": "1"}', "name"),
        (json.dumps({"name": "a\u0000b", "phone": "1"}), "name"),
    ],
)
def test_api_invalid_fields_are_400_with_the_field_and_write_nothing(source, body, field):
    response = post(body)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert field in response.json()["errors"]
    assert_nothing_written(source)


@pytest.mark.parametrize(
    "body",
    [
        "[" * 50_000,  # deep nesting: was a RecursionError (500)
        '{"a": ' * 5_000 + "1" + "}" * 5_000,
        '{"name": NaN, "phone": Infinity}',  # not JSON, though Python's parser takes it
        '{"name": "a", "phone": ' + "1" * 5_000 + "}",
        b'{"name": "\xff", "phone": "1"}',
        "{not json",
        "[]",
        '"a string"',
        "null",
    ],
)
def test_api_malformed_json_is_400_and_writes_nothing(source, body):
    response = post(body)
    assert response.status_code == 400
    assert "error" in response.json()
    assert_nothing_written(source)


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "application/x-yaml"])
def test_api_wrong_content_type_is_415(source, content_type):
    response = post(json.dumps({"name": "a", "phone": "1"}), content_type=content_type)
    assert response.status_code == 415
    assert "application/json" in response.json()["error"]
    assert_nothing_written(source)


def test_api_unreadable_multipart_is_a_json_400(source):
    response = post("garbage", content_type="multipart/form-data")  # no boundary
    assert response.status_code == 400
    assert response.json()["error"]
    assert_nothing_written(source)


def test_api_oversized_bodies_are_413_whatever_their_size(source):
    for size in (70_000, 3_000_000):  # the second is over Django's own 2.5 MB limit (was HTML)
        response = post(json.dumps({"name": "a", "phone": "1", "notes": "x" * size}))
        assert response.status_code == 413
        assert response.json()["error"]
    assert_nothing_written(source)


def test_api_missing_wrong_and_revoked_tokens_write_nothing(source, admin_client_):
    body = json.dumps({"name": "a", "phone": "1"})
    assert post(body, token=None).status_code == 401
    assert post(body, token="lt_guess").status_code == 401
    assert post(body, token="").status_code == 401
    # Revoked through the admins' page: the token stops working at once.
    admin_client_.post(reverse("leads:source-revoke", args=[source.pk]))
    response = post(body)
    assert response.status_code == 401
    assert response.json()["error"]
    assert not Lead.objects.exists()


def test_api_html_is_stored_as_text_and_escaped_on_the_pages(source, org, manager_client):
    response = post(
        json.dumps(
            {
                "name": "<script>alert(1)</script>",
                "company": "<b>恒泰</b>",
                "phone": "138",
                "notes": "<img src=x onerror=alert(1)>",
            }
        )
    )
    assert response.status_code == 201
    lead = Lead.objects.get(pk=response.json()["id"])
    assert lead.name == "<script>alert(1)</script>"  # kept as typed: escaping is the pages' job
    for url in (lead.get_absolute_url(), reverse("leads:lead-queue"), reverse("leads:lead-list")):
        body = manager_client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in body
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
        assert "<img src=x" not in body
        assert "<b>恒泰</b>" not in body


def test_api_numbers_are_taken_as_text(source):
    response = post(json.dumps({"name": "Num", "phone": 13800001234}))
    assert response.status_code == 201
    assert Lead.objects.get().phone == "13800001234"


@pytest.mark.parametrize(
    "target", ["//evil.example.com/", "/\\evil.example.com", "https://evil.example.com/", ""]
)
def test_bulk_assign_does_not_redirect_off_site(org, manager_client, target):
    lead = LeadFactory()
    response = manager_client.post(
        reverse("leads:lead-assign"), {"ids": [lead.pk], "to_user": org.rep.pk, "next": target}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("leads:lead-list")
    lead.refresh_from_db()
    assert lead.owner == org.rep


def test_bulk_assign_goes_back_to_a_page_of_this_site(org, manager_client):
    lead = LeadFactory()
    response = manager_client.post(
        reverse("leads:lead-assign"),
        {"ids": [lead.pk], "to_user": org.rep.pk, "next": "/leads/?status=new"},
    )
    assert response["Location"] == "/leads/?status=new"


# --- scope of every changing endpoint -----------------------------------------------------------

ACTIVITY = {"kind": "call", "outcome": "success", "occurred_at": "2025-01-01T10:00", "summary": "x"}


def _posts(lead):
    return [
        (reverse("leads:lead-update", args=[lead.pk]), {"name": "Hacked", "phone": "1"}),
        (reverse("leads:activity-create", args=[lead.pk]), ACTIVITY),
        (reverse("leads:lead-status", args=[lead.pk]), {"status": "qualified"}),
        (reverse("leads:lead-disqualify", args=[lead.pk]), {"reason": "spam"}),
        (reverse("leads:lead-reopen", args=[lead.pk]), {}),
        (reverse("leads:lead-convert", args=[lead.pk]), {"name": "Hacked", "kind": "company"}),
    ]


def _snapshot(lead):
    lead.refresh_from_db()
    return (lead.name, lead.status, lead.owner_id, lead.converted_customer_id)


def test_another_teams_rep_gets_404_on_every_post_and_nothing_changes(org, other_team_client):
    lead = LeadFactory(owner=org.rep, name="Mine")
    before = _snapshot(lead)
    for url, data in _posts(lead):
        assert other_team_client.post(url, data).status_code == 404, url
    assert (
        other_team_client.post(
            reverse("leads:lead-assign"), {"ids": [lead.pk], "to_user": org.other_team_rep.pk}
        ).status_code
        == 403
    )
    assert _snapshot(lead) == before
    assert not Activity.objects.exists()
    assert not AssignmentLog.objects.exists()


@pytest.mark.parametrize("persona", ["planner", "hr"])
def test_read_only_positions_change_nothing(org, persona):
    client = Client()
    client.force_login(getattr(org, persona))
    lead = LeadFactory(owner=org.rep, name="Mine")
    before = _snapshot(lead)
    for url, data in _posts(lead):
        assert client.post(url, data).status_code in (403, 404), url
    assert (
        client.post(
            reverse("leads:lead-assign"), {"ids": [lead.pk], "to_user": org.rep.pk}
        ).status_code
        == 403
    )
    assert client.post(reverse("leads:lead-create"), {"name": "x", "phone": "1"}).status_code == 403
    assert _snapshot(lead) == before
    assert Lead.objects.count() == 1
    assert not Activity.objects.exists()
