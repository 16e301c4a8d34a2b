"""Done when: a lead created from the form, an import and the API is assigned by a real Celery
worker process (through the configured broker) by the rules. PostgreSQL only: the worker is a
separate process and must see the test database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse

from leads.models import AssignmentLog, Lead, LeadSource
from tests.leads.factories import rule_with

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.broker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the worker process needs a shared database"
    ),
]


def _database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def assignment_worker():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "crm.settings",
        "DATABASE_URL": _database_url(),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "crm", "worker", "--pool=solo", "-Q",
         "assignment", "--without-heartbeat", "--without-gossip", "--without-mingle",
         "-l", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    yield proc
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_form_import_and_api_leads_are_assigned_by_a_real_worker(
    org, rep_client, tmp_path, assignment_worker
):
    rule_with([org.teammate, org.east_rep])
    raw = "lt_worker-test"
    LeadSource.objects.create(
        name="site", token_hash=LeadSource.hash_token(raw), token_prefix=raw[:10]
    )
    rep_client.post(
        reverse("leads:lead-create"),
        {"name": "From form", "phone": "13900000001", "source": "website"},
    )
    path = tmp_path / "leads.csv"
    path.write_text("name,phone\nFrom import,13900000002\n", encoding="utf-8")
    call_command("import_csv", "leads", str(path))
    response = Client().post(
        "/api/leads/",
        json.dumps({"name": "From API", "phone": "13900000003"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert response.status_code == 201
    names = ["From form", "From import", "From API"]
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if Lead.objects.filter(name__in=names, owner__isnull=False).count() == 3:
            break
        time.sleep(0.5)
    owners = dict(Lead.objects.filter(name__in=names).values_list("name", "owner__username"))
    assert set(owners) == set(names)
    assert set(owners.values()) <= {"teammate", "east_rep"}, owners
    assert AssignmentLog.objects.filter(reason="rule").count() == 3
