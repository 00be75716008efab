"""Usage ingestion's background work (thin: ids in, billing.usage.services does the work)."""

from celery import shared_task


@shared_task(name="billing.tasks.run_usage_import", acks_late=True)
def run_usage_import(import_id: int) -> str:
    """Run one stored usage import. Idempotent: the import is one transaction that also marks the job succeeded, so a
    redelivered message finds it done, and a run that died left nothing behind to count twice."""
    from .services import usage_import_run

    return usage_import_run(import_id)


@shared_task(name="billing.tasks.match_waiting_usage", acks_late=True)
def match_waiting_usage() -> int:
    """Periodic (beat): move the usage rows kept aside whose Azure subscription now exists into the usage records."""
    from .services import usage_match_all_waiting

    return usage_match_all_waiting()
