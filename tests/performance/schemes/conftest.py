"""Fixtures of the scheme tests: the positions and service flows the data migrations would seed
(the tests run with --nomigrations), and the fake metrics of the computation tests."""

from tests.performance.compute.conftest import _seeded, fake_metrics  # noqa: F401
