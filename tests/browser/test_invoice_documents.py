"""The invoice documents in a signed-in browser session: a Billing admin's browser downloads the PDF, the invoice
reconciliation file and the billed daily usage file of the organisation's invoice (attachments named after the
number), and a Sales agent's browser is refused. The invoice pages that link to these downloads have their own
browser test; this one drives the download URLs with the session's cookies."""

import pytest

from accounts.choices import Role
from accounts.tests.factories import PASSWORD
from billing.tests.factories_invoicedocs import rated_invoice
from conftest import enrol

from .flows import sign_in_with_mfa

DB = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.mark.browser
@DB
def test_a_billing_admin_downloads_the_invoice_documents(page, make_user, org):
    invoice = rated_invoice(organisation=org, customers=2, days=3)
    admin = make_user(Role.BILLING_ADMIN, email="bianca@a.example.com")
    sign_in_with_mfa(page, admin.email, PASSWORD, enrol(admin))
    base = f"/billing/invoices/{invoice.public_id}"
    pdf = page.request.get(f"{base}/invoice.pdf")
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == f'attachment; filename="{invoice.number}.pdf"'
    assert pdf.body().startswith(b"%PDF")
    assert page.request.get(f"{base}/invoice.pdf").body() == pdf.body()  # the stored bytes again
    for path, name in (("recon.csv", "_Recon.csv"), ("daily-usage.csv", "_DailyRatedUsage.csv")):
        response = page.request.get(f"{base}/{path}")
        assert response.status == 200 and response.headers["content-type"].startswith("text/csv")
        assert response.headers["content-disposition"] == f'attachment; filename="{invoice.number}{name}"'
        assert invoice.number in response.text()
    assert page.console_errors == []


@pytest.mark.browser
@DB
def test_a_sales_agent_cannot_download_them(page, make_user, org):
    invoice = rated_invoice(organisation=org, customers=1, days=1)
    agent = make_user(Role.SALES_AGENT, email="sami@a.example.com")
    sign_in_with_mfa(page, agent.email, PASSWORD, enrol(agent))
    response = page.goto(f"/billing/invoices/{invoice.public_id}/invoice.pdf")
    assert response.status == 403
