"""Job state changes through core.status.status_move: lock the row, check the move against JOB_TRANSITIONS, save.

Tasks call these with a job id; progress is counted in the database so a page can poll it and
a task that runs twice does not double-count (callers pass absolute `done`, not increments).
"""

from django.db import transaction
from django.utils import timezone

from .models import Job, JobStatus
from .status import status_move


def job_create(*, organisation_id, kind, total=0, params=None, created_by_id=None) -> Job:
    return Job.objects.create(
        organisation_id=organisation_id, kind=kind, total=total, params=params or {}, created_by_id=created_by_id
    )


def _move(job_id, new_status, **changes) -> Job:
    """A move the table refuses raises StatusMoveRefused (a Conflict); asking a finished job for the status it
    already has writes nothing."""
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job_id)
        for key, value in changes.items():
            setattr(job, key, value)
        return status_move(job, new_status, fields=tuple(changes))


def job_start(job_id, *, total=None) -> Job:
    job = Job.objects.get(pk=job_id)
    changes = {"started_at": job.started_at or timezone.now(), "attempts": job.attempts + 1}
    if total is not None:
        changes["total"] = total
    return _move(job_id, JobStatus.RUNNING, **changes)


def job_progress(job_id, *, done, failures=0) -> Job:
    return _move(job_id, JobStatus.RUNNING, done=done, failures=failures)


def job_succeed(job_id, *, result=None) -> Job:
    job = Job.objects.get(pk=job_id)
    return _move(job_id, JobStatus.SUCCEEDED, done=job.total, finished_at=timezone.now(), result=result or {})


def job_fail(job_id, *, error, result=None) -> Job:
    return _move(job_id, JobStatus.FAILED, error=str(error)[:4000], finished_at=timezone.now(),
                 result=result or {})
