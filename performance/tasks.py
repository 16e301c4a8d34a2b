"""Celery discovers `performance.tasks`: the tasks live with their part of the app and are
named `performance.tasks.<name>` (routed to the `reports` queue)."""

from performance.compute.tasks import *  # noqa: F403
from performance.review.tasks import *  # noqa: F403
