"""Billing runs as a service (docs/billing.md "Invoicing: billing runs"): a closed month's rated usage becomes one
finalized invoice (chunks of customers, totals from the lines, a gap-free number, net 60, the month closed, the
"invoice ready" e-mail), written once whatever is repeated; and the refusals that say why. Tasks run eagerly here;
tests/test_billing_run_worker.py runs them on a real worker and kills it."""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core import mail
from django.db.models import Sum
from django.test import TestCase
from django.utils import timezone

from accounts.actors import actor_for_user
from accounts.choices import Role
from accounts.tests.factories import UserFactory
from billing.errors import (
    BillingMonthOpen,
    ExchangeRateMissing,
    MonthAlreadyInvoiced,
    NothingToBill,
    UnratedUsageRemains,
)
from billing.invoicing import runs
from billing.invoicing.finalize import billing_run_finish
from billing.models import BillingRun, ClosedUsageMonth, Invoice, InvoiceLine, UsageRecord
from core.errors import NotFound, PermissionDenied

from .factories_billrun import DISK, MONTH, billed_estate

pytestmark = pytest.mark.django_db


def committed(call, *args, **kwargs):
    """Call a service and run what it leaves for the commit (the test's transaction never commits)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return call(*args, **kwargs)


def start(**kwargs):
    return committed(runs.billing_run_start, **kwargs)


def _admin(organisation, role=Role.BILLING_ADMIN, **kwargs):
    return actor_for_user(UserFactory(organisation=organisation, roles=[role.value], **kwargs))


def _usage_total(organisation, month=MONTH):
    return (UsageRecord.objects.filter(organisation_id=organisation.pk, usage_date__gte=month,
                                       usage_date__lt=month.replace(month=month.month + 1))
            .aggregate(t=Sum("billing_pre_tax_total"))["t"])


def test_a_run_bills_the_month_in_chunks_and_finalizes_one_invoice(monkeypatch):
    monkeypatch.setattr(runs, "CHUNK_CUSTOMERS", 2)
    data = billed_estate(customers=5)
    org = data.organisation
    actor = _admin(org, email="ba@a.example.com")
    _admin(org, Role.GLOBAL_ADMIN, email="ga@a.example.com")
    _admin(org, Role.ADMIN_AGENT, email="aa@a.example.com")
    run = start(actor=actor, organisation_id=org.pk, month="2026-10")
    run = BillingRun.objects.select_related("job", "invoice").get(pk=run.pk)
    assert run.chunks.count() == 3 and not run.chunks.filter(done_at__isnull=True).exists()
    assert run.job.status == "succeeded" and run.job.percent == 100 and run.job.total == 3
    invoice = run.invoice
    assert invoice.status == "finalized" and invoice.number == "G000000001"
    today = timezone.now().date()
    assert invoice.invoice_date == today and invoice.due_date == today + dt.timedelta(days=60)
    assert (invoice.period_start, invoice.period_end) == (MONTH, dt.date(2026, 10, 31))
    # One line per customer x plan x meter (VM and disk), totals from the lines = the rated usage to the cent.
    assert invoice.line_count == 10 == InvoiceLine.objects.filter(invoice=invoice).count() == run.lines_written
    assert invoice.total_amount == _usage_total(org) == invoice.subtotal == invoice.total_charges
    assert invoice.total_amount > 0 and invoice.total_credits == 0 and invoice.tax_total == 0
    assert InvoiceLine.objects.filter(invoice=invoice, meter_id=DISK.meter_id).count() == 5
    assert ClosedUsageMonth.objects.filter(organisation_id=org.pk, month=MONTH).exists()
    # The e-mail: Global and Billing admins, once.
    assert sorted(m.to[0] for m in mail.outbox) == ["ba@a.example.com", "ga@a.example.com"]
    assert "G000000001" in mail.outbox[0].subject and f"/billing/invoices/{invoice.public_id}/" in mail.outbox[0].body
    assert invoice.emailed_at is not None
    from core.models import AuditEvent

    actions = set(AuditEvent.objects.filter(organisation_id=org.pk).values_list("action", flat=True))
    assert {"billing.run_started", "billing.invoice_finalized"} <= actions


def test_a_repeat_writes_nothing():
    data = billed_estate(customers=2)
    org = data.organisation
    actor = _admin(org)
    run = start(actor=actor, organisation_id=org.pk, month=MONTH)
    lines = InvoiceLine.objects.count()
    with pytest.raises(MonthAlreadyInvoiced) as refused:
        runs.billing_run_start(actor=actor, organisation_id=org.pk, month=MONTH)
    assert refused.value.status == 409 and refused.value.parameters["invoiceNumber"] == "G000000001"
    # Every chunk task and the finishing step again (a redelivered message, a resume): nothing written, no number.
    for chunk in run.chunks.all():
        assert runs.run_chunk(chunk.pk) == 0
    billing_run_finish(run.pk)
    assert runs.billing_run_resume(run) == 0
    assert InvoiceLine.objects.count() == lines and Invoice.objects.count() == 1
    assert BillingRun.objects.count() == 1 and len(mail.outbox) == 1


def test_a_chunk_run_twice_before_it_is_marked_writes_its_lines_once(monkeypatch):
    """The chunk's lines and its done mark commit together; a second attempt finds it done."""
    monkeypatch.setattr(runs, "CHUNK_CUSTOMERS", 1)
    data = billed_estate(customers=2)
    org = data.organisation
    run = start(actor=_admin(org), organisation_id=org.pk, month=MONTH, enqueue=False)
    first, second = run.chunks.order_by("number")
    assert runs.run_chunk(first.pk) == 2
    assert runs.run_chunk(first.pk) == 0
    run.refresh_from_db()
    assert run.invoice.status == "draft" and run.job.status == "running" and run.job.done == 1
    # The resume sends what is left (eagerly here): the second chunk, then the finishing step.
    assert committed(runs.billing_run_resume, run) == 1
    run = BillingRun.objects.select_related("job", "invoice").get(pk=run.pk)
    assert run.invoice.status == "finalized" and run.job.status == "succeeded" and run.lines_written == 4
    assert second.pk in set(run.chunks.values_list("pk", flat=True))


def test_numbers_follow_each_other_per_organisation_without_gaps():
    data = billed_estate(customers=1)
    org = data.organisation
    billed_estate(customers=1, organisation=org, month=dt.date(2026, 11, 1))
    other = billed_estate(customers=1).organisation
    actor = _admin(org)
    start(actor=actor, organisation_id=org.pk, month="2026-11")
    start(actor=actor, organisation_id=org.pk, month="202610")
    start(actor=_admin(other), organisation_id=other.pk, month="2026-10")
    numbers = list(Invoice.objects.filter(organisation=org).order_by("finalized_at").values_list("number", flat=True))
    assert numbers == ["G000000001", "G000000002"]
    assert Invoice.objects.get(organisation=other).number == "G000000001"


def test_the_refusals_say_why_and_write_nothing():
    data = billed_estate(customers=1, rate=False)
    org = data.organisation
    actor = _admin(org)
    this_month = timezone.now().date().replace(day=1)
    with pytest.raises(BillingMonthOpen) as open_month:
        runs.billing_run_start(actor=actor, organisation_id=org.pk, month=this_month)
    assert open_month.value.field == "month" and f"{this_month:%Y-%m}" in str(open_month.value.description)
    with pytest.raises(UnratedUsageRemains) as unrated:
        runs.billing_run_start(actor=actor, organisation_id=org.pk, month=MONTH)
    assert unrated.value.status == 409 and "D2 v3" in str(unrated.value.description)
    assert {row["meterId"] for row in unrated.value.data} == {DISK.meter_id, "9cb0bde8-bc0c-4914-841b-b2a8cb5a4b3d"}
    with pytest.raises(NothingToBill):
        runs.billing_run_start(actor=actor, organisation_id=org.pk, month="2026-09")
    with pytest.raises(PermissionDenied):
        runs.billing_run_start(actor=_admin(org, Role.ADMIN_AGENT), organisation_id=org.pk, month=MONTH)
    other = billed_estate(customers=1).organisation
    with pytest.raises(NotFound):
        runs.billing_run_start(actor=actor, organisation_id=other.pk, month=MONTH)
    assert not BillingRun.objects.exists() and not Invoice.objects.exists()


def test_a_missing_exchange_rate_names_the_currency_and_the_month():
    data = billed_estate(customers=1, country="FR", rate=False)
    org = data.organisation
    with pytest.raises(ExchangeRateMissing) as missing:
        runs.billing_run_start(actor=_admin(org), organisation_id=org.pk, month=MONTH)
    assert missing.value.parameters == {"currency": "EUR", "month": "2026-10"}
    assert "EUR" in str(missing.value.description) and "2026-10" in str(missing.value.description)
    assert not Invoice.objects.exists()


def test_a_euro_partner_is_billed_in_euros():
    data = billed_estate(customers=2, country="FR", rate_value="1.0850")
    org = data.organisation
    run = start(actor=_admin(org), organisation_id=org.pk, month=MONTH)
    invoice = Invoice.objects.get(pk=run.invoice_id)
    assert invoice.currency == "EUR" and invoice.total_amount == _usage_total(org)
    assert invoice.pricing_total != invoice.total_amount


def test_the_beat_task_of_the_first_starts_last_months_runs(settings):
    from billing.tasks import start_monthly_billing_runs

    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values()
                 if e["task"] == "billing.tasks.start_monthly_billing_runs")
    assert str(entry["schedule"].day_of_month) == "{1}"
    data = billed_estate(customers=1, month=dt.date(2026, 11, 1))
    unrated = billed_estate(customers=1, month=dt.date(2026, 11, 1), rate=False).organisation
    UserFactory(organisation=data.organisation, roles=[Role.BILLING_ADMIN.value], email="ba@b.example.com")
    result = committed(runs.start_monthly_runs, today=dt.date(2026, 12, 1))
    assert result["month"] == "2026-11" and len(result["started"]) == 1
    assert result["refused"] == {unrated.pk: "UnratedUsageRemains"}
    assert Invoice.objects.get(organisation=data.organisation).status == "finalized"
    run = BillingRun.objects.get()
    assert run.trigger == "schedule" and run.created_by_label == "monthly billing run"
    assert start_monthly_billing_runs.apply().get()["started"] == []  # 2026-11 again: already invoiced
    assert Invoice.objects.filter(organisation=data.organisation).count() == 1


def test_a_failed_chunk_fails_the_job_and_the_resume_finishes_it(monkeypatch):
    data = billed_estate(customers=1)
    org = data.organisation
    run = start(actor=_admin(org), organisation_id=org.pk, month=MONTH, enqueue=False)
    from billing.tasks import run_billing_chunk

    chunk = run.chunks.get()

    def broken(**kwargs):
        return "INSERT INTO no_such_table VALUES (1)"

    monkeypatch.setattr(runs, "line_insert", broken)
    with pytest.raises(Exception, match="no_such_table"):
        run_billing_chunk.apply(args=[chunk.pk]).get()
    run.job.refresh_from_db()
    assert run.job.status == "failed" and "no_such_table" in run.job.error
    monkeypatch.undo()
    assert committed(runs.billing_run_resume, stalled_after=runs.STALLED_AFTER) == 1
    run.job.refresh_from_db()
    assert run.job.status == "succeeded" and run.job.attempts == 2
    assert Invoice.objects.get().status == "finalized" and Decimal(Invoice.objects.get().total_amount) > 0


def test_the_demo_finalizes_last_months_invoice_once():
    """`make run` opens on last month's finalized invoice: billing/demo.py bills it in-process, once."""
    from datetime import UTC, datetime

    import time_machine

    from billing import demo

    data = billed_estate(customers=2)
    with time_machine.travel(datetime(2026, 11, 5, 9, 0, tzinfo=UTC), tick=False):
        demo._last_month_invoiced([data.organisation])
        demo._last_month_invoiced([data.organisation])
    invoice = Invoice.objects.get(organisation=data.organisation)
    assert invoice.status == "finalized" and invoice.period_start == MONTH and invoice.number == "G000000001"
    assert invoice.invoice_date == dt.date(2026, 11, 5) and invoice.total_amount == _usage_total(data.organisation)
    assert BillingRun.objects.get().created_by_label == "demo data"


def test_a_configured_tax_rate_is_charged_per_line_and_totalled(settings):
    settings.BILLING_TAX_RATE = Decimal("20")
    data = billed_estate(customers=2)
    start(actor=_admin(data.organisation), organisation_id=data.organisation.pk, month=MONTH)
    invoice = Invoice.objects.get(organisation=data.organisation)
    lines = list(InvoiceLine.objects.filter(invoice=invoice))
    for line in lines:
        assert line.tax_total == (line.subtotal * Decimal("0.2")).quantize(Decimal("0.01"), ROUND_HALF_UP)
        assert line.total == line.subtotal + line.tax_total
    assert invoice.tax_total == sum(line.tax_total for line in lines) > 0
    assert invoice.total_amount == invoice.subtotal + invoice.tax_total
