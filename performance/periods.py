"""Evaluation periods as values: a calendar month (default), quarter or year in the company's
display time zone, with its key ("2026-10", "2026-Q4", "2026"), bounds and the period before it
(P' of ../shared/KPIS.md). Metrics take a `Period`; the `EvaluationPeriod` model stores the
state of one (open / published)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.dates import add_months

MONTH, QUARTER, YEAR = "month", "quarter", "year"
KIND_CHOICES = [(MONTH, _("Month")), (QUARTER, _("Quarter")), (YEAR, _("Year"))]

_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER_RE = re.compile(r"^(\d{4})-Q([1-4])$", re.IGNORECASE)
_YEAR_RE = re.compile(r"^(\d{4})$")


@dataclass(frozen=True, order=True)
class Period:
    """[start, end) as dates; `start_at` / `end_at` are the aware bounds in TIME_ZONE."""

    start: dt.date
    end: dt.date
    kind: str = MONTH

    @classmethod
    def parse(cls, key: str) -> Period:
        """ "2026-10" (month), "2026-Q4" (quarter) or "2026" (year); ValueError otherwise."""
        key = (key or "").strip()
        if m := _MONTH_RE.match(key):
            year, month = int(m[1]), int(m[2])
            if not 1 <= month <= 12:
                raise ValueError(f"no month {month} in {key!r}")
            return cls.month(year, month)
        if m := _QUARTER_RE.match(key):
            start = dt.date(int(m[1]), 3 * (int(m[2]) - 1) + 1, 1)
            return cls(start, add_months(start, 3), QUARTER)
        if m := _YEAR_RE.match(key):
            start = dt.date(int(m[1]), 1, 1)
            return cls(start, add_months(start, 12), YEAR)
        raise ValueError(f"not a period: {key!r} (use YYYY-MM, YYYY-Qn or YYYY)")

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        start = dt.date(year, month, 1)
        return cls(start, add_months(start, 1), MONTH)

    @classmethod
    def containing(cls, day: dt.date | None = None, kind: str = MONTH) -> Period:
        """The period of `kind` containing `day` (today in TIME_ZONE by default)."""
        day = day or timezone.localdate()
        if kind == MONTH:
            return cls.month(day.year, day.month)
        if kind == QUARTER:
            return cls.parse(f"{day.year}-Q{(day.month - 1) // 3 + 1}")
        return cls.parse(str(day.year))

    @property
    def months(self) -> int:
        return {MONTH: 1, QUARTER: 3, YEAR: 12}[self.kind]

    @property
    def key(self) -> str:
        if self.kind == MONTH:
            return f"{self.start:%Y-%m}"
        if self.kind == QUARTER:
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return str(self.start.year)

    def __str__(self) -> str:
        return self.key

    @property
    def last_day(self) -> dt.date:
        return self.end - dt.timedelta(days=1)

    @property
    def start_at(self) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(self.start, dt.time.min))

    @property
    def end_at(self) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(self.end, dt.time.min))

    def previous(self) -> Period:
        """P': the period of the same kind just before this one."""
        start = add_months(self.start, -self.months)
        return Period(start, self.start, self.kind)

    def next(self) -> Period:
        return Period(self.end, add_months(self.end, self.months), self.kind)

    def month_starts(self) -> list[dt.date]:
        """The first day of each month in the period (sales plans are monthly)."""
        return [add_months(self.start, i) for i in range(self.months)]
