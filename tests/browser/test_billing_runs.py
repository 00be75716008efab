"""Billing runs in the browser: a Billing admin opens the Billing workspace's runs (the form offers the latest month
not invoiced yet), asks for a month with unrated usage (the error beside the month field names the meter), starts
last month's run and lands on its page, which ends finalized with the invoice's number and a link to it; then a run
whose chunks are written while the page is open: the page updates by itself from waiting to finalized; the runs list
links each invoice number to its invoice."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from accounts.actors import actor_for_user
from accounts.choices import Role
from accounts.tests.factories import PASSWORD
from billing.invoicing import runs
from billing.models import BillingRun
from billing.tests.factories_billrun import billed_estate
from conftest import enrol

from .flows import field_error, screenshot, sign_in_with_mfa

DB = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.mark.browser
@DB
def test_start_a_billing_run_watch_it_and_open_the_invoice(page, make_user, org):
    billed_estate(customers=3, organisation=org)  # 2026-10, rated
    billed_estate(customers=1, organisation=org, month=dt.date(2026, 9, 1), rate=False)
    billed_estate(customers=1, organisation=org, month=dt.date(2026, 11, 1))
    admin = make_user(Role.BILLING_ADMIN, email="bill@a.example.com", first_name="Bill", last_name="Admin")
    sign_in_with_mfa(page, admin.email, PASSWORD, enrol(admin))

    page.get_by_role("navigation", name="Main navigation").locator("[data-workspace=billing]").click()
    page.get_by_role("link", name="Billing runs").click()
    expect(page).to_have_url(re.compile(r"/billing/runs/$"))
    month = page.get_by_label("Month to bill")
    expect(month).to_have_value("2026-11")  # the latest month with usage not invoiced yet
    month.fill("2026-09")
    page.get_by_role("button", name="Start the billing run").click()
    expect(field_error(page, "month")).to_contain_text("unrated usage")
    expect(field_error(page, "month")).to_contain_text("D2 v3")

    page.get_by_label("Month to bill").fill("2026-10")
    page.get_by_role("button", name="Start the billing run").click()
    expect(page).to_have_url(re.compile(r"/billing/runs/[0-9a-f-]{36}/$"))
    expect(page.get_by_test_id("billing-run-status")).to_contain_text("Finalized", timeout=20000)
    expect(page.get_by_test_id("billing-run-bar").locator(".progress-bar")).to_have_attribute("data-percent", "100")
    expect(page.get_by_test_id("billing-run-invoice-number")).to_have_text("G000000001")
    expect(page.get_by_test_id("billing-run-lines")).to_have_text("6")
    invoice = BillingRun.objects.select_related("invoice").get(month=dt.date(2026, 10, 1)).invoice
    screenshot(page, "billing-run-finalized")
    link = page.get_by_role("link", name="Open invoice G000000001")
    expect(link).to_have_attribute("href", re.compile(f"/billing/invoices/{invoice.public_id}/$"))

    # A run whose chunks are written while its page is open (the workers' part, done here in the test).
    run = runs.billing_run_start(actor=actor_for_user(admin), organisation_id=org.pk, month="2026-11", enqueue=False)
    page.goto(f"/billing/runs/{run.public_id}/")
    expect(page.get_by_test_id("billing-run-status")).to_contain_text("Waiting")
    screenshot(page, "billing-run-waiting")
    runs.billing_run_execute(run)
    expect(page.get_by_test_id("billing-run-status")).to_contain_text("Finalized", timeout=20000)
    expect(page.get_by_test_id("billing-run-invoice-number")).to_have_text("G000000002")

    page.get_by_role("link", name="Billing runs").first.click()
    expect(page.get_by_test_id("billing-runs").locator("tbody tr")).to_have_count(2)
    # October and November invoiced: the form offers September, the one month left (its usage still unrated).
    expect(page.get_by_label("Month to bill")).to_have_value("2026-09")
    screenshot(page, "billing-runs")
    # Each invoice number opens its invoice.
    page.get_by_test_id("billing-runs").get_by_role("link", name="G000000001").click()
    expect(page).to_have_url(re.compile(f"/billing/invoices/{invoice.public_id}/$"))
    expect(page.locator("body")).to_contain_text("G000000001")
    # The refused form answers 400 (the browser logs it); nothing else may be logged (CSP, scripts).
    assert [e for e in page.console_errors if "status of 400" not in e] == []
