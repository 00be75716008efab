"""A usage import on a real Celery worker (Redis): the upload is stored, the task runs on the worker, the Job's
progress ends at 100 % and the import's counts are written. Skips without Redis, fails under CI=true."""

import uuid

import pytest

from accounts.actors import actor_for_user
from accounts.choices import Role
from billing.models import UsageImport, UsageRecord
from billing.tests.factories_usageingest import line, usage_csv, usage_estate
from billing.usage.services import usage_import_start
from conftest import wait_until

TENANT = uuid.UUID("3f1c2a4e-6b7d-4e8f-9a0b-1c2d3e4f5a6b")
SUB = uuid.UUID("a1b2c3d4-0001-4000-8000-000000000001")


@pytest.mark.needs_worker
def test_a_usage_import_runs_on_the_worker(solo_worker, make_user, org):
    usage_estate(org, tenant_id=TENANT, subscription_ids=[SUB])
    admin = make_user(Role.BILLING_ADMIN)
    content = usage_csv([line(TENANT, SUB, f"2026-12-{day:02d}", day) for day in range(1, 11)])
    record = usage_import_start(actor=actor_for_user(admin), fileobj=content, file_name="usage.csv")

    def done():
        job = UsageImport.objects.select_related("job").get(pk=record.pk).job
        return job.status in ("succeeded", "failed")

    assert wait_until(done, seconds=30), "the worker did not run the import"
    record = UsageImport.objects.select_related("job").get(pk=record.pk)
    assert record.job.status == "succeeded", record.report
    assert record.job.percent == 100 and record.job.result["linesStaged"] == 10
    assert record.rows_added == 10 and UsageRecord.objects.count() == 10
