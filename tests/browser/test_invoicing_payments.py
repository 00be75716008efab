"""Invoices, credit notes, payments and the credit limit in the browser: a Billing admin finds an invoice in the
Billing workspace (filters), opens it (lines by customer and meter, totals, downloads), issues a credit note (a bad
amount is refused beside the line, nothing written; then part of one line), records a payment from the invoice
(oldest first is replaced by the invoice chosen; the rest kept as overpayment), sees the invoice paid, sets a credit
limit and reads the formula; a Sales agent's checkout over the limit is refused on the cart page, nothing ordered.
The unbilled charges page and the customer page's invoiced months are looked at too. Screenshots go to
test-artifacts/screenshots/invoicing-*.png."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.choices import Role
from accounts.tests.factories import PASSWORD
from azureplan.models import AzurePlan, Order
from azureplan.tests.factories import buyable_customer
from billing.models import DocumentType, Invoice, InvoiceStatus, Payment
from billing.tests.factories_invoicing import invoice
from conftest import enrol

from .flows import field_error, screenshot, sign_in_with_mfa

DB = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def not_400(errors):
    return [e for e in errors if "status of 400" not in e]


def amount_text(value):
    return f"{value:,.2f}"


@pytest.mark.browser
@DB
def test_billing_admin_credits_an_invoice_records_a_payment_and_sets_the_credit_limit(page, make_user, org):
    oct_ = invoice(org, month=dt.date(2026, 10, 1), customers=2)
    nov = invoice(org, month=dt.date(2026, 11, 1), customers=1)
    admin = make_user(Role.BILLING_ADMIN, email="bea@a.example.com", first_name="Bea", last_name="Admin")
    sign_in_with_mfa(page, admin.email, PASSWORD, enrol(admin))

    # The invoices list from the Billing workspace's tabs; the month filter narrows it.
    page.goto("/billing/invoices/")
    rows = page.get_by_test_id("invoices-table").locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text(nov.number)
    screenshot(page, "invoicing-01-invoices")
    page.get_by_label("From month").fill("2026-10")
    page.get_by_label("To month").fill("2026-10")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(oct_.number)
    rows.first.get_by_role("link", name=oct_.number).click()

    # The invoice: header, totals, downloads, lines by customer.
    expect(page.get_by_test_id("invoice-title")).to_contain_text(f"Invoice {oct_.number}")
    expect(page.get_by_test_id("total")).to_contain_text(amount_text(oct_.total_amount))
    expect(page.get_by_test_id("balance")).to_contain_text(amount_text(oct_.total_amount))
    expect(page.get_by_test_id("customer-group")).to_have_count(2)
    expect(page.get_by_test_id("downloads").get_by_role("link", name="PDF")).to_have_attribute(
        "href", re.compile(rf"/billing/invoices/{oct_.public_id}/"))
    screenshot(page, "invoicing-02-invoice")

    # A credit note: too much for the line is refused beside it, nothing written.
    first = oct_.lines.order_by("id").first()
    row = page.locator(f"tr[data-line='{first.pk}']")
    row.get_by_label(f"Amount of line {first.pk}").fill(str(first.subtotal + 1))
    page.get_by_label("Reason").fill("Meter billed twice")
    page.get_by_role("button", name="Issue the credit note").click()
    expect(field_error(page, f"line_{first.pk}")).to_contain_text("left to credit")
    assert not Invoice.objects.filter(document_type=DocumentType.CREDIT_NOTE).exists()
    screenshot(page, "invoicing-03-credit-note-refused")
    row = page.locator(f"tr[data-line='{first.pk}']")
    row.get_by_label(f"Amount of line {first.pk}").fill("5.00")
    page.get_by_role("button", name="Issue the credit note").click()
    expect(page.locator(".alert-success")).to_contain_text("Credit note G000000003 issued")
    expect(page.get_by_test_id("invoice-title")).to_contain_text("Credit note G000000003")
    expect(page.get_by_test_id("amends")).to_contain_text(oct_.number)
    expect(page.get_by_test_id("total")).to_contain_text("-5.00")
    screenshot(page, "invoicing-04-credit-note")
    page.get_by_test_id("amends").get_by_role("link", name=oct_.number).click()
    left = oct_.total_amount - Decimal("5.00")
    expect(page.get_by_test_id("balance")).to_contain_text(amount_text(left))
    expect(page.get_by_test_id("credit-notes")).to_contain_text("Meter billed twice")

    # Record a payment from the invoice: it is preselected; paying more keeps the rest as overpayment.
    page.get_by_test_id("record-payment").click()
    expect(page.get_by_label("Apply to")).to_have_value(str(oct_.public_id))
    page.get_by_label("Amount received").fill(str(left + Decimal("7.00")))
    page.get_by_label("Date received").fill("2026-12-01")
    page.get_by_label("Reference").fill("BANK-2026-12-01")
    screenshot(page, "invoicing-05-payment-form")
    page.get_by_role("button", name="Record the payment").click()
    expect(page.locator(".alert-success")).to_contain_text("7.00 USD is kept as overpayment")
    payments = page.get_by_test_id("payments-table").locator("tbody tr")
    expect(payments).to_have_count(1)
    expect(payments.first.get_by_test_id("kept")).to_contain_text("7.00")
    screenshot(page, "invoicing-06-payments")
    oct_.refresh_from_db()
    assert oct_.status == InvoiceStatus.PAID and Payment.objects.count() == 1

    # Balance and credit limit: set a limit that the November invoice nearly uses up.
    page.get_by_role("link", name="Balance and credit limit").click()
    expect(page.get_by_test_id("not-enforced")).to_be_visible()
    page.get_by_label("Credit limit (USD)").fill(str(nov.total_amount - Decimal("7.00")))
    page.get_by_role("button", name="Save the limit").click()
    expect(page.locator(".alert-success")).to_contain_text("The credit limit is now")
    expect(page.get_by_test_id("unpaid")).to_contain_text(amount_text(nov.total_amount))
    expect(page.get_by_test_id("overpayment")).to_contain_text("7.00")
    expect(page.get_by_test_id("available")).to_contain_text("0.00")
    expect(page.get_by_test_id("credit-used-up")).to_be_visible()
    screenshot(page, "invoicing-07-credit-limit")

    # Unbilled charges of the open month (none here), and the customer page's invoiced months.
    page.get_by_role("link", name="Unbilled charges").click()
    expect(page.get_by_test_id("no-unbilled")).to_be_visible()
    customer = first.customer
    page.goto(f"/customers/{customer.tenant_id}/")
    section = page.get_by_test_id("invoiced-months-section")
    expect(section).to_contain_text("October 2026")
    expect(section.get_by_role("link", name=oct_.number)).to_be_visible()
    section.scroll_into_view_if_needed()
    screenshot(page, "invoicing-08-customer-section")
    assert not_400(page.console_errors) == []


@pytest.mark.browser
@DB
def test_a_checkout_over_the_credit_limit_is_refused_on_the_page(page, make_user, org):
    doc = invoice(org)
    org.credit_limit = doc.total_amount
    org.save(update_fields=["credit_limit"])
    sales = make_user(Role.SALES_AGENT, email="sam@a.example.com")
    contoso = buyable_customer(org, company_name="Contoso Ltd", domain="contoso-credit.onmicrosoft.com")
    sign_in_with_mfa(page, sales.email, PASSWORD, enrol(sales))
    page.goto(f"/customers/{contoso.tenant_id}/azure-plan/cart/")
    page.get_by_role("button", name="Add to cart").click()
    page.get_by_role("button", name="Place order").click()
    refusal = page.get_by_test_id("refusal")
    expect(refusal).to_contain_text("credit limit of")
    expect(refusal).to_contain_text("is used up")
    screenshot(page, "invoicing-09-checkout-refused")
    assert not Order.objects.filter(customer=contoso).exists()
    assert not AzurePlan.objects.filter(customer=contoso).exists()
