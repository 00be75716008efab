"""The transition's background work (thin: ids in, azureplan.legacy.transition does the work)."""

from celery import shared_task


@shared_task(name="azureplan.tasks.run_upgrade", acks_late=True)
def run_upgrade(upgrade_id: int) -> str:
    """Run one customer's transition from legacy Azure to the Azure plan. Idempotent and resumable: a killed
    worker's message comes back (late ack, rejected on worker loss) and the run continues where it stopped."""
    from .transition import upgrade_run

    upgrade = upgrade_run(upgrade_id)
    return upgrade.status if upgrade else "missing"


@shared_task(name="azureplan.tasks.resume_stalled_upgrades", acks_late=True)
def resume_stalled_upgrades() -> int:
    """Every minute (beat): send again the upgrades whose worker was lost (transition.resume_stalled_upgrades)."""
    from .transition import resume_stalled_upgrades as run

    return run()
