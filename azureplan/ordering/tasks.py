"""Ordering's background work (thin: ids in, a service does the work)."""

from celery import shared_task


@shared_task(name="azureplan.tasks.provision_order", acks_late=True)
def provision_order(order_id: int) -> str:
    """Provision an order (activate its Azure plan, create the first Azure subscription). Idempotent."""
    from .services import order_provision

    return order_provision(order_id).status
