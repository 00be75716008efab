"""The billing runs pages: the list with the start form (errors beside the month field), a run's page (the htmx
progress fragment while it runs, the invoice link once finalized), roles and scoping."""

import datetime as dt
import re
from datetime import UTC, datetime

import pytest
import time_machine

from accounts.actors import actor_for_user
from accounts.choices import Role
from accounts.tests.factories import UserFactory
from billing.invoicing import runs
from billing.models import BillingRun, Invoice

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


def _month_field(client):
    page = client.get("/billing/runs/").content.decode()
    field = re.search(r'<input type="month" name="month"[^>]*>', page).group(0)
    value = re.search(r'value="([^"]*)"', field)
    return (value.group(1) if value else ""), page


def test_the_form_offers_the_latest_month_not_invoiced_yet(portal_client, django_capture_on_commit_callbacks):
    with time_machine.travel(datetime(2026, 12, 15, 9, 0, tzinfo=UTC), tick=True):
        data = billed_estate(customers=1)  # 2026-10
        billed_estate(customers=1, organisation=data.organisation, month=dt.date(2026, 11, 1))
        client = portal_client(_user(data.organisation))
        assert _month_field(client)[0] == "2026-11"  # last month, not invoiced
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post("/billing/runs/", {"month": "2026-11"}).status_code == 302
        assert _month_field(client)[0] == "2026-10"  # November is invoiced: the month before, which is not
        admin = actor_for_user(_user(data.organisation))
        run = runs.billing_run_start(actor=admin, organisation_id=data.organisation.pk, month="2026-10", enqueue=False)
        value, page = _month_field(client)  # October is being written: not offered either
        assert value == "" and "Every closed month with usage is invoiced already" in page
        runs.billing_run_execute(run)
        value, page = _month_field(client)
        assert value == "" and "Every closed month with usage is invoiced already" in page


def test_the_runs_list_links_each_invoice_number_to_its_invoice(portal_client, django_capture_on_commit_callbacks):
    data = billed_estate(customers=1)
    client = portal_client(_user(data.organisation, Role.ADMIN_AGENT))  # reads runs and invoices, starts none
    admin = actor_for_user(_user(data.organisation))
    run = runs.billing_run_start(actor=admin, organisation_id=data.organisation.pk, month="2026-10", enqueue=False)
    listing = client.get("/billing/runs/").content.decode()
    assert 'data-testid="run-invoice"' not in listing  # no number while it runs
    runs.billing_run_execute(run)
    invoice = Invoice.objects.get(pk=run.invoice_id)
    listing = client.get("/billing/runs/").content.decode()
    link = f'<a href="/billing/invoices/{invoice.public_id}/" data-testid="run-invoice">G000000001</a>'
    assert link in listing
    assert client.get(f"/billing/invoices/{invoice.public_id}/").status_code == 200
