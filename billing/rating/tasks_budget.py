"""The daily budget alert run (thin: billing.rating.budgets does the work)."""

from celery import shared_task


@shared_task(name="billing.tasks.send_budget_alerts", acks_late=True)
def send_budget_alerts() -> dict:
    """Periodic (beat, see CELERY_BEAT_SCHEDULE, `periodic` queue): e-mail the budget alerts due today."""
    from .budgets import budget_alerts_send

    return budget_alerts_send()
