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


@shared_task(acks_late=True)
def run_upgrade(upgrade_id: int) -> str:
    """Run one customer's transition from legacy Azure to the Azure plan. Idempotent and resumable: a killed
    worker's message comes back (late ack, rejected on worker loss) and the run continues where it stopped."""
    from .legacy_services import upgrade_run

    upgrade = upgrade_run(upgrade_id)
    return upgrade.status if upgrade else "missing"


@shared_task(acks_late=True)
def resume_stalled_upgrades() -> int:
    """Every minute: send again the upgrades whose worker was lost (see legacy_services.resume_stalled_upgrades)."""
    from .legacy_services import resume_stalled_upgrades as run

    return run()
