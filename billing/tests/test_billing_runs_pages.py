"""The billing runs pages: the list with the start form (errors beside the month field), a run's page (the htmx
progress fragment while it runs, the invoice link once finalized), roles and scoping."""

import pytest

from accounts.actors import actor_for_user
from accounts.choices import Role
from accounts.tests.factories import UserFactory
from billing.invoicing import runs
from billing.models import BillingRun

from .factories_billrun import billed_estate

pytestmark = pytest.mark.django_db


def _user(organisation, role=Role.BILLING_ADMIN):
    return UserFactory(organisation=organisation, roles=[role.value])


def test_start_a_run_and_read_its_page(portal_client, django_capture_on_commit_callbacks):
    data = billed_estate(customers=2)
    client = portal_client(_user(data.organisation))
    page = client.get("/billing/runs/")
    assert page.status_code == 200 and b'type="month"' in page.content and b"billing-run-form" in page.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/billing/runs/", {"month": "2026-10"})
    run = BillingRun.objects.select_related("invoice").get()
    assert response.status_code == 302 and response["Location"] == f"/billing/runs/{run.public_id}/"
    detail = client.get(response["Location"]).content.decode()
    assert "G000000001" in detail and f"/billing/invoices/{run.invoice.public_id}/" in detail
    assert "hx-trigger" not in detail  # finished: no more polling
    listing = client.get("/billing/runs/").content.decode()
    assert "2026-10" in listing and "G000000001" in listing


def test_errors_beside_the_month_field(portal_client):
    data = billed_estate(customers=1, rate=False)
    client = portal_client(_user(data.organisation, Role.GLOBAL_ADMIN))
    for month, text in (("2026-12", "not closed"), ("2026-13", "YYYY-MM"), ("2026-10", "D2 v3"),
                        ("2026-09", "no usage")):
        response = client.post("/billing/runs/", {"month": month})
        assert response.status_code == 400
        assert 'data-field-error="month"' in response.content.decode() and text in response.content.decode(), month
    assert not BillingRun.objects.exists()


def test_a_running_run_polls_and_roles_and_tenancy(portal_client, client):
    data = billed_estate(customers=1)
    admin = _user(data.organisation)
    run = runs.billing_run_start(actor=actor_for_user(admin), organisation_id=data.organisation.pk, month="2026-10",
                                 enqueue=False)
    agent_client = portal_client(_user(data.organisation, Role.ADMIN_AGENT))
    detail = agent_client.get(f"/billing/runs/{run.public_id}/")
    assert detail.status_code == 200 and b'hx-trigger="every 2s"' in detail.content
    fragment = agent_client.get(f"/billing/runs/{run.public_id}/", HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200 and b"billing-run-progress" in fragment.content
    assert b"<html" not in fragment.content
    assert b"billing-run-form" not in agent_client.get("/billing/runs/").content  # an agent reads, does not start
    assert agent_client.post("/billing/runs/", {"month": "2026-10"}).status_code == 403
    stranger = portal_client(_user(billed_estate(customers=1).organisation))
    assert stranger.get(f"/billing/runs/{run.public_id}/").status_code == 404


def test_a_failed_run_shows_its_error_and_resumes(portal_client, django_capture_on_commit_callbacks):
    data = billed_estate(customers=1)
    admin = _user(data.organisation)
    run = runs.billing_run_start(actor=actor_for_user(admin), organisation_id=data.organisation.pk, month="2026-10",
                                 enqueue=False)
    runs.fail_run_of_chunk(run.chunks.get().pk, RuntimeError("the database went away"))
    client = portal_client(admin)
    detail = client.get(f"/billing/runs/{run.public_id}/").content.decode()
    assert "the database went away" in detail and "Resume the run" in detail
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/billing/runs/{run.public_id}/resume/")
    assert response.status_code == 302
    run = BillingRun.objects.select_related("job", "invoice").get(pk=run.pk)
    assert run.job.status == "succeeded" and run.invoice.number == "G000000001"
    agent = portal_client(_user(data.organisation, Role.ADMIN_AGENT))
    assert agent.post(f"/billing/runs/{run.public_id}/resume/").status_code == 403
