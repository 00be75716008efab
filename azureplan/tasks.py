"""Celery finds azureplan's tasks here (autodiscovery imports `<app>.tasks`); each lives in its sub-package and
keeps the name it always had (`azureplan.tasks.<name>`), so queued messages and the beat schedule still match."""

from .legacy.tasks import resume_stalled_upgrades, run_upgrade
from .ordering.tasks import provision_order
from .plans.tasks import delete_expired_azure_subscriptions

__all__ = ["delete_expired_azure_subscriptions", "provision_order", "resume_stalled_upgrades", "run_upgrade"]
