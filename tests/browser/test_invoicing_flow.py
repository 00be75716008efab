"""Issue 13 end to end, as a partner's Billing admin lives it: October's usage of three customers is rated; the admin
starts October's billing run from the Billing workspace, watches its page until the invoice is finalized, opens the
invoice, downloads its PDF and its reconciliation file from the invoice page's buttons (the file's total is the
invoice's to the cent), records a payment for part of it, and issues a credit note for one line; the invoice's balance
follows each step. Screenshots: test-artifacts/screenshots/invoicing-flow-*.png."""

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.choices import Role
from accounts.tests.factories import PASSWORD
from billing.models import DocumentType, Invoice, InvoiceStatus, Payment
from billing.tests.factories_billrun import billed_estate
from conftest import enrol

from .flows import field_error, screenshot, sign_in_with_mfa

DB = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def amount_text(value):
    return f"{value:,.2f}"


@pytest.mark.browser
@DB
def test_run_the_month_open_the_invoice_download_pay_and_credit(page, make_user, org):
    billed_estate(customers=3, organisation=org, month=dt.date(2026, 10, 1))
    admin = make_user(Role.BILLING_ADMIN, email="bill@a.example.com", first_name="Bill", last_name="Admin")
    sign_in_with_mfa(page, admin.email, PASSWORD, enrol(admin))

    # Billing > Billing runs: start October's run and watch it finish.
    page.get_by_role("navigation", name="Main navigation").locator("[data-workspace=billing]").click()
    page.get_by_role("link", name="Billing runs").click()
    page.get_by_label("Month to bill").fill("2026-10")
    page.get_by_role("button", name="Start the billing run").click()
    expect(page.get_by_test_id("billing-run-status")).to_contain_text("Finalized", timeout=30000)
    # The bar fills its track at 100 % (after Bootstrap's width transition: the screenshot shows the full bar).
    bar = page.get_by_test_id("billing-run-bar")
    expect(bar.locator(".progress-bar")).to_have_attribute("data-percent", "100")
    page.wait_for_function("() => { const t = document.querySelector('[data-testid=billing-run-bar]'); "
                           "return t.firstElementChild.getBoundingClientRect().width >= "
                           "t.getBoundingClientRect().width - 1; }", timeout=5000)
    invoice = Invoice.objects.get(organisation=org, document_type=DocumentType.INVOICE)
    assert invoice.status == InvoiceStatus.FINALIZED and invoice.number == "G000000001"
    screenshot(page, "invoicing-flow-01-run")

    # The invoice, from the run's page.
    page.get_by_role("link", name=f"Open invoice {invoice.number}").click()
    expect(page.get_by_test_id("invoice-title")).to_contain_text(f"Invoice {invoice.number}")
    expect(page.get_by_test_id("total")).to_contain_text(amount_text(invoice.total_amount))
    expect(page.get_by_test_id("customer-group")).to_have_count(3)
    screenshot(page, "invoicing-flow-02-invoice")

    # The PDF and the reconciliation file, from the page's buttons.
    downloads = page.get_by_test_id("downloads")
    with page.expect_download() as pdf_download:
        downloads.get_by_role("link", name="PDF").click()
    pdf = pdf_download.value
    assert pdf.suggested_filename == f"{invoice.number}.pdf"
    assert open(pdf.path(), "rb").read().startswith(b"%PDF")
    with page.expect_download() as recon_download:
        downloads.get_by_role("link", name="Reconciliation file").click()
    recon = recon_download.value
    assert recon.suggested_filename == f"{invoice.number}_Recon.csv"
    rows = list(csv.DictReader(io.StringIO(open(recon.path(), encoding="utf-8-sig").read())))
    assert len(rows) == invoice.line_count and {r["InvoiceNumber"] for r in rows} == {invoice.number}
    assert sum(Decimal(r["Total"]) for r in rows) == invoice.total_amount

    # A payment of 10.00 against the invoice: the balance follows.
    page.get_by_test_id("record-payment").click()
    page.get_by_label("Amount received").fill("10.00")
    page.get_by_label("Date received").fill("2026-11-20")
    page.get_by_label("Reference").fill("BANK-2026-11-20")
    page.get_by_role("button", name="Record the payment").click()
    expect(page.get_by_test_id("payments-table").locator("tbody tr")).to_have_count(1)
    assert Payment.objects.filter(organisation=org).count() == 1
    screenshot(page, "invoicing-flow-03-payment")
    page.goto(f"/billing/invoices/{invoice.public_id}/")
    expect(page.get_by_test_id("balance")).to_contain_text(amount_text(invoice.total_amount - Decimal("10.00")))

    # A credit note for one line: refused without a reason, then issued with its own number.
    line = invoice.lines.order_by("id").first()
    row = page.locator(f"tr[data-line='{line.pk}']")
    row.get_by_label(f"Amount of line {line.pk}").fill("1.00")
    page.get_by_role("button", name="Issue the credit note").click()
    expect(field_error(page, "reason")).to_be_visible()
    assert not Invoice.objects.filter(document_type=DocumentType.CREDIT_NOTE).exists()
    page.locator(f"tr[data-line='{line.pk}']").get_by_label(f"Amount of line {line.pk}").fill("1.00")
    page.get_by_label("Reason").fill("Disk billed on a day it was deleted")
    page.get_by_role("button", name="Issue the credit note").click()
    expect(page.get_by_test_id("invoice-title")).to_contain_text("Credit note G000000002")
    expect(page.get_by_test_id("amends")).to_contain_text(invoice.number)
    expect(page.get_by_test_id("total")).to_contain_text("-1.00")
    screenshot(page, "invoicing-flow-04-credit-note")
    page.get_by_test_id("amends").get_by_role("link", name=invoice.number).click()
    expect(page.get_by_test_id("balance")).to_contain_text(amount_text(invoice.total_amount - Decimal("11.00")))
    expect(page.get_by_test_id("credit-notes")).to_contain_text("Disk billed on a day it was deleted")
    assert re.search(r"G000000002", page.get_by_test_id("credit-notes").inner_text())
    assert [e for e in page.console_errors if "status of 400" not in e] == []
