"""Transitions from legacy Azure to the Azure plan on a real Celery worker and Redis (issue 5, "Done means"):
the happy path, a failed line renamed and retried, the worker's child SIGKILLed mid-customer (a prefork worker
started as a subprocess), the whole worker killed mid-customer and the upgrade resumed on another, two starts at
the same moment, and the periodic resume of a stalled upgrade.

Skips without Redis, fails under CI=true. The run is made to stop mid-way without any hook in product code: the
test holds `SELECT ... FOR UPDATE` on the customer's legacy rows in its own connection, so the worker buys and
commits the Azure plan, then waits on that lock when it moves the subscriptions.
"""

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psutil
import psycopg
import pytest
from django.db import connection, connections

from accounts.choices import Role
from azureplan.legacy import importer as legacy_importer
from azureplan.legacy import services as legacy_services
from azureplan.legacy import transition as legacy_transition
from azureplan.models import (
    AzurePlan,
    AzureSubscription,
    LegacySubscription,
    Order,
    ProductUpgrade,
    RoleAssignment,
)
from azureplan.plans.services import admin_agents_principal
from azureplan.tests.factories import buyable_customer, legacy_csv, legacy_estate
from conftest import point_celery_at
from core.db import database_url
from core.errors import PartnerCenterError

ROOT = Path(__file__).resolve().parent.parent
WAIT = 60  # seconds: generous, for a loaded 2-core machine

pytestmark = [pytest.mark.needs_redis, pytest.mark.needs_worker]


def _wait(predicate, seconds=WAIT, what="the condition"):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {seconds}s waiting for {what}")


def _status(upgrade):
    return ProductUpgrade.objects.values_list("status", flat=True).get(pk=upgrade.pk)


def _wait_status(upgrade, *statuses):
    _wait(lambda: _status(upgrade) in statuses, what=f"upgrade {upgrade.public_id} to be {'/'.join(statuses)} "
                                                     f"(it is {_status(upgrade)})")
    upgrade.refresh_from_db()
    return upgrade


@pytest.fixture
def broker(redis_url, transactional_db):
    """Tasks leave through Redis (not eagerly); the queue starts empty."""
    from partnercenter.celery import app

    app.conf.task_always_eager = False
    point_celery_at(app, redis_url)
    app.control.purge()
    yield app
    app.control.purge()


@pytest.fixture
def worker(broker):
    from celery.contrib.testing.worker import start_worker

    with start_worker(broker, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield broker


@pytest.fixture
def agent(make_user):
    return make_user(Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, Role.SALES_AGENT)




@pytest.fixture
def lock_connection():
    """A connection of the test's own, outside Django, to hold row locks the worker then waits on."""
    conn = psycopg.connect(database_url(connection.settings_dict))
    yield conn
    conn.rollback()
    conn.close()


def _lock_legacy(conn, customer):
    """Lock the customer's legacy rows as an update would. FOR NO KEY UPDATE, not FOR UPDATE: the run's upgrade
    lines reference these rows (their foreign key check takes FOR KEY SHARE, which FOR UPDATE would block too), so
    the run gets past its claim and the plan purchase and waits only where it locks the rows to move them."""
    with conn.cursor() as cursor:
        cursor.execute("SELECT id FROM azureplan_legacysubscription WHERE customer_id = %s FOR NO KEY UPDATE",
                       [customer.pk])
        return len(cursor.fetchall())


def _waiting_on_lock(conn=None):
    """Sessions of the test database waiting on a lock (held by `conn`'s session when given). Asked through Django's
    connection: pg_stat_activity is a snapshot frozen for the length of a transaction, and `conn` is in one."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND wait_event_type = 'Lock' AND (%s::int IS NULL OR %s = ANY(pg_blocking_pids(pid)))",
                       [conn and conn.info.backend_pid] * 2)
        return cursor.fetchone()[0]


def _assert_moved_once(customer, legacy_before):
    """Every legacy subscription moved exactly once, with its id and name, under the customer's one plan."""
    plans = list(AzurePlan.objects.filter(customer=customer))
    assert len(plans) == 1 and plans[0].status == "active", plans
    subs = {s.subscription_id: s for s in AzureSubscription.objects.filter(plan__customer=customer)}
    assert set(subs) == {row.entitlement_id for row in legacy_before}, "an Azure subscription is missing or extra"
    assert AzureSubscription.objects.filter(subscription_id__in=list(subs)).count() == len(subs)
    for row in LegacySubscription.objects.filter(customer=customer):
        assert row.status == "suspended" and row.transitioned_at and row.suspended_at, row
        assert row.azure_subscription_id == subs[row.entitlement_id].pk
        assert subs[row.entitlement_id].friendly_name == row.friendly_name
        assert subs[row.entitlement_id].status == "active"
    return plans[0], subs


# ---------------------------------------------------------------- the happy path


def test_worker_moves_every_legacy_subscription_with_its_roles(worker, agent, actor_of):
    actor = actor_of(agent)
    customer = buyable_customer(agent.organisation)
    ids = [uuid.uuid4() for _ in range(3)]
    roles = ["customer_user:11111111-1111-4111-8111-111111111111:Reader;partner_admin_agents:x:Owner", "",
             "customer_user:22222222-2222-4222-8222-222222222222:Contributor"]
    legacy_importer.legacy_import(actor=actor, content=legacy_csv([(customer, sub_id, f"Legacy {n}", "", "2019-05-10", role)
                                                      for n, (sub_id, role) in enumerate(zip(ids, roles,
                                                                                             strict=True))]),
                     file_name="estate.csv")
    before = list(LegacySubscription.objects.filter(customer=customer))
    upgrade = legacy_services.upgrade_start(actor=actor, customer=customer)
    upgrade = _wait_status(upgrade, "completed", "failed")
    assert upgrade.status == "completed", list(upgrade.lines.values("status", "error_message"))
    assert upgrade.finished_at and upgrade.attempts == 1

    plan, subs = _assert_moved_once(customer, before)
    assert Order.objects.filter(customer=customer).count() == 1
    assert Order.objects.get(customer=customer).upgrade_id == upgrade.pk
    # Role assignments came along: the listed ones, or the partner's Admin agents as Owner (AOBO) when none.
    got = {sub_id: sorted((a.principal_type, a.principal_id, a.role_id) for a in RoleAssignment.objects.filter(
        azure_subscription=subs[sub_id])) for sub_id in ids}
    admin_agents = admin_agents_principal(agent.organisation)[0]
    assert got[ids[0]] == sorted([("customer_user", "11111111-1111-4111-8111-111111111111", "Reader"),
                                  ("partner_admin_agents", admin_agents, "Owner")])
    assert got[ids[1]] == [("partner_admin_agents", admin_agents, "Owner")]
    assert got[ids[2]] == [("customer_user", "22222222-2222-4222-8222-222222222222", "Contributor")]
    lines = list(upgrade.lines.all())
    assert len(lines) == 3 and {line.status for line in lines} == {"completed"}
    assert all(line.plan_id == plan.pk and line.upgraded_at for line in lines)
    # Afterwards the customer is no longer eligible: nothing left to move.
    assert legacy_services.upgrade_eligibility(actor=actor, customer=customer).code == 900108


# ---------------------------------------------------------------- a failed line, renamed and retried


def test_a_failed_line_does_not_stop_the_others_and_is_retried(worker, agent, actor_of):
    actor = actor_of(agent)
    customer = buyable_customer(agent.organisation)
    long_name = "A legacy subscription name that is far too long for an Azure subscription (70+)"
    assert len(long_name) > 64
    legacy_estate(actor, customer, names=["Production", long_name, "Development"])
    before = list(LegacySubscription.objects.filter(customer=customer))
    upgrade = _wait_status(legacy_services.upgrade_start(actor=actor, customer=customer), "completed", "failed")
    assert upgrade.status == "failed"
    lines = {line.legacy.friendly_name: line for line in upgrade.lines.select_related("legacy")}
    assert {name: line.status for name, line in lines.items()} == {
        "Production": "completed", long_name: "failed", "Development": "completed"}
    failed = lines[long_name]
    assert failed.error_code == "800002" and "64" in failed.error_message
    assert LegacySubscription.objects.get(pk=failed.legacy_id).status == "active"
    assert AzureSubscription.objects.filter(plan__customer=customer).count() == 2

    legacy_services.legacy_rename(actor=actor, legacy=failed.legacy, name="Analytics")
    legacy_services.upgrade_retry(actor=actor, upgrade=upgrade)
    upgrade = _wait_status(upgrade, "completed", "failed")
    assert upgrade.status == "completed", list(upgrade.lines.values("status", "error_message"))
    _plan, subs = _assert_moved_once(customer, before)
    assert subs[failed.legacy.entitlement_id].friendly_name == "Analytics"
    assert Order.objects.filter(customer=customer).count() == 1  # the retry found the plan, bought none


# ---------------------------------------------------------------- the worker's child killed mid-customer


def _spawn_prefork(redis_url):
    """A real prefork worker with one child process, as a subprocess on the test database."""
    env = {**os.environ, "DATABASE_URL": database_url(connection.settings_dict), "REDIS_URL": redis_url,
           "CELERY_BROKER_URL": redis_url,
           "CELERY_TASK_ALWAYS_EAGER": "false", "PYTHONUNBUFFERED": "1"}
    log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (closed by _stop)
    process = subprocess.Popen([sys.executable, "-m", "celery", "-A", "partnercenter", "worker", "--pool", "prefork",
                                "-c", "1", "-Q", "celery", "--loglevel", "INFO", "--without-gossip",
                                "--without-mingle", "--without-heartbeat"],
                               cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    process.log = log
    return process


def _stop(process):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            for child in psutil.Process(process.pid).children(recursive=True):
                child.kill()
            process.kill()
            process.wait(timeout=10)
    process.log.close()


@pytest.fixture
def prefork_worker(broker, redis_url):
    process = _spawn_prefork(redis_url)
    yield process
    _stop(process)


def _worker_log(process):
    process.log.flush()
    process.log.seek(0)
    return process.log.read()[-4000:]


def _pool_child(process):
    children = psutil.Process(process.pid).children()
    return children[0] if len(children) == 1 else None


def test_a_killed_worker_child_leads_to_a_completed_transition(prefork_worker, agent, actor_of, lock_connection):
    actor = actor_of(agent)
    customer = buyable_customer(agent.organisation)
    legacy_estate(actor, customer, count=4)
    before = list(LegacySubscription.objects.filter(customer=customer))
    assert _lock_legacy(lock_connection, customer) == 4  # held until we say so

    upgrade = legacy_services.upgrade_start(actor=actor, customer=customer)

    # The run claims the upgrade, buys and commits the plan, then waits on our lock when it moves the lines.
    try:
        _wait(lambda: _waiting_on_lock(lock_connection) >= 1, what="the worker to wait on the legacy rows' lock")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; upgrade {_status(upgrade)}; worker log:\n{_worker_log(prefork_worker)}") from None
    assert prefork_worker.poll() is None, _worker_log(prefork_worker)
    assert _status(upgrade) == "inProgress"
    assert AzurePlan.objects.filter(customer=customer, status="active").count() == 1  # committed before the kill
    child = _pool_child(prefork_worker)
    assert child is not None, "the prefork worker has no single child process"
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=WAIT)
    # The message comes back (late ack, rejected on worker loss) to a new child, which waits on the lock again.
    _wait(lambda: (c := _pool_child(prefork_worker)) is not None and c.pid != child.pid,
          what="the worker to start a new child")
    # The killed child's database session still holds the upgrade's row lock while it waits on ours (PostgreSQL
    # notices the dead client only when it next talks to it), so the new child waits on that one in turn.
    try:
        _wait(lambda: _waiting_on_lock() >= 2 or ProductUpgrade.objects.get(pk=upgrade.pk).attempts >= 2,
              what="the message to be redelivered to the new child")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; worker log:\n{_worker_log(prefork_worker)}") from None
    lock_connection.rollback()  # release the lock: the old session ends, the new child runs the upgrade to its end

    upgrade = _wait_status(upgrade, "completed", "failed")
    assert upgrade.status == "completed", (list(upgrade.lines.values("status", "error_message")),
                                           _worker_log(prefork_worker))
    assert upgrade.attempts == 2  # the redelivered message, not a second start
    _assert_moved_once(customer, before)
    assert Order.objects.filter(customer=customer).count() == 1
    assert ProductUpgrade.objects.filter(customer=customer).count() == 1
    lines = list(upgrade.lines.all())
    assert len(lines) == 4 and {line.status for line in lines} == {"completed"}
    assert len({line.azure_subscription_id for line in lines}) == 4
    assert RoleAssignment.objects.filter(azure_subscription__plan__customer=customer).count() == 4  # one AOBO each


# ---------------------------------------------------------------- starting twice


def test_two_starts_at_the_same_moment_give_one_upgrade(worker, agent, actor_of, lock_connection):
    actor = actor_of(agent)
    customer = buyable_customer(agent.organisation)
    legacy_estate(actor, customer, count=2)
    before = list(LegacySubscription.objects.filter(customer=customer))
    _lock_legacy(lock_connection, customer)  # the first upgrade stays in progress while the second start comes
    barrier = threading.Barrier(2)
    outcomes = []

    def start():
        try:
            barrier.wait(timeout=10)
            outcomes.append(legacy_services.upgrade_start(actor=actor, customer=customer))
        except PartnerCenterError as exc:
            outcomes.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=start) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=WAIT)
    started = [o for o in outcomes if isinstance(o, ProductUpgrade)]
    refused = [o for o in outcomes if isinstance(o, PartnerCenterError)]
    assert len(started) == 1 and len(refused) == 1, outcomes
    assert (refused[0].status, refused[0].code) == (409, 900109), vars(refused[0])
    assert ProductUpgrade.objects.filter(customer=customer).count() == 1

    lock_connection.rollback()
    upgrade = _wait_status(started[0], "completed", "failed")
    assert upgrade.status == "completed"
    _assert_moved_once(customer, before)
    with pytest.raises(PartnerCenterError) as raised:  # nothing left to move
        legacy_services.upgrade_start(actor=actor, customer=customer)
    assert raised.value.code == 900108
    assert ProductUpgrade.objects.filter(customer=customer).count() == 1


# ---------------------------------------------------------------- resuming a stalled upgrade


def test_a_stalled_upgrade_is_resumed_by_the_periodic_task(broker, agent, actor_of):
    from datetime import timedelta

    from celery.contrib.testing.worker import start_worker
    from django.utils import timezone

    from azureplan.tasks import resume_stalled_upgrades

    actor = actor_of(agent)
    customer = buyable_customer(agent.organisation)
    legacy_estate(actor, customer, count=3)
    before = list(LegacySubscription.objects.filter(customer=customer))
    upgrade = legacy_services.upgrade_start(actor=actor, customer=customer)
    broker.control.purge()  # its worker died with the machine: the message is gone
    stale = timezone.now() - timedelta(hours=1)
    ProductUpgrade.objects.filter(pk=upgrade.pk).update(status="inProgress", started_at=stale, heartbeat_at=stale,
                                                        attempts=1)
    with start_worker(broker, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        resume_stalled_upgrades.delay()
        upgrade = _wait_status(upgrade, "completed", "failed")
    assert upgrade.status == "completed", list(upgrade.lines.values("status", "error_message"))
    assert upgrade.attempts == 2 and upgrade.heartbeat_at > stale
    _assert_moved_once(customer, before)
    assert Order.objects.filter(customer=customer).count() == 1


# ---------------------------------------------------------------- the whole worker killed mid-customer


def test_a_whole_worker_killed_mid_customer_is_resumed_on_another(broker, redis_url, agent, actor_of, lock_connection):
    """The worker process and its child die together (the machine went away): Redis keeps the message unacked until
    its visibility timeout (hours), so nothing comes back by itself. The periodic resume sends the upgrade again once
    its heartbeat is old, and another worker completes it: one plan, every subscription moved once."""
    actor = actor_of(agent)
    customer = buyable_customer(agent.organisation)
    legacy_estate(actor, customer, count=3)
    before = list(LegacySubscription.objects.filter(customer=customer))
    _lock_legacy(lock_connection, customer)
    first = _spawn_prefork(redis_url)
    try:
        upgrade = legacy_services.upgrade_start(actor=actor, customer=customer)
        _wait(lambda: _waiting_on_lock(lock_connection) >= 1, what="the worker to wait on the legacy rows' lock")
        assert AzurePlan.objects.filter(customer=customer, status="active").count() == 1
        for process in [*psutil.Process(first.pid).children(recursive=True), psutil.Process(first.pid)]:
            process.kill()
        first.wait(timeout=WAIT)
    finally:
        _stop(first)
    lock_connection.rollback()  # the dead worker's session gets the lock, finds its client gone, rolls back
    _wait(lambda: _waiting_on_lock() == 0, what="the dead worker's session to end")
    assert _status(upgrade) == "inProgress" and not AzureSubscription.objects.filter(plan__customer=customer).exists()

    second = _spawn_prefork(redis_url)
    try:
        # What the beat task does every minute, with a stall threshold of 0 s (its row may stay locked a moment).
        _wait(lambda: legacy_transition.resume_stalled_upgrades(older_than_seconds=0) == 1,
              what="the resume to send the upgrade")
        upgrade = _wait_status(upgrade, "completed", "failed")
        assert upgrade.status == "completed", (list(upgrade.lines.values("status", "error_message")),
                                               _worker_log(second))
    finally:
        _stop(second)
    assert upgrade.attempts == 2
    _assert_moved_once(customer, before)
    assert Order.objects.filter(customer=customer).count() == 1
    assert ProductUpgrade.objects.filter(customer=customer).count() == 1
