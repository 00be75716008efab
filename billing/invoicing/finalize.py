"""The finishing step of a billing run (docs/billing.md "Invoicing: billing runs"): once every chunk is done, in one
transaction under the invoice's row lock, total the draft from its lines (one UPDATE), draw its number
(numbers.next_number: gap-free, given back on rollback), finalize it (core.status.status_move: invoice date = the
day the run finishes, due date net 60), close the month's usage (ClosedUsageMonth), mark the Job succeeded and audit
it. At commit: the PDF (billing.invoicing.pdf.ensure_pdf, when that module is there) and the "invoice ready" e-mail
to the organisation's Global admins and Billing admins (a task: the worker sends it, once). Safe to call any number
of times: a finalized invoice, or a run with a chunk not done, is left as it is."""

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import EmailMessage, mailers
from django.db import connection, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation

from core.actor import Actor
from core.audit import audit_record
from core.models import Job, JobStatus
from core.status import status_move

from ..models import BillingRun, BillingRunChunk, ClosedUsageMonth, Invoice, InvoiceLine, InvoiceStatus
from .numbers import next_number

NET_DAYS = 60  # due date: invoice date + 60 days (domain.md §3.6.3)

logger = logging.getLogger(__name__)

_TOTALS_SQL = f"""
UPDATE {Invoice._meta.db_table} i
SET pricing_total = s.pricing, total_charges = s.charges, total_credits = s.credits, subtotal = s.subtotal,
    tax_total = s.tax, total_amount = s.subtotal + s.tax, line_count = s.lines
FROM (SELECT coalesce(sum(pricing_pre_tax_total), 0) AS pricing,
             coalesce(sum(subtotal) FILTER (WHERE subtotal > 0), 0) AS charges,
             coalesce(sum(subtotal) FILTER (WHERE subtotal < 0), 0) AS credits,
             coalesce(sum(subtotal), 0) AS subtotal, coalesce(sum(tax_total), 0) AS tax, count(*) AS lines
      FROM {InvoiceLine._meta.db_table} WHERE invoice_id = %(invoice)s) s
WHERE i.id = %(invoice)s AND i.status = 'draft'
"""  # noqa: S608 (table names from models)


# BILLING_TAX_RATE (percent, 0 by default): each line's tax, rounded half up to the cent, written while the invoice
# is a draft; the invoice's tax is the sum of its lines' (so the recon file's TaxTotal column adds up to it).
_TAX_SQL = f"""
UPDATE {InvoiceLine._meta.db_table}
SET tax_total = round(subtotal * %(rate)s / 100, 2), total = subtotal + round(subtotal * %(rate)s / 100, 2)
WHERE invoice_id = %(invoice)s
"""  # noqa: S608 (table names from models)


def run_actor(run) -> Actor:
    """Who the finishing step acts as in the audit log: the person (or the schedule) that started the run."""
    return Actor(organisation_id=run.organisation_id, user_id=run.created_by_id,
                 label=run.created_by_label or "billing run")


def invoice_url(invoice) -> str:
    """The invoice's page: billing:invoice_detail when the invoice pages are installed, else its path."""
    try:
        return reverse("billing:invoice_detail", args=[invoice.public_id])
    except NoReverseMatch:
        return f"/billing/invoices/{invoice.public_id}/"


def billing_run_finish(run_id) -> Invoice | None:
    """Finalize the run's invoice when every chunk is done (module docstring); the invoice, or None while a chunk is
    not done."""
    with transaction.atomic():
        run = BillingRun.objects.select_for_update().get(pk=run_id)
        invoice = Invoice.objects.select_for_update().get(pk=run.invoice_id)
        if invoice.status != InvoiceStatus.DRAFT:
            _job_done(run, invoice)
            return invoice
        if BillingRunChunk.objects.filter(run=run, done_at__isnull=True).exists():
            return None
        with connection.cursor() as cursor:
            if settings.BILLING_TAX_RATE:
                cursor.execute(_TAX_SQL, {"invoice": invoice.pk, "rate": settings.BILLING_TAX_RATE})
            cursor.execute(_TOTALS_SQL, {"invoice": invoice.pk})
        invoice.refresh_from_db()
        now = timezone.now()
        invoice.number = next_number(run.organisation_id)
        invoice.invoice_date = now.date()
        invoice.due_date = invoice.invoice_date + dt.timedelta(days=NET_DAYS)
        invoice.finalized_at = now
        status_move(invoice, InvoiceStatus.FINALIZED, fields=("number", "invoice_date", "due_date", "finalized_at"))
        ClosedUsageMonth.objects.bulk_create(
            [ClosedUsageMonth(organisation_id=run.organisation_id, month=run.month, closed_at=now)],
            ignore_conflicts=True)
        _job_done(run, invoice)
        audit_record(actor=run_actor(run), action="billing.invoice_finalized", obj=invoice,
                     data={"month": f"{run.month:%Y-%m}", "number": invoice.number, "run": str(run.public_id),
                           "lines": invoice.line_count, "total": str(invoice.total_amount),
                           "currency": invoice.currency})
        invoice_id = invoice.pk
        transaction.on_commit(lambda: _after_commit(invoice_id))
    return invoice


def _job_done(run, invoice):
    lines = BillingRunChunk.objects.filter(run=run).values_list("lines_written", flat=True)
    written = sum(lines)
    BillingRun.objects.filter(pk=run.pk).update(lines_written=written)
    job = Job.objects.select_for_update().get(pk=run.job_id)
    if job.status == JobStatus.SUCCEEDED:
        return
    if job.status != JobStatus.RUNNING:
        job.started_at = job.started_at or timezone.now()
        status_move(job, JobStatus.RUNNING, fields=("started_at",))
    job.done = job.total
    job.finished_at = timezone.now()
    job.result = {**(job.result or {}), "phase": "finalized", "linesWritten": written, "chunksDone": len(lines),
                  "invoice": str(invoice.public_id), "invoiceNumber": invoice.number}
    status_move(job, JobStatus.SUCCEEDED, fields=("done", "finished_at", "result"))


def _after_commit(invoice_id):
    """The PDF and the e-mail; a failure here is logged (the invoice stands; the e-mail is sent once)."""
    try:
        from . import pdf
    except ImportError:
        pdf = None
    if pdf is not None and hasattr(pdf, "ensure_pdf"):
        try:
            pdf.ensure_pdf(Invoice.objects.get(pk=invoice_id))
        except Exception:
            logger.exception("The PDF of invoice %s could not be rendered (it is rendered when first asked for).",
                             invoice_id)
    from .tasks import send_invoice_ready_email

    try:
        send_invoice_ready_email.delay(invoice_id)
    except Exception:
        logger.exception("The invoice ready e-mail of invoice %s could not be sent.", invoice_id)


def _message(user, invoice, organisation, url):
    from django.template.loader import render_to_string

    language = user.language if user.language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
    with translation.override(language):
        context = {"user": user, "invoice": invoice, "organisation": organisation, "url": url}
        subject = render_to_string("billing/email/invoice_ready_subject.txt", context).strip()
        body = render_to_string("billing/email/invoice_ready_body.txt", context)
    return EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])


def send_invoice_ready(invoice_id) -> int:
    """E-mail the organisation's active Global admins and Billing admins that the invoice is ready, once (the
    invoice's emailed_at, set in the same transaction under its lock). The messages sent."""
    from ..rating.budgets import alert_recipients

    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().select_related("organisation").get(pk=invoice_id)
        if invoice.emailed_at is not None or invoice.status == InvoiceStatus.DRAFT:
            return 0
        recipients = alert_recipients(invoice.organisation_id)
        url = settings.PORTAL_BASE_URL.rstrip("/") + invoice_url(invoice)
        if recipients:
            mailers.default.send_messages([_message(user, invoice, invoice.organisation, url)
                                           for user in recipients])
        invoice.emailed_at = timezone.now()
        invoice.save(update_fields=["emailed_at"])
    return len(recipients)
