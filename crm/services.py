"""Writes of the shared core."""

from __future__ import annotations

import json

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from crm.models import Heartbeat


def heartbeat_record(*, component: str, detail: str = "") -> Heartbeat:
    heartbeat, _ = Heartbeat.objects.update_or_create(
        component=component, defaults={"seen_at": timezone.now(), "detail": detail[:200]}
    )
    return heartbeat


@transaction.atomic
def periodic_tasks_ensure() -> list[str]:
    """Create the default periodic tasks (settings.CRM_PERIODIC_TASKS) that do not exist yet.

    Existing entries are left alone: once created, the schedule belongs to the admins, who change
    or disable it in the admin (django-celery-beat); a deploy must not undo their change.
    """
    from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

    created = []
    for name, (task, when, queue) in settings.CRM_PERIODIC_TASKS.items():
        if PeriodicTask.objects.filter(name=name).exists():
            continue
        schedule: dict = {}
        if isinstance(when, int):  # every N seconds
            schedule["interval"], _ = IntervalSchedule.objects.get_or_create(
                every=when, period=IntervalSchedule.SECONDS
            )
        else:  # "minute hour day-of-month month day-of-week", in the company's time zone
            minute, hour, day_of_month, month_of_year, day_of_week = when.split()
            schedule["crontab"], _ = CrontabSchedule.objects.get_or_create(
                minute=minute,
                hour=hour,
                day_of_month=day_of_month,
                month_of_year=month_of_year,
                day_of_week=day_of_week,
                timezone=settings.TIME_ZONE,
            )
        PeriodicTask.objects.create(
            name=name, task=task, queue=queue, kwargs=json.dumps({}), **schedule
        )
        created.append(name)
    return created
