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
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    created = []
    for name, (task, seconds, queue) in settings.CRM_PERIODIC_TASKS.items():
        if PeriodicTask.objects.filter(name=name).exists():
            continue
        interval, _ = IntervalSchedule.objects.get_or_create(
            every=seconds, period=IntervalSchedule.SECONDS
        )
        PeriodicTask.objects.create(
            name=name, task=task, interval=interval, queue=queue, kwargs=json.dumps({})
        )
        created.append(name)
    return created
