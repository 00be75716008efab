"""The status machine (core.status): the helper on core's Job, the lock that serialises two moves, and the
completeness of every model's transition table (read through the app registry: core imports no later app)."""

import threading
import time

import pytest
from django.apps import apps
from django.db import connection, transaction

from core.errors import Conflict, StatusMoveRefused
from core.models import JOB_TRANSITIONS, Job, JobStatus
from core.status import allowed_from, check_move, status_move

# Every lifecycle of the project and its model (app label, model name).
LIFECYCLES = [("core", "Job"), ("customers", "RelationshipRequest"), ("azureplan", "Cart"), ("azureplan", "Order"),
              ("azureplan", "AzurePlan"), ("azureplan", "AzureSubscription"), ("azureplan", "LegacySubscription"),
              ("azureplan", "ProductUpgrade"), ("azureplan", "ProductUpgradeLine")]


def _job(org, status=JobStatus.PENDING):
    return Job.objects.create(organisation_id=org.pk, kind="test", status=status, total=3)


@pytest.mark.django_db
def test_an_allowed_move_is_saved_with_the_named_fields(org):
    job = _job(org)
    job.done = 2
    job.error = "not saved: not named"
    moved = status_move(job, JobStatus.RUNNING, fields=("done",))
    assert moved is job and job.status == JobStatus.RUNNING
    row = Job.objects.get(pk=job.pk)
    assert (row.status, row.done, row.error) == ("running", 2, "")


@pytest.mark.django_db
def test_a_forbidden_move_is_refused_and_changes_nothing(org):
    job = _job(org, JobStatus.SUCCEEDED)
    job.done = 1
    with pytest.raises(StatusMoveRefused) as exc:
        status_move(job, JobStatus.RUNNING, fields=("done",))
    error = exc.value
    assert isinstance(error, Conflict) and (error.status, error.code) == (409, 990005)
    assert str(error.description) == f"Job {job.public_id} cannot move from Succeeded (succeeded) to Running (running)."
    assert error.parameters == {"field": "status", "object": "core.Job", "from": "succeeded", "to": "running",
                                "id": str(job.public_id)}
    row = Job.objects.get(pk=job.pk)
    assert (row.status, row.done) == ("succeeded", 0)


@pytest.mark.django_db
def test_the_status_is_read_again_under_the_lock(org):
    """A stale row (read as running, cancelled since) cannot make a move the real status forbids."""
    job = _job(org, JobStatus.RUNNING)
    Job.objects.filter(pk=job.pk).update(status=JobStatus.CANCELLED)
    with pytest.raises(StatusMoveRefused):
        status_move(job, JobStatus.SUCCEEDED)
    assert Job.objects.get(pk=job.pk).status == "cancelled"


@pytest.mark.django_db
def test_a_same_status_move_is_a_no_op_unless_the_table_lists_it(org):
    job = _job(org, JobStatus.SUCCEEDED)
    job.error = "ignored"
    assert status_move(job, JobStatus.SUCCEEDED, fields=("error",)).status == "succeeded"
    assert Job.objects.get(pk=job.pk).error == ""  # nothing written, nothing refused
    running = _job(org, JobStatus.RUNNING)
    running.done = 1
    status_move(running, JobStatus.RUNNING, fields=("done",))  # listed: running -> running saves progress
    assert Job.objects.get(pk=running.pk).done == 1


@pytest.mark.django_db
def test_a_caller_can_answer_its_own_error(org):
    job = _job(org, JobStatus.CANCELLED)

    class Mine(Conflict):
        code = 990099

    with pytest.raises(Mine) as exc:
        status_move(job, JobStatus.RUNNING, error=lambda old, new: Mine(f"{old}->{new}"))
    assert exc.value.description == "cancelled->running"
    with pytest.raises(Mine):
        check_move(Job, "cancelled", "running", error=lambda old, new: Mine())
    check_move(Job, "running", "succeeded")  # allowed: nothing raised


def test_allowed_from_is_the_filter_of_a_set_based_update():
    assert allowed_from(Job, JobStatus.RUNNING) == {"pending", "running", "failed"}
    assert allowed_from(Job, JobStatus.PENDING) == set()
    table = {**JOB_TRANSITIONS, JobStatus.SUCCEEDED: {JobStatus.RUNNING}}
    assert "succeeded" in allowed_from(Job, JobStatus.RUNNING, table=table)


@pytest.mark.django_db
def test_set_based_update_filtered_by_allowed_from_skips_forbidden_rows(org):
    pending, done = _job(org), _job(org, JobStatus.SUCCEEDED)
    moved = Job.objects.filter(pk__in=[pending.pk, done.pk],
                               status__in=allowed_from(Job, JobStatus.CANCELLED)).update(status=JobStatus.CANCELLED)
    assert moved == 1
    assert dict(Job.objects.filter(pk__in=[pending.pk, done.pk]).values_list("pk", "status")) == {
        pending.pk: "cancelled", done.pk: "succeeded"}


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_moves_are_serialised_by_the_row_lock(org):
    """Two real transactions on their own connections: the first moves running -> succeeded and holds the lock; the
    second, with the same stale row (running), asks running -> failed, waits for the lock, reads succeeded and is
    refused. Without the lock both would pass the check and the last one would win."""
    job = _job(org, JobStatus.RUNNING)
    locked, results = threading.Event(), {}
    hold = 0.6

    def first():
        try:
            with transaction.atomic():
                status_move(Job.objects.get(pk=job.pk), JobStatus.SUCCEEDED)
                locked.set()
                time.sleep(hold)
            results["first"] = "moved"
        finally:
            locked.set()
            connection.close()

    def second():
        stale = Job.objects.get(pk=job.pk)
        assert stale.status == JobStatus.RUNNING
        locked.wait(5)
        started = time.monotonic()
        try:
            status_move(stale, JobStatus.FAILED)
            results["second"] = "moved"
        except StatusMoveRefused as exc:
            results["second"] = exc.parameters["from"]
        finally:
            results["waited"] = time.monotonic() - started
            connection.close()

    threads = [threading.Thread(target=second), threading.Thread(target=first)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert results["first"] == "moved" and results["second"] == "succeeded"
    assert results["waited"] >= hold / 2  # it waited for the first transaction
    assert Job.objects.get(pk=job.pk).status == "succeeded"


@pytest.mark.parametrize("app_label,model_name", LIFECYCLES)
def test_every_table_is_complete(app_label, model_name):
    model = apps.get_model(app_label, model_name)
    table = model.STATUS_TRANSITIONS
    values = set(model._meta.get_field("status").choices and dict(model._meta.get_field("status").choices))
    assert set(table) == values, f"{model_name}: every status is a key, final ones with an empty set"
    for source, targets in table.items():
        assert set(targets) <= values, f"{model_name}: {source} moves to an unknown status"


def test_every_model_with_a_status_has_a_table():
    """A model with a `status` field of choices is a lifecycle: it declares STATUS_TRANSITIONS (listed above)."""
    with_status = {(m._meta.app_label, m.__name__) for m in apps.get_models()
                   if any(f.name == "status" and f.choices for f in m._meta.get_fields() if hasattr(f, "choices"))}
    project = {pair for pair in with_status if pair[0] in {"core", "accounts", "customers", "agreements", "azureplan"}}
    missing = {pair for pair in project if not hasattr(apps.get_model(*pair), "STATUS_TRANSITIONS")}
    assert missing <= {("accounts", "User")}, missing
    assert set(LIFECYCLES) <= project
