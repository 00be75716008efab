"""Celery finds billing's tasks here (autodiscovery imports `<app>.tasks`); each lives in its sub-package and is named
`billing.tasks.<name>`, so queued messages and the beat schedule do not depend on where the code sits."""

from .rating.tasks_budget import send_budget_alerts

__all__ = ["send_budget_alerts"]
