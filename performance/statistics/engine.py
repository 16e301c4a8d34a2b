"""Running a custom statistic: `run(statistic, viewer) -> Result`.

Order matters and is fixed: the module's rows the VIEWER may see (`visible_to(viewer)`, whoever
wrote or shared the statistic), then the conditions (whitelisted, see modules.py), then one
GROUP BY query with the measure, then one query for the owner or team names. Whatever the
number of rows or groups: two queries (one for the month grouping).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from performance.models import CustomStatistic
from performance.statistics.conditions import condition_q
from performance.statistics.modules import (
    MONEY,
    InvalidDefinitionError,
    ModuleSpec,
    get_module,
)

CENT = Decimal("0.01")
_NONE_LABELS = {
    CustomStatistic.Grouping.OWNER: _("No owner"),
    CustomStatistic.Grouping.TEAM: _("No team"),
    CustomStatistic.Grouping.MONTH: _("No date"),
}
MAX_CONDITIONS = 20


@dataclass(frozen=True)
class Row:
    key: Any  # user or team id, "YYYY-MM", or None (no owner / no team)
    label: str
    value: Decimal | int


@dataclass
class Result:
    rows: list[Row]
    total: Decimal | int
    is_money: bool = False
    chart_type: str = "bar"
    measure_label: str = ""
    group_label: str = ""
    currency: str = field(default_factory=lambda: settings.CRM_CURRENCY)

    def chart(self) -> dict:
        """The Chart.js spec; numbers as strings (exact decimals, never floats)."""
        return {
            "type": self.chart_type,
            "labels": [r.label for r in self.rows],
            "datasets": [{"label": self.measure_label, "data": [str(r.value) for r in self.rows]}],
        }


def measure_label(statistic: CustomStatistic, module: ModuleSpec | None = None) -> str:
    if statistic.measure == CustomStatistic.Measure.COUNT:
        return str(_("Count"))
    module = module or get_module(statistic.module)
    spec = module.field(statistic.measure_field)
    return f"{statistic.get_measure_display()} · {spec.label}"


def filtered_queryset(statistic: CustomStatistic, viewer, *, today: dt.date | None = None):
    """The rows behind the statistic: the viewer's scope first, then the conditions."""
    module = get_module(statistic.module)
    qs = module.model._default_manager.visible_to(viewer)
    conditions = statistic.conditions or []
    if not isinstance(conditions, list) or len(conditions) > MAX_CONDITIONS:
        raise InvalidDefinitionError("conditions must be a list of at most 20")
    today = today or timezone.localdate()
    q = Q()
    for condition in conditions:
        q &= condition_q(module, condition, today=today)
    return qs.filter(q)


def run(statistic: CustomStatistic, viewer, *, today: dt.date | None = None) -> Result:
    module = get_module(statistic.module)
    measure = statistic.measure
    if measure not in CustomStatistic.Measure.values:
        raise InvalidDefinitionError(f"unknown measure {measure!r}")
    measure_path = None
    is_money = False
    if measure != CustomStatistic.Measure.COUNT:
        if statistic.measure_field not in module.measures:
            raise InvalidDefinitionError(f"{statistic.measure_field!r} cannot be measured")
        spec = module.field(statistic.measure_field)
        measure_path, is_money = spec.path, spec.type == MONEY

    grouping = statistic.grouping
    if grouping == CustomStatistic.Grouping.OWNER:
        group_expr, chart_type = F(module.owner_path), "bar"
    elif grouping == CustomStatistic.Grouping.TEAM:
        group_expr, chart_type = F(module.team_path), "bar"
    elif grouping == CustomStatistic.Grouping.MONTH:
        tz = timezone.get_current_timezone() if module.date_is_datetime else None
        group_expr = TruncMonth(module.date_path, tzinfo=tz) if tz else TruncMonth(module.date_path)
        chart_type = "line"
    else:
        raise InvalidDefinitionError(f"unknown grouping {grouping!r}")

    qs = filtered_queryset(statistic, viewer, today=today).order_by()
    aggregates: dict[str, Any] = {"n": Count("pk")}
    if measure_path:
        # Averages are sum / count of the non-empty values, in Decimal (an SQL AVG of an
        # integer column comes back as a float).
        aggregates["s"] = Sum(measure_path)
        aggregates["c"] = Count(measure_path)
    raw = list(qs.values(g=group_expr).annotate(**aggregates).order_by())

    labels = _labels(grouping, [r["g"] for r in raw])
    rows, total_n, total_s, total_c = [], 0, Decimal(0), 0
    for r in raw:
        total_n += r["n"]
        s, c = Decimal(r.get("s") or 0), r.get("c") or 0
        total_s += s
        total_c += c
        key = r["g"]
        if key is None:
            label = str(_NONE_LABELS[grouping])
        elif grouping == CustomStatistic.Grouping.MONTH:
            key = (key.date() if isinstance(key, dt.datetime) else key).strftime("%Y-%m")
            label = key
        else:
            label = labels.get(key, str(key))
        rows.append(Row(key=key, label=label, value=_value(measure, r["n"], s, c, is_money)))

    if grouping == CustomStatistic.Grouping.MONTH:
        rows.sort(key=lambda r: (r.key is None, r.key or ""))
    else:
        rows.sort(key=lambda r: (-r.value, r.label))
    total = _value(measure, total_n, total_s, total_c, is_money)
    return Result(
        rows=rows,
        total=total,
        is_money=is_money,
        chart_type=chart_type,
        measure_label=measure_label(statistic, module),
        group_label=str(statistic.get_grouping_display()),
    )


def _value(measure: str, n: int, s: Decimal, c: int, is_money: bool) -> Decimal | int:
    if measure == CustomStatistic.Measure.COUNT:
        return n
    if measure == CustomStatistic.Measure.SUM:
        return s.quantize(CENT, rounding=ROUND_HALF_UP) if is_money else s
    return (s / c).quantize(CENT, rounding=ROUND_HALF_UP) if c else Decimal("0.00")


def _labels(grouping: str, keys: list) -> dict:
    """Names of the owners or teams in the result: one query."""
    from crm.models import Team, User

    ids = [k for k in keys if k is not None]
    if grouping == CustomStatistic.Grouping.OWNER and ids:
        return {
            u.pk: (u.get_full_name() or u.username)
            for u in User.objects.filter(pk__in=ids).only(
                "pk", "username", "first_name", "last_name"
            )
        }
    if grouping == CustomStatistic.Grouping.TEAM and ids:
        return dict(Team.objects.filter(pk__in=ids).values_list("pk", "name"))
    return {}
