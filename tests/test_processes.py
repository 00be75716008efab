"""`make run` stops its whole process tree, and periodic work has a queue of its own (issue 10 items 28, 29)."""

import importlib.util
import os
import signal
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def _run_script():
    spec = importlib.util.spec_from_file_location("make_run_script", ROOT / "scripts" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _queues_option(command):
    return set(command[command.index("-Q") + 1].split(","))


# ---------------------------------------------------------------- queues


def test_every_beat_task_is_routed_to_the_periodic_queue(settings):
    from partnercenter.celery import app

    router = app.amqp.router
    names = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert names
    for name in names:
        assert router.route({}, name)["queue"].name == "periodic", name
    for name in ("azureplan.tasks.run_upgrade", "azureplan.tasks.provision_order",
                 "accounts.tasks.send_invitation_email"):
        assert router.route({}, name)["queue"].name == "celery", name


def test_what_a_periodic_task_sends_while_it_runs_goes_to_the_periodic_queue():
    """The upgrades resume_stalled_upgrades sends again must not wait behind the batch that stalled."""
    from celery._state import _task_stack

    from azureplan.tasks import resume_stalled_upgrades
    from partnercenter.celery import app

    _task_stack.push(resume_stalled_upgrades)
    try:
        assert app.amqp.router.route({}, "azureplan.tasks.run_upgrade")["queue"].name == "periodic"
    finally:
        _task_stack.pop()
    assert app.amqp.router.route({}, "azureplan.tasks.run_upgrade")["queue"].name == "celery"


def test_the_two_queues_have_their_own_routing_keys():
    """On one exchange, two queues bound with the same key would both get every message."""
    from partnercenter.celery import app

    queues = app.amqp.queues
    assert set(queues) == {"celery", "periodic"}
    assert {queues[name].routing_key for name in queues} == {"celery", "periodic"}


def test_make_run_and_compose_workers_consume_both_queues():
    run = _run_script()
    command = run.worker_command("celerybeat-schedule")
    assert "--beat" in command and _queues_option(command) == {"celery", "periodic"}
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    workers = [service for service in compose["services"].values()
               if "worker" in (service.get("command") or [])]
    assert workers
    for service in workers:
        assert _queues_option(service["command"]) == {"celery", "periodic"}


# ---------------------------------------------------------------- make run's process tree


def _group_members(pgid):
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        state, pgrp = fields[0], int(fields[2])
        if pgrp == pgid and state != "Z":
            members.append(int(entry.name))
    return members


def _wait(predicate, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


@pytest.mark.needs_worker
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads processes from /proc (Linux)")
def test_killing_the_worker_main_process_stops_its_embedded_beat(tmp_path):
    """The worker as `make run` starts it (with --beat, one pool process); kill -9 its main process. The beat and
    pool processes it forked would live on as orphans; make run's supervisor stops their whole group."""
    run = _run_script()
    # An in-memory broker: nothing the beat sends leaves its process, so no other test sees it.
    env = {**os.environ, "CELERY_BROKER_URL": "memory://", "CELERY_TASK_ALWAYS_EAGER": "false"}
    worker = run.spawn(run.worker_command(tmp_path / "celerybeat-schedule", concurrency=1), env)
    try:
        # main process + one pool process + the embedded beat
        assert _wait(lambda: len(_group_members(worker.pid)) >= 3, 90), _group_members(worker.pid)
        orphans = [pid for pid in _group_members(worker.pid) if pid != worker.pid]
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        assert any(Path(f"/proc/{pid}").exists() for pid in orphans)  # the beat outlived its worker
        started = time.monotonic()
        run.supervise([worker])  # returns once it sees the worker gone, after stopping its group
        assert _group_members(worker.pid) == []
        assert time.monotonic() - started < 20
    finally:
        if run.group_alive(worker.pid):
            os.killpg(worker.pid, signal.SIGKILL)
