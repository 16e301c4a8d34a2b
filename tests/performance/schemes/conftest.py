"""Fixtures of the scheme tests: the fake metrics of the computation tests."""

from tests.performance.compute.conftest import fake_metrics  # noqa: F401
