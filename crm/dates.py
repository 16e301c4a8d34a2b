"""Days in the company's display time zone (settings.TIME_ZONE)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def start_of_day(day: dt.date) -> dt.datetime:
    """Midnight at the start of `day` in the display time zone, as an aware datetime: ranges on
    a timestamp column then use its index (a `__date` lookup would not)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month `months` after (or before) `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)
