"""Billing runs on a real Celery worker and Redis (issue 13: "a worker killed mid-run and resumed"): the worker's child
SIGKILLed while it writes a chunk (the message comes back, late ack), and the whole worker killed mid-chunk and the
run resumed on another one; either way every invoice line is written exactly once, the invoice gets the next number
and no number is skipped; a repeated run writes nothing.

The run is stopped mid-chunk without any hook in product code: the test holds `SELECT ... FOR UPDATE` on the second
chunk's row in its own connection, so the worker writes the first chunk, then inserts the second chunk's lines and
waits on that lock when it marks the chunk done (the lines and the mark are one transaction). Skips without Redis,
fails under CI=true."""

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import psycopg
import pytest
from django.db import connection
from django.db.models import Count

from accounts.actors import actor_for_user
from accounts.choices import Role
from accounts.tests.factories import UserFactory
from billing.invoicing import runs
from billing.invoicing.lines_sql import line_select
from billing.models import BillingRun, BillingRunChunk, Invoice, InvoiceCounter, InvoiceLine
from billing.tests.factories_billrun import MONTH, billed_estate
from conftest import point_celery_at
from core.db import database_url

ROOT = Path(__file__).resolve().parent.parent
WAIT = 60

pytestmark = [pytest.mark.needs_redis, pytest.mark.needs_worker]


def _wait(predicate, what, seconds=WAIT, log=None):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {seconds}s waiting for {what}" + (f"; worker log:\n{log()}" if log else ""))


@pytest.fixture
def broker(redis_url, transactional_db):
    from partnercenter.celery import app

    app.conf.task_always_eager = False
    point_celery_at(app, redis_url)
    app.control.purge()
    yield app
    app.control.purge()


class Worker:
    """A real prefork worker with one child process, as a subprocess on the test database."""

    def __init__(self, redis_url):
        env = {**os.environ, "DATABASE_URL": database_url(connection.settings_dict), "REDIS_URL": redis_url,
               "CELERY_BROKER_URL": redis_url, "CELERY_TASK_ALWAYS_EAGER": "false", "PYTHONUNBUFFERED": "1"}
        self.log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (closed by stop)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "partnercenter", "worker", "--pool", "prefork", "-c", "1", "-Q",
             "celery", "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def text(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()[-4000:]

    def child(self):
        children = psutil.Process(self.process.pid).children()
        return children[0] if len(children) == 1 else None

    def kill_all(self):
        """SIGKILL the worker and its child at once (a machine lost): nothing is acknowledged or given back."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=WAIT)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.log.close()


@pytest.fixture
def workers(broker, redis_url):
    started = []

    def start():
        started.append(Worker(redis_url))
        return started[-1]

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def lock_connection():
    conn = psycopg.connect(database_url(connection.settings_dict))
    yield conn
    conn.rollback()
    conn.close()


def _lock_chunk(conn, run, number):
    with conn.cursor() as cursor:
        cursor.execute("SELECT id FROM billing_billingrunchunk WHERE run_id = %s AND number = %s FOR UPDATE",
                       [run.pk, number])
        return len(cursor.fetchall())


def _waiting_on_lock():
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND wait_event_type = 'Lock'")
        return cursor.fetchone()[0]


def _job_status(run):
    return BillingRun.objects.filter(pk=run.pk).values_list("job__status", flat=True).get()


def _started_run(monkeypatch, lock_connection, customers=4):
    """A run of 2 chunks, not sent yet, whose second chunk the test holds locked."""
    monkeypatch.setattr(runs, "CHUNK_CUSTOMERS", 2)
    data = billed_estate(customers=customers)
    admin = UserFactory(organisation=data.organisation, roles=[Role.BILLING_ADMIN.value], email="ba@a.example.com")
    run = runs.billing_run_start(actor=actor_for_user(admin), organisation_id=data.organisation.pk, month=MONTH,
                                 enqueue=False)
    assert run.chunks.count() == 2 and _lock_chunk(lock_connection, run, 2) == 1
    return data, run


def _expected_lines(organisation):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*), sum(s.total) FROM ({line_select()}) s(org, customer, plan, reseller, product,"  # noqa: S608
                       " sku, avail, meter, charge, pec, pn, sn, mn, mc, ms, mr, ut, pub, pubid, pad, q, bq, up, eup,"
                       " pc, ppt, cur, sub, tax, total, rate, rdate, cs, ce, rows)",
                       {"org": organisation.pk, "m0": MONTH, "m1": MONTH.replace(month=11), "last": MONTH.replace(
                           day=31)})
        return cursor.fetchone()


def _assert_billed_once(data, run):
    invoice = Invoice.objects.get(pk=run.invoice_id)
    count, total = _expected_lines(data.organisation)
    assert invoice.status == "finalized" and invoice.number == "G000000001"
    assert InvoiceCounter.objects.get(organisation=data.organisation).last_value == 1  # no number skipped
    assert InvoiceLine.objects.filter(invoice=invoice).count() == count == invoice.line_count == 8
    duplicated = (InvoiceLine.objects.filter(invoice=invoice)
                  .values("customer_id", "azure_plan_id", "meter_id", "pec_percentage").annotate(n=Count("id"))
                  .filter(n__gt=1))
    assert not duplicated.exists()
    assert invoice.total_amount == total
    assert not BillingRunChunk.objects.filter(run=run, done_at__isnull=True).exists()
    assert _job_status(run) == "succeeded"
    return invoice


def test_a_worker_child_killed_mid_chunk_leaves_every_line_once(workers, monkeypatch, lock_connection):
    data, run = _started_run(monkeypatch, lock_connection)
    worker = workers()
    runs.enqueue_run(run.pk)
    # The first chunk is written and committed; the second's lines are inserted, then the mark waits on our lock.
    _wait(lambda: BillingRunChunk.objects.filter(run=run, number=1, done_at__isnull=False).exists()
          and _waiting_on_lock() >= 1, "the worker to write chunk 1 and wait on chunk 2's lock", log=worker.text)
    child = worker.child()
    assert child is not None, worker.text()
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=WAIT)
    _wait(lambda: (c := worker.child()) is not None and c.pid != child.pid, "a new child", log=worker.text)
    # The message comes back (late ack, rejected on worker loss): the new child inserts the same lines and waits on
    # the killed child's uncommitted ones, which wait on our lock.
    _wait(lambda: _waiting_on_lock() >= 2, "the message to be redelivered to the new child", log=worker.text)
    lock_connection.rollback()
    _wait(lambda: _job_status(run) in ("succeeded", "failed"), "the run to finish", log=worker.text)
    _assert_billed_once(data, run)
    # A repeated run writes nothing: every chunk task and the finishing step sent again.
    for chunk_id in BillingRunChunk.objects.filter(run=run).values_list("pk", flat=True):
        from billing.tasks import run_billing_chunk

        run_billing_chunk.delay(chunk_id)
    runs.enqueue_run(run.pk)
    time.sleep(3)
    _assert_billed_once(data, run)


def test_a_worker_killed_mid_chunk_and_the_run_resumed_on_another(workers, monkeypatch, lock_connection):
    data, run = _started_run(monkeypatch, lock_connection)
    first = workers()
    runs.enqueue_run(run.pk)
    _wait(lambda: BillingRunChunk.objects.filter(run=run, number=1, done_at__isnull=False).exists()
          and _waiting_on_lock() >= 1, "the worker to write chunk 1 and wait on chunk 2's lock", log=first.text)
    first.kill_all()  # its unacknowledged message stays with Redis until the visibility timeout: the resume's job
    lock_connection.rollback()  # the killed session's transaction ends: chunk 2's lines are not written
    _wait(lambda: _waiting_on_lock() == 0, "the killed session to end")
    assert BillingRunChunk.objects.get(run=run, number=2).done_at is None
    assert Invoice.objects.get(pk=run.invoice_id).status == "draft"
    assert runs.billing_run_resume() == 1
    second = workers()
    _wait(lambda: _job_status(run) in ("succeeded", "failed"), "the resumed run to finish", log=second.text)
    _assert_billed_once(data, run)
