"""The Azure plan's periodic work (thin: a service does the work)."""

from celery import shared_task


@shared_task(name="azureplan.tasks.delete_expired_azure_subscriptions", acks_late=True)
def delete_expired_azure_subscriptions() -> int:
    """Periodic (beat, see CELERY_BEAT_SCHEDULE): delete Azure subscriptions cancelled more than 90 days ago."""
    from .services import delete_expired_azure_subscriptions as run

    return run()
