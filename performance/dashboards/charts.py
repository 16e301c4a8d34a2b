"""Chart.js specs for static/js/performance-dashboards.js, handed over with json_script. Numbers
travel as strings of their exact Decimal digits (never floats); None is a gap."""

from __future__ import annotations

from decimal import Decimal

from django.utils.formats import date_format


def number(value: Decimal | int | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return f"{value:f}"
    return str(value)


def month_labels(months) -> list[str]:
    return [date_format(m.start, "YEAR_MONTH_FORMAT") for m in months]


def dataset(label: str, values, *, kind: str | None = None, axis: str | None = None) -> dict:
    spec = {"label": str(label), "data": [number(v) for v in values]}
    if kind:
        spec["type"] = kind
    if axis:
        spec["yAxisID"] = axis
    return spec


def chart(kind: str, labels, *datasets: dict, horizontal: bool = False, counts: bool = False):
    """A chart spec; `counts` keeps the value axis on whole numbers."""
    spec = {"type": kind, "labels": [str(label) for label in labels], "datasets": list(datasets)}
    if horizontal:
        spec["indexAxis"] = "y"
    if counts:
        spec["counts"] = True
    return spec
