"""The project's Celery task class (partnercenter.celery: `task_cls`)."""

from celery.contrib.django.task import DjangoTask

from core.db import client_bound


class PortalTask(DjangoTask):
    """Django's task class (delay_on_commit and friends). A task body runs with Django's client-side binding even
    when an API request runs it eagerly (CELERY_TASK_ALWAYS_EAGER, inside core.db.server_bound): task SQL is
    written for it (imports and rating build TEMP tables and partitions). In a worker this changes nothing."""

    def __call__(self, *args, **kwargs):
        with client_bound():
            return super().__call__(*args, **kwargs)
