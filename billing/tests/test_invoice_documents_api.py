"""The invoice documents' downloads: the Billing workspace's PDF, recon and daily usage URLs, and Partner Center's
GET /v1/invoices/{id}/documents/statement (checked against the served OpenAPI schema), with their headers, roles and
scoping (another organisation's invoice: 404)."""

import csv
import io

import pytest
from django.urls import reverse

from accounts.choices import Role
from billing.models import Invoice, InvoiceStatus
from core.testing import assert_error

from .factories_invoicedocs import rated_invoice
from .factories_invoicing import invoice as make_invoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(org):
    return rated_invoice(organisation=org, customers=2, days=2)


def _urls(invoice):
    return {name: reverse(f"billing:{name}", args=[invoice.public_id])
            for name in ("invoice_pdf", "invoice_recon", "invoice_daily_usage")}


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.parametrize("role", [Role.GLOBAL_ADMIN, Role.BILLING_ADMIN, Role.ADMIN_AGENT])
def test_pages_download_the_pdf_and_the_csv_files_with_the_invoice_number(issued, make_user, portal_client, role):
    client = portal_client(make_user(role))
    urls = _urls(issued)
    assert urls["invoice_pdf"] == f"/billing/invoices/{issued.public_id}/invoice.pdf"
    response = client.get(urls["invoice_pdf"])
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{issued.number}.pdf"'
    body = _body(response)
    assert body.startswith(b"%PDF") and body == bytes(Invoice.objects.get(pk=issued.pk).pdf)
    assert response["ETag"] == f'"{Invoice.objects.get(pk=issued.pk).pdf_sha256}"'
    for name, suffix in (("invoice_recon", "_Recon.csv"), ("invoice_daily_usage", "_DailyRatedUsage.csv")):
        response = client.get(urls[name])
        assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Content-Disposition"] == f'attachment; filename="{issued.number}{suffix}"'
        rows = list(csv.DictReader(io.StringIO(_body(response).decode())))
        assert rows and {row["InvoiceNumber"] for row in rows} == {issued.number}


def test_pages_refuse_a_sales_agent_and_hide_foreign_and_draft_invoices(issued, other_org, make_user,
                                                                        portal_client):
    agent = portal_client(make_user(Role.SALES_AGENT))
    for url in _urls(issued).values():
        assert agent.get(url).status_code == 403
    foreign = make_invoice(other_org, customers=1)
    draft = make_invoice(issued.organisation, customers=1, month=issued.period_start.replace(month=9),
                         status=InvoiceStatus.DRAFT)
    admin = portal_client(make_user(Role.BILLING_ADMIN, email="ba@a.example.com"))
    for doc in (foreign, draft):
        for url in _urls(doc).values():
            assert admin.get(url).status_code == 404
    assert Invoice.objects.get(pk=foreign.pk).pdf is None  # nothing rendered for the foreign invoice


def test_pages_need_sign_in(issued, client):
    response = client.get(_urls(issued)["invoice_pdf"])
    assert response.status_code == 302 and "/login" in response["Location"]


def test_api_statement_is_the_stored_pdf_by_number_or_public_id(issued, api):
    response = api.get(f"/v1/invoices/{issued.number}/documents/statement")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="Invoice_{issued.number}.pdf"'
    stored = Invoice.objects.get(pk=issued.pk)
    assert response.content == bytes(stored.pdf) and response.content.startswith(b"%PDF")
    again = api.get(f"/v1/invoices/{issued.public_id}/documents/statement", HTTP_ACCEPT="application/pdf")
    assert again.status_code == 200 and again.content == response.content
    lower = api.get(f"/v1/invoices/{issued.number.lower()}/documents/statement")
    assert lower.status_code == 200 and lower.content == response.content


def test_api_statement_404_envelope_for_foreign_unknown_and_draft(issued, other_org, api):
    make_invoice(other_org, customers=1, month=issued.period_start.replace(month=9))
    foreign = make_invoice(other_org, customers=1)
    assert foreign.number == "G000000002"  # the other organisation's second number: ours has only G000000001
    draft = make_invoice(issued.organisation, customers=1, month=issued.period_start.replace(month=9),
                         status=InvoiceStatus.DRAFT)
    for key in (foreign.number, foreign.public_id, "G999999999", "not-an-id", draft.public_id):
        assert_error(api.get(f"/v1/invoices/{key}/documents/statement"), 404, 1000)


def test_api_statement_roles(issued, make_user, api_client_for):
    agent = api_client_for(make_user(Role.SALES_AGENT, email="sa@a.example.com"))
    assert_error(agent.get(f"/v1/invoices/{issued.number}/documents/statement"), 403, 2032)
    billing = api_client_for(make_user(Role.BILLING_ADMIN, email="ba@a.example.com"))
    assert billing.get(f"/v1/invoices/{issued.number}/documents/statement").status_code == 200


def test_statement_route_is_in_the_schema(client):
    response = client.get("/api/schema/?format=json")
    operation = response.json()["paths"]["/v1/invoices/{invoice_id}/documents/statement"]["get"]
    assert "application/pdf" in str(operation["responses"]["200"]) or operation["responses"]["200"]
    assert {"401", "403", "404"} <= set(operation["responses"])
