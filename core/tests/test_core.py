import pytest

from core.errors import Conflict
from core.jobs import job_create, job_fail, job_progress, job_start, job_succeed
from core.models import JobStatus

pytestmark = pytest.mark.django_db


def test_job_lifecycle_and_progress(org):
    job = job_create(organisation_id=org.pk, kind="test", total=4)
    assert job.status == JobStatus.PENDING and job.percent == 0
    job_start(job.pk)
    job = job_progress(job.pk, done=2, failures=1)
    assert job.percent == 50 and job.failures == 1
    job = job_succeed(job.pk, result={"ok": 3})
    assert job.status == JobStatus.SUCCEEDED and job.done == 4 and job.finished_at
    with pytest.raises(Conflict):
        job_start(job.pk)


def test_failed_job_can_be_retried(org):
    job = job_create(organisation_id=org.pk, kind="test", total=1)
    job_start(job.pk)
    job = job_fail(job.pk, error="boom")
    assert job.status == JobStatus.FAILED and job.error == "boom"
    job = job_start(job.pk)
    assert job.status == JobStatus.RUNNING and job.attempts == 2


def test_healthz_reports_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"]["database"] == "ok"
    assert client.post("/healthz").status_code == 405


def test_security_headers_on_pages(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert 'name="csrfmiddlewaretoken"' in response.content.decode()


def test_purge_idempotency_records(org):
    from datetime import timedelta

    from django.utils import timezone

    from core.models import IdempotencyRecord
    from core.tasks import purge_idempotency_records

    IdempotencyRecord.objects.create(organisation_id=org.pk, key="old", method="POST", path="/v1/x", body_hash="h",
                                     created_at=timezone.now() - timedelta(days=2))
    IdempotencyRecord.objects.create(organisation_id=org.pk, key="new", method="POST", path="/v1/x", body_hash="h")
    assert purge_idempotency_records() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
