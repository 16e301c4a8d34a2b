"""/healthz: what a load balancer and an operator read."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.celery import app as celery_app
from crm.models import Heartbeat
from crm.tasks import heartbeat

pytestmark = pytest.mark.django_db


def test_healthy_when_database_and_broker_answer(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["broker"] == {"ok": True, "transport": celery_app.conf.broker_url.split("://")[0]}
    assert response["Cache-Control"].startswith("max-age=0")


def test_unhealthy_when_the_broker_is_unreachable(client, monkeypatch):
    # A real connection attempt to a port where nothing listens (not a mock of kombu).
    # (Celery reads CELERY_BROKER_URL from the environment before its own configuration.)
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:9/0")
    monkeypatch.setitem(celery_app.conf, "broker_write_url", None)
    monkeypatch.setitem(celery_app.conf, "broker_transport_options", {})
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["broker"]["ok"] is False
    assert body["broker"]["transport"] == "redis"
    assert body["database"]["ok"] is True


def test_worker_heartbeat_is_reported(client):
    assert client.get(reverse("healthz")).json()["worker"] == {"ok": False, "last_seen": None}
    heartbeat()
    worker = client.get(reverse("healthz")).json()["worker"]
    assert worker["ok"] is True
    Heartbeat.objects.update(seen_at=timezone.now() - timedelta(hours=1))
    worker = client.get(reverse("healthz")).json()["worker"]
    assert worker["ok"] is False
    assert worker["last_seen"] is not None


def test_healthz_needs_no_login_and_only_get(client):
    assert client.post(reverse("healthz")).status_code == 405


def test_the_embedded_broker_is_unhealthy_when_its_folder_is_gone(client, monkeypatch, tmp_path):
    monkeypatch.setenv("CELERY_BROKER_URL", "filesystem://")  # (read before the configuration)
    monkeypatch.setitem(celery_app.conf, "broker_read_url", None)
    monkeypatch.setitem(celery_app.conf, "broker_write_url", None)
    missing = tmp_path / "gone"
    monkeypatch.setitem(
        celery_app.conf, "broker_transport_options", {"data_folder_in": str(missing)}
    )
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["broker"]["ok"] is False
    missing.mkdir()
    assert client.get(reverse("healthz")).json()["broker"]["ok"] is True
