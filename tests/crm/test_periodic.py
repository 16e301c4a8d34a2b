"""Default periodic tasks are created once and then belong to the admins."""

import pytest
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from crm.services import periodic_tasks_ensure

pytestmark = pytest.mark.django_db


def test_default_schedule_exists_after_migrate():
    task = PeriodicTask.objects.get(name="crm: worker heartbeat")
    assert task.task == "crm.tasks.heartbeat"
    assert task.queue == "default"
    assert task.interval.every == 60


def test_an_admins_change_survives_the_next_deploy():
    task = PeriodicTask.objects.get(name="crm: worker heartbeat")
    slower, _ = IntervalSchedule.objects.get_or_create(every=600, period=IntervalSchedule.SECONDS)
    task.interval = slower
    task.enabled = False
    task.save()
    assert periodic_tasks_ensure() == []
    task.refresh_from_db()
    assert (task.interval.every, task.enabled) == (600, False)


def test_a_deleted_default_comes_back():
    PeriodicTask.objects.filter(name="crm: worker heartbeat").delete()
    assert periodic_tasks_ensure() == ["crm: worker heartbeat"]


def test_nightly_tasks_run_at_night_in_the_company_time_zone():
    task = PeriodicTask.objects.get(name="customers: public pool reclaim")
    assert task.task == "customers.tasks.pool_reclaim_task"
    assert (task.crontab.hour, task.crontab.minute) == ("1", "30")
    assert str(task.crontab.timezone) == "Asia/Shanghai"
    assert task.interval is None
