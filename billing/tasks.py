"""Celery finds billing's tasks here (autodiscovery imports `<app>.tasks`); each lives in its sub-package and is named
`billing.tasks.<name>`."""

from .usage.tasks import match_waiting_usage, run_usage_import

__all__ = ["match_waiting_usage", "run_usage_import"]
