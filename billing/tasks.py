"""Celery finds billing's tasks here (autodiscovery imports `<app>.tasks`); each lives in its sub-package and is named
`billing.tasks.<name>`, so queued messages and the beat schedule do not depend on where the code sits."""

from .invoicing.tasks import (
    finish_billing_run,
    resume_billing_runs,
    run_billing_chunk,
    send_invoice_ready_email,
    start_monthly_billing_runs,
)
from .rating.tasks_budget import send_budget_alerts
from .usage.tasks import match_waiting_usage, run_usage_import

__all__ = ["finish_billing_run", "match_waiting_usage", "resume_billing_runs", "run_billing_chunk", "run_usage_import",
           "send_budget_alerts", "send_invoice_ready_email", "start_monthly_billing_runs"]
