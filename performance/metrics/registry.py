"""The registry of metrics: `@register` a `Metric` subclass; look metrics up by key."""

from __future__ import annotations

from performance.metrics.base import Metric

_METRICS: dict[str, Metric] = {}


def register(cls: type[Metric]) -> type[Metric]:
    if cls.key in _METRICS and type(_METRICS[cls.key]) is not cls:
        raise ValueError(f"metric {cls.key!r} registered twice")
    _METRICS[cls.key] = cls()
    return cls


def get_metric(key: str) -> Metric:
    """The metric registered under `key`; KeyError for an unknown key."""
    return _METRICS[key]


def all_metrics() -> list[Metric]:
    """Every registered metric: the KPIS.md ones first in that table's order, then the rest."""
    return list(_METRICS.values())


def metric_choices() -> list[tuple[str, str]]:
    return [(m.key, m.name) for m in _METRICS.values()]
