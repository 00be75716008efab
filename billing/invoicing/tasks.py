"""Billing runs' background work (thin: ids in, billing.invoicing.runs and finalize do the work). Late acks: a
worker killed mid-chunk leaves its message to be delivered again, and the chunk, written in one transaction with
its done mark, is then written once (runs.run_chunk)."""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(name="billing.tasks.run_billing_chunk", acks_late=True)
def run_billing_chunk(chunk_id: int) -> int:
    """Write one chunk's invoice lines; the chunk that completes the run finalizes its invoice. An error marks the
    run's job failed (its page says so) and the periodic resume tries again."""
    from .runs import fail_run_of_chunk, run_chunk

    try:
        return run_chunk(chunk_id)
    except Exception as exc:
        fail_run_of_chunk(chunk_id, exc)
        raise


@shared_task(name="billing.tasks.finish_billing_run", acks_late=True)
def finish_billing_run(run_id: int) -> str:
    from .finalize import billing_run_finish

    invoice = billing_run_finish(run_id)
    return invoice.number or "" if invoice is not None else ""


@shared_task(name="billing.tasks.start_monthly_billing_runs", acks_late=True)
def start_monthly_billing_runs() -> dict:
    """Periodic (beat, the 1st of each month, `periodic` queue): start last month's run of every organisation with
    usage in it and no invoice yet."""
    from .runs import start_monthly_runs

    return start_monthly_runs()


@shared_task(name="billing.tasks.resume_billing_runs", acks_late=True)
def resume_billing_runs() -> int:
    """Periodic (beat): enqueue again the chunks (or the finishing step) of runs that failed or stalled."""
    from .runs import STALLED_AFTER, billing_run_resume

    return billing_run_resume(stalled_after=STALLED_AFTER)


@shared_task(name="billing.tasks.send_invoice_ready_email", acks_late=True)
def send_invoice_ready_email(invoice_id: int) -> int:
    """E-mail the organisation's Global admins and Billing admins that a finalized invoice is ready (once)."""
    from .finalize import send_invoice_ready

    return send_invoice_ready(invoice_id)
