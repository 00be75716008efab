from celery import shared_task


@shared_task(acks_late=True)
def provision_order(order_id: int) -> str:
    """Provision an order (activate its Azure plan, create the first Azure subscription). Idempotent."""
    from .services import order_provision

    return order_provision(order_id).status


@shared_task(acks_late=True)
def delete_expired_azure_subscriptions() -> int:
    """Daily: delete Azure subscriptions cancelled more than 90 days ago."""
    from .services import delete_expired_azure_subscriptions as run

    return run()
