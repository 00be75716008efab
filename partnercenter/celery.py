"""The Celery app: Redis broker in production, late acks, periodic tasks declared in settings.

Routing (`route_task`): the tasks of `CELERY_BEAT_SCHEDULE`, and every task they send while they run (the
upgrades `resume_stalled_upgrades` sends again), go to the `periodic` queue; everything else to `celery`.
A worker killed mid-batch puts its messages back at the end of `celery`, behind the rest of the batch; the
resume task and the work it recovers do not wait there.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnercenter.settings")

PERIODIC_QUEUE = "periodic"

app = Celery("partnercenter", task_cls="core.celery_task:PortalTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def periodic_task_names() -> frozenset:
    from django.conf import settings

    return frozenset(entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values())


def route_task(name, args, kwargs, options, task=None, **kw):
    """The queue of a task being sent: `periodic` for beat tasks and for what a running beat task sends."""
    from celery import current_task

    periodic = periodic_task_names()
    if name in periodic or (current_task and current_task.name in periodic):
        return {"queue": PERIODIC_QUEUE}
    return None
