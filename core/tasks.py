from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from .models import IdempotencyRecord


@shared_task(acks_late=True)
def purge_idempotency_records(hours: int = 24) -> int:
    """Forget idempotency keys older than `hours` (Partner Center clients retry within minutes)."""
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - timedelta(hours=hours)).delete()
    return deleted
