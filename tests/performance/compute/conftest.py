"""Fixtures of the computation tests: fake metrics whose figures a test sets by hand (the
seeded rows come from tests/performance/conftest.py)."""

from __future__ import annotations

import pytest

from performance.metrics import COUNT, HIGHER, LOWER, RATE, Figure, Metric, registry


class FakeMetric(Metric):
    """Figures set by the test in `data` ({user id: Figure}); no database."""

    in_contract = False
    data: dict[int, Figure]

    def figures(self, user_ids, period):
        return {u: f for u, f in self.data.items() if user_ids is None or u in user_ids}

    def records(self, user_ids, period):  # pragma: no cover (not used by the computation)
        raise NotImplementedError


class FakeRate(FakeMetric):
    key = "t_rate"
    name = "Test rate"
    unit = RATE
    direction = HIGHER


class FakeLowerRate(FakeMetric):
    key = "t_lower"
    name = "Test lower-is-better rate"
    unit = RATE
    direction = LOWER


class FakeCount(FakeMetric):
    key = "t_count"
    name = "Test count against the plan"
    unit = COUNT
    direction = HIGHER
    plan_field = "new_customer_target"


FAKES = (FakeRate, FakeLowerRate, FakeCount)


@pytest.fixture
def fake_metrics():
    """Registers the fake metrics for one test; returns {key: metric} whose `data` to fill."""
    metrics = {}
    for cls in FAKES:
        registry.register(cls)
        metric = registry.get_metric(cls.key)
        metric.data = {}
        metrics[cls.key] = metric
    yield metrics
    for cls in FAKES:
        registry._METRICS.pop(cls.key, None)


@pytest.fixture
def tasks_run_inline():
    """Celery tasks run in the test process (no worker)."""
    from crm.celery import app as celery_app

    saved = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = saved
