"""Billing runs (docs/billing.md "Invoicing: billing runs"): one organisation's closed month becomes its invoice.

- `billing_run_start` checks the month (closed, no unrated usage, the exchange rate of the billing currency
  imported, not invoiced yet), then in one transaction creates the run's Job, the draft Invoice and the chunks (the
  month's customers by id ranges, CHUNK_CUSTOMERS each, one INSERT ... SELECT), audits it and, at commit, enqueues
  one task per chunk (billing.tasks.run_billing_chunk).
- `run_chunk` writes one chunk's lines (lines_sql.line_insert over its customer range) and marks the chunk done in
  the same transaction: a chunk is written entirely or not at all, and a repeated task (a redelivered message after a
  worker was killed, a resume) finds it done, or inserts nothing (the line's unique key, ON CONFLICT DO NOTHING) and
  leaves it as it was. The chunk that completes the set calls billing.invoicing.finalize.billing_run_finish.
- `billing_run_resume` enqueues again what a run has not done (its chunks not done, or the finishing step); the beat
  task billing.tasks.resume_billing_runs calls it for every unfinished run, billing.tasks.start_monthly_billing_runs
  starts last month's runs on the 1st.
"""

import datetime as dt
import logging

from django.db import connection, transaction
from django.db.models import Max, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organisation
from accounts.permissions import Perm, require
from core.audit import audit_record
from core.errors import NotFound
from core.jobs import job_create
from core.models import Job, JobStatus
from core.status import status_move

from ..errors import (
    BillingMonthOpen,
    BillingRunInProgress,
    ExchangeRateMissing,
    MonthAlreadyInvoiced,
    NothingToBill,
    UnratedUsageRemains,
)
from ..models import BillingRun, BillingRunChunk, ExchangeRate, Invoice, InvoiceStatus, UsageRecord
from ..models.invoicing import DocumentType
from ..pricing.rules import month_parse
from ..rating.selectors import unrated_usage
from ..usage.partitions import existing_partitions, month_start, next_month, partition_name
from .lines_sql import line_insert

JOB_KIND = "billing_run"
CHUNK_CUSTOMERS = 200
PRICING_CURRENCY = "USD"
UNFINISHED = (JobStatus.PENDING, JobStatus.RUNNING, JobStatus.FAILED)

logger = logging.getLogger(__name__)


def month_end(m0: dt.date) -> dt.date:
    return next_month(m0) - dt.timedelta(days=1)


def closed_month(month, *, today=None) -> dt.date:
    """The first day of `month` (a date or YYYY-MM / YYYYMM) when it is closed (before the current UTC month), else
    BillingMonthOpen naming the field."""
    m0 = month_start(month) if isinstance(month, dt.date) else month_parse(month)
    today = today or timezone.now().date()
    if m0 >= month_start(today):
        raise BillingMonthOpen(
            _("%(month)s is not closed yet: a billing run bills a month before the current one (%(current)s).")
            % {"month": f"{m0:%Y-%m}", "current": f"{today:%Y-%m}"}, field="month")
    return m0


# ---------------------------------------------------------------- the checks before a run


def _month_usage_exists(organisation_id, m0) -> bool:
    return UsageRecord.objects.filter(organisation_id=organisation_id, usage_date__gte=m0,
                                      usage_date__lt=next_month(m0)).exists()


def month_to_bill(organisation_id, *, today=None) -> dt.date | None:
    """The latest closed month the organisation may still bill: it has usage and no invoice (neither issued nor being
    written by a run; a void one does not count). None when every closed month with usage is invoiced. The runs page
    pre-fills it, so its first click does not meet "already invoiced". The months are those with a usage partition,
    newest first: one existence check each until one has the organisation's usage."""
    current = month_start(today or timezone.now().date())
    invoiced = set(Invoice.objects.filter(organisation_id=organisation_id, document_type=DocumentType.INVOICE)
                   .exclude(status=InvoiceStatus.VOID).values_list("period_start", flat=True))
    prefix = partition_name(current)[:-6]
    months = sorted({dt.date(int(name[-6:-2]), int(name[-2:]), 1) for name in existing_partitions()
                     if name.startswith(prefix) and name[len(prefix):].isdigit()}, reverse=True)
    for month in months:
        if month < current and month not in invoiced and _month_usage_exists(organisation_id, month):
            return month
    return None


def check_billable(organisation: Organisation, m0: dt.date):
    """Refuse a month that cannot be billed, saying why (nothing written): an issued invoice already (409/990331), a
    run in progress (409/990332), no usage (409/990333), the billing currency's exchange rate missing (409/990310,
    naming currency and month), usage left unrated (409/990330, naming the meters)."""
    issued = (Invoice.objects.filter(organisation=organisation, period_start=m0, document_type=DocumentType.INVOICE)
              .exclude(status=InvoiceStatus.VOID).first())
    if issued is not None and issued.status != InvoiceStatus.DRAFT:
        raise MonthAlreadyInvoiced(
            _("%(month)s is already invoiced (%(number)s): a second run of the same month writes nothing.")
            % {"month": f"{m0:%Y-%m}", "number": issued.number},
            parameters={"month": f"{m0:%Y-%m}", "invoiceNumber": issued.number})
    if issued is not None:
        run = BillingRun.objects.filter(invoice=issued).first()
        raise BillingRunInProgress(
            _("A billing run of %(month)s is not finished yet: it goes on by itself (or resume it).")
            % {"month": f"{m0:%Y-%m}"},
            parameters={"month": f"{m0:%Y-%m}", "billingRunId": str(run.public_id) if run else ""})
    if not _month_usage_exists(organisation.pk, m0):
        raise NothingToBill(_("%(month)s has no usage to invoice: nothing was started.") % {"month": f"{m0:%Y-%m}"},
                            parameters={"month": f"{m0:%Y-%m}"})
    currency = organisation.billing_currency
    if currency != PRICING_CURRENCY and not ExchangeRate.objects.filter(currency=currency, month=m0).exists():
        raise ExchangeRateMissing(
            _("No exchange rate for %(currency)s in %(month)s: import the exchange rates of that month, then start "
              "the billing run again. Nothing was billed.") % {"currency": currency, "month": f"{m0:%Y-%m}"},
            parameters={"currency": currency, "month": f"{m0:%Y-%m}"})
    unrated = unrated_usage(organisation_id=organisation.pk, month=m0)
    if unrated:
        names = ", ".join(f"{row['meter_name'] or row['meter_id']} ({row['product_id']}/{row['sku_id']})"
                          for row in unrated[:10])
        more = len(unrated) - 10
        raise UnratedUsageRemains(
            _("%(month)s still has unrated usage on %(count)s meter(s): %(meters)s%(more)s. Import the prices (or "
              "rate the usage) of those meters, then start the billing run again. Nothing was billed.")
            % {"month": f"{m0:%Y-%m}", "count": len(unrated), "meters": names,
               "more": _(" and %(n)s more") % {"n": more} if more > 0 else ""},
            parameters={"month": f"{m0:%Y-%m}", "meters": str(len(unrated))},
            data=[{"productId": row["product_id"], "skuId": row["sku_id"], "meterId": row["meter_id"],
                   "meterName": row["meter_name"], "reason": row["reason"] or "not_rated", "rows": row["rows"],
                   "quantity": str(row["quantity"])} for row in unrated])


# ---------------------------------------------------------------- start


_CHUNKS_SQL = f"""
INSERT INTO {BillingRunChunk._meta.db_table} (run_id, number, first_customer_id, last_customer_id, lines_written)
SELECT %(run)s, n + 1, min(customer_id), max(customer_id), 0
FROM (SELECT customer_id, (row_number() OVER (ORDER BY customer_id) - 1) / %(size)s AS n
      FROM (SELECT DISTINCT u.customer_id FROM {UsageRecord._meta.db_table} u
            WHERE u.organisation_id = %(org)s AND u.usage_date >= %(m0)s AND u.usage_date < %(m1)s
              AND u.rated_at IS NOT NULL AND u.not_rated_reason = '') c) numbered
GROUP BY n ORDER BY n
"""  # noqa: S608 (table names from models)


def billing_run_start(*, actor, organisation_id, month, trigger="manual", enqueue=True) -> BillingRun:
    """Start billing `organisation_id`'s closed `month` (module docstring). Needs Perm.RUN_BILLING and the actor's
    own organisation (another answers 404). Refusals: BillingMonthOpen (400), then check_billable's 409s. With
    `enqueue` False nothing is sent to the workers: the caller runs the chunks itself (`billing_run_execute`)."""
    require(actor, Perm.RUN_BILLING)
    if int(organisation_id) != actor.organisation_id:
        raise NotFound(parameters={"organisationId": str(organisation_id)})
    m0 = closed_month(month)
    with transaction.atomic():
        # Two starts of the same organisation wait for each other here (NO KEY: rows referencing it are not held).
        organisation = (Organisation.objects.select_for_update(no_key=True).select_related("country")
                        .get(pk=organisation_id))
        check_billable(organisation, m0)
        now = timezone.now()
        job = job_create(organisation_id=organisation.pk, kind=JOB_KIND, created_by_id=actor.user_id,
                         params={"month": f"{m0:%Y-%m}", "trigger": trigger})
        invoice = Invoice.objects.create(organisation=organisation, period_start=m0, period_end=month_end(m0),
                                         currency=organisation.billing_currency, pricing_currency=PRICING_CURRENCY,
                                         created_at=now, created_by_id=actor.user_id,
                                         created_by_label=actor.label[:255])
        run = BillingRun.objects.create(organisation=organisation, month=m0, job=job, trigger=trigger,
                                        invoice=invoice, created_at=now, created_by_id=actor.user_id,
                                        created_by_label=actor.label[:255])
        with connection.cursor() as cursor:
            cursor.execute(_CHUNKS_SQL, {"run": run.pk, "size": CHUNK_CUSTOMERS, "org": organisation.pk, "m0": m0,
                                         "m1": next_month(m0)})
            chunks = cursor.rowcount
        if not chunks:  # only usage that is not billed here (legacy rows before a transition)
            raise NothingToBill(_("%(month)s has no rated usage to invoice: nothing was started.")
                                % {"month": f"{m0:%Y-%m}"}, parameters={"month": f"{m0:%Y-%m}"})
        Job.objects.filter(pk=job.pk).update(total=chunks)
        audit_record(actor=actor, action="billing.run_started", obj=run,
                     data={"month": f"{m0:%Y-%m}", "trigger": trigger, "chunks": chunks,
                           "invoice": str(invoice.public_id)})
        if enqueue:
            transaction.on_commit(lambda: enqueue_run(run.pk))
    return run


def enqueue_run(run_id) -> int:
    """Send a task for every chunk of the run not done yet, or the finishing step when none is left; the count sent."""
    from .tasks import finish_billing_run, run_billing_chunk

    pending = list(BillingRunChunk.objects.filter(run_id=run_id, done_at__isnull=True).order_by("number")
                   .values_list("pk", flat=True))
    for chunk_id in pending:
        run_billing_chunk.delay(chunk_id)
    if not pending:
        finish_billing_run.delay(run_id)
    return len(pending)


# ---------------------------------------------------------------- one chunk


def _mark_running(job_id):
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job_id)
        if job.status in (JobStatus.PENDING, JobStatus.FAILED):
            job.started_at = job.started_at or timezone.now()
            job.attempts += 1
            status_move(job, JobStatus.RUNNING, fields=("started_at", "attempts"))


def record_progress(run_id) -> tuple[int, int]:
    """Count the run's done chunks and lines into its Job and row (under the job's lock, from committed rows, so
    tasks finishing together never write a smaller count last). Returns (chunks done, chunks)."""
    with transaction.atomic():
        run = BillingRun.objects.select_related("job").get(pk=run_id)
        job = Job.objects.select_for_update().get(pk=run.job_id)
        chunks = BillingRunChunk.objects.filter(run_id=run_id)
        done = chunks.filter(done_at__isnull=False).count()
        total = chunks.count()
        lines = chunks.aggregate(n=Sum("lines_written"))["n"] or 0
        BillingRun.objects.filter(pk=run_id).update(lines_written=lines)
        if job.status == JobStatus.RUNNING:
            job.done = min(done, job.total or done)
            job.result = {**(job.result or {}), "phase": "lines", "linesWritten": lines, "chunksDone": done}
            status_move(job, JobStatus.RUNNING, fields=("done", "result"))
    return done, total


def run_chunk(chunk_id) -> int:
    """Write one chunk's invoice lines (module docstring); the lines written (0 when it was done already). The chunk
    that completes the run finishes it."""
    chunk = BillingRunChunk.objects.select_related("run__invoice").filter(pk=chunk_id).first()
    if chunk is None:  # the run's start was rolled back
        return 0
    run = chunk.run
    written = 0
    if chunk.done_at is None and run.invoice is not None and run.invoice.status == InvoiceStatus.DRAFT:
        _mark_running(run.job_id)
        m0 = run.month
        params = {"invoice": run.invoice_id, "org": run.organisation_id, "m0": m0, "m1": next_month(m0),
                  "last": month_end(m0), "first_customer": chunk.first_customer_id,
                  "last_customer": chunk.last_customer_id}
        with transaction.atomic():
            with connection.cursor() as cursor:
                # A chunk's aggregate (some 300,000 rows) is costed above jit_above_cost, and compiling it took
                # longer than running it; every chunk paid that again. Its groups sort in memory.
                cursor.execute("SET LOCAL jit = off; SET LOCAL work_mem = '64MB'")
                cursor.execute(line_insert(customer_range=True), params)
                written = cursor.rowcount
            marked = (BillingRunChunk.objects.filter(pk=chunk.pk, done_at__isnull=True)
                      .update(done_at=timezone.now(), lines_written=written))
            if not marked:  # another attempt of this chunk committed first: its lines stand, ours are not written
                transaction.set_rollback(True)
                written = 0
    done, total = record_progress(run.pk)
    if done == total:
        from .finalize import billing_run_finish

        billing_run_finish(run.pk)
    return written


def billing_run_execute(run) -> BillingRun:
    """Run every chunk of `run` in this process, one after the other, then finish it (the demo, the bench, a
    management command): the same code as the workers run."""
    for chunk_id in BillingRunChunk.objects.filter(run=run, done_at__isnull=True).order_by("number").values_list(
            "pk", flat=True):
        run_chunk(chunk_id)
    from .finalize import billing_run_finish

    billing_run_finish(run.pk)
    return BillingRun.objects.select_related("job", "invoice").get(pk=run.pk)


# ---------------------------------------------------------------- resume and the 1st of the month


STALLED_AFTER = dt.timedelta(minutes=10)


def unfinished_runs(*, stalled_after=None, now=None):
    """Runs not finished; with `stalled_after`, only those that failed or wrote no chunk for that long (what the beat
    resumes: a run whose tasks are still queued is left to them)."""
    runs = BillingRun.objects.filter(job__status__in=UNFINISHED)
    if stalled_after is None:
        return runs
    cutoff = (now or timezone.now()) - stalled_after
    return (runs.annotate(last_done=Max("chunks__done_at"))
            .filter(Q(job__status=JobStatus.FAILED)
                    | Q(created_at__lt=cutoff) & (Q(last_done__isnull=True) | Q(last_done__lt=cutoff))))


def billing_run_resume(run=None, *, actor=None, stalled_after=None) -> int:
    """Enqueue again what `run` (or, without one, every unfinished run) has not done; the runs resumed. With an
    actor (a person resuming from the page or the API) the run must be the actor's and Perm.RUN_BILLING is needed."""
    if actor is not None:
        require(actor, Perm.RUN_BILLING)
        if run is not None and run.organisation_id != actor.organisation_id:
            raise NotFound()
    runs = [run] if run is not None else list(unfinished_runs(stalled_after=stalled_after))
    resumed = 0
    for one in runs:
        status = Job.objects.filter(pk=one.job_id).values_list("status", flat=True).first()
        if status in UNFINISHED:
            enqueue_run(one.pk)
            resumed += 1
            if actor is not None:
                audit_record(actor=actor, action="billing.run_resumed", obj=one,
                             data={"month": f"{one.month:%Y-%m}"})
    return resumed


def organisations_to_bill(m0: dt.date) -> list[int]:
    """The organisations with usage in `m0` and no invoice of it yet (issued or being written)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT organisation_id FROM {UsageRecord._meta.db_table} "  # noqa: S608 (model table)
            "WHERE usage_date >= %s AND usage_date < %s ORDER BY 1", [m0, next_month(m0)])
        with_usage = [row[0] for row in cursor.fetchall()]
    invoiced = set(Invoice.objects.filter(period_start=m0, document_type=DocumentType.INVOICE,
                                          organisation_id__in=with_usage).exclude(status=InvoiceStatus.VOID)
                   .values_list("organisation_id", flat=True))
    return [org for org in with_usage if org not in invoiced]


def start_monthly_runs(*, today=None) -> dict:
    """The beat task of the 1st: start the run of the month before for every organisation with usage in it and no
    invoice yet. A month that cannot be billed (unrated usage, a missing rate) is logged and skipped: the run is
    started by hand once fixed. Returns {"month", "started", "refused": {organisation id: error name}}."""
    from accounts.actors import system_actor
    from core.errors import PartnerCenterError

    today = today or timezone.now().date()
    m0 = month_start(month_start(today) - dt.timedelta(days=1))
    started, refused = [], {}
    for organisation in Organisation.objects.filter(pk__in=organisations_to_bill(m0)).order_by("pk"):
        actor = system_actor(organisation, label="monthly billing run")
        try:
            run = billing_run_start(actor=actor, organisation_id=organisation.pk, month=m0, trigger="schedule")
        except PartnerCenterError as exc:
            logger.warning("Billing run of %s for organisation %s not started: %s", f"{m0:%Y-%m}", organisation.pk,
                           exc.description)
            refused[organisation.pk] = exc.error_name
        else:
            started.append(str(run.public_id))
    return {"month": f"{m0:%Y-%m}", "started": started, "refused": refused}


def fail_run_of_chunk(chunk_id, exc):
    """A chunk's task raised: its run's job is failed with the error (the page shows it; a resume runs it again)."""
    run = BillingRun.objects.filter(chunks__pk=chunk_id).first()
    if run is None:
        return
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=run.job_id)
        if job.status in (JobStatus.PENDING, JobStatus.RUNNING):
            job.error = str(exc)[:4000]
            job.finished_at = timezone.now()
            status_move(job, JobStatus.FAILED, fields=("error", "finished_at"))
