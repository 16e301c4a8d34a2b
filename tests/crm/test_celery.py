"""Background work really runs: a separate worker process consumes from the configured broker
(the filesystem broker by default, Redis in CI) and returns its result."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from crm.celery import app as celery_app
from crm.tasks import ping

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def worker():
    """A real `celery worker` process on a queue of its own, so no other worker (a developer's
    `make run`) can take the test's message."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "crm.settings"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "crm",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-l",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    yield queue
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_queues_and_reliability_settings():
    assert {q.name for q in celery_app.conf.task_queues} == {
        "default",
        "assignment",
        "notifications",
        "reports",
    }
    assert celery_app.conf.task_acks_late is True
    assert celery_app.conf.task_serializer == "json"
    assert celery_app.conf.accept_content == ["json"]
    assert celery_app.conf.task_time_limit > celery_app.conf.task_soft_time_limit > 0
    assert celery_app.conf.task_always_eager is False


def test_routes_send_each_kind_of_work_to_its_queue():
    router = celery_app.amqp.router
    assert router.route({}, "leads.tasks.lead_assign_task")["queue"].name == "assignment"
    assert router.route({}, "performance.tasks.scorecard_compute_task")["queue"].name == "reports"
    assert router.route({}, "service.tasks.care_message_send_task")["queue"].name == "notifications"
    assert router.route({}, "notifications.tasks.notification_email_task")["queue"].name == (
        "notifications"
    )
    assert router.route({}, "crm.tasks.ping")["queue"].name == "default"


@pytest.mark.broker
def test_a_task_runs_in_a_worker_process_through_the_broker(worker):
    result = ping.apply_async(queue=worker)
    answer = result.get(timeout=60)
    assert answer["pong"] is True
    assert answer["pid"] != os.getpid()  # ran in the worker, not here (not eager)
