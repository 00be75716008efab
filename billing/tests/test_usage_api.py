"""/v1/usage/...: background imports (202 + Location, the job's status, progress and report), the lists, idempotency
with MS-RequestId, roles and tenancy. Answers are checked against the served schema (tests/openapi_check.py)."""

import uuid
from datetime import UTC, datetime

import pytest
import time_machine
from rest_framework.test import APIClient

from accounts.choices import Role
from billing.models import UnmatchedUsage, UsageImport, UsageRecord, UsageUpload
from core.models import Job
from core.testing import assert_error

from .factories_usageingest import STORAGE, line, usage_batch, usage_csv, usage_estate, usage_jsonl

pytestmark = [pytest.mark.django_db]
NOW = datetime(2026, 12, 20, 10, 0, tzinfo=UTC)
TENANT = uuid.UUID("3f1c2a4e-6b7d-4e8f-9a0b-1c2d3e4f5a6b")
SUB = uuid.UUID("a1b2c3d4-0001-4000-8000-000000000001")
UNKNOWN = uuid.UUID("a1b2c3d4-0009-4000-8000-000000000009")


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def estate(org):
    return usage_estate(org, tenant_id=TENANT, subscription_ids=[SUB])


@pytest.fixture
def billing_api(api_client_for, make_user):
    return api_client_for(make_user(Role.BILLING_ADMIN))


def rows():
    return [line(TENANT, SUB, "2026-12-01", "24"), line(TENANT, SUB, "2026-12-02", "24"),
            line(TENANT, SUB, "2026-12-01", "3", meter=STORAGE, resource="disk1"),
            line(TENANT, UNKNOWN, "2026-12-01", "1")]


def _post(client, body, content_type, django_capture_on_commit_callbacks, **extra):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post("/v1/usage/imports?fileName=usage.csv", data=body, content_type=content_type, **extra)


def test_csv_body_answers_202_with_location_and_the_job_runs(billing_api, estate, django_capture_on_commit_callbacks):
    response = _post(billing_api, usage_csv(rows()), "text/csv", django_capture_on_commit_callbacks)
    assert response.status_code == 202, response.content
    body = response.json()
    assert response["Location"] == f"/v1/usage/imports/{body['id']}"
    detail = billing_api.get(response["Location"]).json()
    assert detail["status"] == "succeeded" and detail["fileName"] == "usage.csv"
    assert detail["progress"]["percent"] == 100 and detail["progress"]["linesStaged"] == 4
    assert (detail["report"]["added"], detail["report"]["unmatched"]) == (3, 1)
    assert UsageRecord.objects.count() == 3 and UnmatchedUsage.objects.count() == 1
    assert not UsageUpload.objects.exists()  # the stored upload goes once imported
    job = Job.objects.get()
    assert job.kind == "usage_import" and job.status == "succeeded" and job.result["rowsWritten"] == 3


def test_gzip_json_lines_body(billing_api, estate, django_capture_on_commit_callbacks):
    response = _post(billing_api, usage_jsonl(rows()), "application/gzip", django_capture_on_commit_callbacks)
    assert response.status_code == 202
    detail = billing_api.get(response["Location"]).json()
    assert detail["source"] == "jsonl" and detail["report"]["added"] == 3


def test_multipart_file(billing_api, estate, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    with django_capture_on_commit_callbacks(execute=True):
        response = billing_api.post("/v1/usage/imports", {"file": SimpleUploadedFile("u.csv", usage_csv(rows()))},
                                    format="multipart")
    assert response.status_code == 202
    assert billing_api.get(response["Location"]).json()["report"]["added"] == 3


def test_json_batch_and_its_idempotent_retry(billing_api, estate, django_capture_on_commit_callbacks):
    body = usage_batch(rows()).decode()
    first = _post(billing_api, body, "application/json", django_capture_on_commit_callbacks,
                  HTTP_MS_REQUESTID="req-1")
    assert first.status_code == 202
    again = _post(billing_api, body, "application/json", django_capture_on_commit_callbacks,
                  HTTP_MS_REQUESTID="req-1")
    assert again.status_code == 202 and again["Location"] == first["Location"]
    assert again["Idempotency-Replayed"] == "true" and UsageImport.objects.count() == 1
    other = _post(billing_api, usage_batch(rows()[:1]).decode(), "application/json",
                  django_capture_on_commit_callbacks, HTTP_MS_REQUESTID="req-1")
    assert_error(other, 409, 990001)


def test_csv_retry_with_the_same_request_id(billing_api, estate, django_capture_on_commit_callbacks):
    first = _post(billing_api, usage_csv(rows()), "text/csv", django_capture_on_commit_callbacks,
                  HTTP_MS_REQUESTID="up-1")
    again = _post(billing_api, usage_csv(rows()), "text/csv", django_capture_on_commit_callbacks,
                  HTTP_MS_REQUESTID="up-1")
    assert again.status_code == 202, again.content
    assert again["Location"] == first["Location"]
    assert UsageImport.objects.count() == 1 and Job.objects.count() == 1
    other = _post(billing_api, usage_csv(rows()[:1]), "text/csv", django_capture_on_commit_callbacks,
                  HTTP_MS_REQUESTID="up-1")
    assert_error(other, 409, 990001)


def test_a_bad_file_fails_the_job_with_every_bad_line(billing_api, estate, django_capture_on_commit_callbacks):
    data = rows()
    data[0]["Quantity"] = "many"
    data[1]["UsageDate"] = "31/31/2026"
    response = _post(billing_api, usage_csv(data), "text/csv", django_capture_on_commit_callbacks)
    assert response.status_code == 202
    detail = billing_api.get(response["Location"]).json()
    assert detail["status"] == "failed" and detail["report"]["totalCount"] == 2
    assert [(e["line"], e["column"]) for e in detail["report"]["errors"]] == [(2, "Quantity"), (3, "UsageDate")]
    assert not UsageRecord.objects.exists() and not UnmatchedUsage.objects.exists()


def test_running_the_task_again_counts_nothing_twice(billing_api, estate, django_capture_on_commit_callbacks):
    from billing.usage.tasks import run_usage_import

    response = _post(billing_api, usage_csv(rows()), "text/csv", django_capture_on_commit_callbacks)
    record = UsageImport.objects.get(public_id=response.json()["id"])
    assert run_usage_import(record.pk) == "succeeded"  # a redelivered message: already done
    record.refresh_from_db()
    assert (record.rows_added, UsageRecord.objects.count(), UnmatchedUsage.objects.count()) == (3, 3, 1)


def test_lists_of_imports_and_unmatched_rows(billing_api, estate, django_capture_on_commit_callbacks):
    _post(billing_api, usage_csv(rows()), "text/csv", django_capture_on_commit_callbacks)
    imports = billing_api.get("/v1/usage/imports").json()
    assert imports["totalCount"] == 1 and imports["items"][0]["report"]["unmatched"] == 1
    unmatched = billing_api.get("/v1/usage/unmatched").json()
    assert unmatched["totalCount"] == 1
    assert unmatched["items"][0]["reason"] == "unknown_subscription"
    assert billing_api.get("/v1/usage/unmatched?state=matched").json()["totalCount"] == 0
    assert_error(billing_api.get("/v1/usage/unmatched?state=nope"), 400, 800002, field="state")


def test_roles_and_tenancy(api_client_for, make_user, estate, other_org, django_capture_on_commit_callbacks):
    agent = api_client_for(make_user(Role.ADMIN_AGENT))
    assert_error(agent.post("/v1/usage/imports", data=usage_csv(rows()), content_type="text/csv"), 403, 2032)
    assert agent.get("/v1/usage/imports").status_code == 200  # Admin agents read usage
    billing = api_client_for(make_user(Role.BILLING_ADMIN))
    response = _post(billing, usage_csv(rows()), "text/csv", django_capture_on_commit_callbacks)
    stranger = api_client_for(make_user(Role.GLOBAL_ADMIN, organisation=other_org))
    assert_error(stranger.get(response["Location"]), 404, 990312)
    assert stranger.get("/v1/usage/unmatched").json()["totalCount"] == 0
    assert_error(stranger.get("/v1/usage/imports/not-a-guid"), 404, 990312)
    assert_error(APIClient().get("/v1/usage/imports"), 401)


def test_wrong_body_type(billing_api, estate):
    assert_error(billing_api.post("/v1/usage/imports", data="<x/>", content_type="application/xml"), 400, 800002,
                 field="Content-Type")
    assert_error(billing_api.post("/v1/usage/imports", data='{"rows": []}', content_type="application/json"), 400,
                 800002, field="items")
