"""Usage import in the browser: a Billing admin opens the Billing workspace, uploads an empty file (the message beside
the field), then a file with a bad line (the import fails and lists the line, nothing imported), then Microsoft's
daily rated usage file: the progress bar fills, the report shows the rows added and the line kept aside, which the
Unmatched usage page lists with its reason."""

import re
import uuid

import pytest
from playwright.sync_api import expect

from accounts.choices import Role
from accounts.tests.factories import PASSWORD
from billing.models import UsageRecord
from billing.tests.factories_usageingest import FIXTURES, line, usage_csv, usage_estate
from conftest import enrol

from .flows import field_error, screenshot, sign_in_with_mfa

DB = pytest.mark.django_db(transaction=True, serialized_rollback=True)
TENANT = uuid.UUID("6c0e3c5a-2b1f-4d8e-9a7b-5c4d3e2f1a0b")
SUB = uuid.UUID("0f9e8d7c-6b5a-4c3d-8e2f-1a0b9c8d7e6f")


def upload(name, content, mime="text/csv"):
    return {"name": name, "mimeType": mime, "buffer": content}


@pytest.mark.browser
@DB
def test_upload_usage_watch_the_job_and_read_the_report(page, make_user, org):
    org.tenant_id = uuid.UUID("00000000-0000-0000-0000-00000000a001")  # the fixture file's PartnerId: this partner's
    org.save(update_fields=["tenant_id"])
    usage_estate(org, tenant_id=TENANT, subscription_ids=[SUB])
    admin = make_user(Role.BILLING_ADMIN, email="bill@a.example.com", first_name="Bill", last_name="Admin")
    sign_in_with_mfa(page, admin.email, PASSWORD, enrol(admin))

    page.get_by_role("navigation", name="Main navigation").locator("[data-workspace=billing]").click()
    page.get_by_role("link", name="Usage import").click()
    expect(page).to_have_url(re.compile(r"/billing/usage/imports/$"))

    page.get_by_label("Usage file").set_input_files(upload("empty.csv", b""))
    page.get_by_role("button", name="Import", exact=True).click()
    expect(field_error(page, "file")).to_contain_text("empty")

    bad = usage_csv([line(TENANT, SUB, "2026-12-01", "24"), line(TENANT, SUB, "2026-12-02", "lots")])
    page.get_by_label("Usage file").set_input_files(upload("bad.csv", bad))
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page).to_have_url(re.compile(r"/billing/usage/imports/[0-9a-f-]{36}/$"))
    expect(page.get_by_test_id("usage-import-status")).to_contain_text("Failed")
    expect(page.get_by_test_id("bad-rows")).to_contain_text("Quantity")
    expect(page.get_by_test_id("bad-rows").locator("tbody tr").first).to_contain_text("3")
    assert not UsageRecord.objects.exists()

    page.goto("/billing/usage/imports/")
    page.get_by_label("Usage file").set_input_files(
        upload("daily-rated-usage.csv", (FIXTURES / "daily-rated-usage.csv").read_bytes()))
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page).to_have_url(re.compile(r"/billing/usage/imports/[0-9a-f-]{36}/$"))
    bar = page.get_by_test_id("usage-import-bar").locator(".progress-bar")
    expect(bar).to_have_attribute("data-percent", "100", timeout=20000)
    expect(page.get_by_test_id("usage-import-status")).to_contain_text("Imported")
    expect(page.get_by_test_id("rows-added")).to_have_text("4")
    expect(page.get_by_test_id("rows-unmatched")).to_have_text("1")
    expect(page.get_by_test_id("unmatched-rows")).to_contain_text("This Azure subscription is not in the portal yet")
    assert UsageRecord.objects.count() == 4
    screenshot(page, "usage-import-01-report")

    page.get_by_role("link", name="Unmatched usage").click()
    expect(page.get_by_test_id("unmatched-rows").locator("tbody tr")).to_have_count(1)
    # The Billing workspace's tabs stay the same on the usage pages (Invoices and Payments are one click away).
    expect(page.get_by_role("link", name="Invoices")).to_be_visible()
    screenshot(page, "usage-import-02-unmatched")
    expect(page.get_by_test_id("unmatched-rows")).to_contain_text("5e4d3c2b-1a09-4f8e-8d7c-6b5a49382716")
