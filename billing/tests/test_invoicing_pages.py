"""The invoicing pages with Django's test client: every page answers for a Billing admin, filters narrow the list,
a credit note and a payment go through the forms (refusals beside the field, nothing written), a foreign invoice is
404, and the customer page shows its invoiced months."""

import datetime as dt
from decimal import Decimal

import pytest

from accounts.choices import Role
from billing.models import DocumentType, Invoice, Payment

from .factories_invoicing import invoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def ba(make_user, portal_client):
    return portal_client(make_user(Role.BILLING_ADMIN, email="ba@a.example.com"))


def test_pages_answer_and_filter(ba, org):
    oct_ = invoice(org)
    nov = invoice(org, month=dt.date(2026, 11, 1))
    for url in ("/billing/invoices/", f"/billing/invoices/{oct_.public_id}/", "/billing/payments/",
                "/billing/payments/new/", "/billing/credit/", "/billing/unbilled/"):
        response = ba.get(url)
        assert response.status_code == 200, url
    listed = ba.get("/billing/invoices/?from=2026-11&to=2026-11").content.decode()
    assert nov.number in listed and oct_.number not in listed
    assert oct_.number in ba.get(f"/billing/invoices/?q={oct_.number[-3:]}").content.decode()
    assert "No invoice matches" in ba.get("/billing/invoices/?type=credit_note").content.decode()
    foreign = invoice(month=dt.date(2026, 9, 1))
    assert ba.get(f"/billing/invoices/{foreign.public_id}/").status_code == 404
    customer = oct_.lines.first().customer
    page = ba.get(f"/customers/{customer.tenant_id}/").content.decode()
    assert 'data-testid="invoiced-months-section"' in page and oct_.number in page


def test_credit_note_and_payment_forms(ba, org):
    doc = invoice(org)
    first = doc.lines.order_by("id").first()
    url = f"/billing/invoices/{doc.public_id}/credit-note/"
    refused = ba.post(url, {"reason": "Wrong meter", f"pick_{first.pk}": "on", f"line_{first.pk}": "99999"})
    assert refused.status_code == 400 and f'data-field-error="line_{first.pk}"' in refused.content.decode()
    assert ba.post(url, {"reason": "", f"pick_{first.pk}": "on"}).status_code == 400
    assert not Invoice.objects.filter(document_type=DocumentType.CREDIT_NOTE).exists()
    done = ba.post(url, {"reason": "Wrong meter", f"line_{first.pk}": "2.00"})
    note = Invoice.objects.get(document_type=DocumentType.CREDIT_NOTE)
    assert done.status_code == 302 and done["Location"] == f"/billing/invoices/{note.public_id}/"
    assert note.total_amount == Decimal("-2.00")
    bad = ba.post("/billing/payments/new/", {"amount": "10", "received_on": "2099-01-01", "reference": "r"})
    assert bad.status_code == 400 and 'data-field-error="received_on"' in bad.content.decode()
    ok = ba.post("/billing/payments/new/", {"amount": "10", "received_on": "2026-12-01", "reference": "BANK",
                                            "invoice": str(doc.public_id)})
    assert ok.status_code == 302 and Payment.objects.get().allocations.get().amount == Decimal("10.00")


def test_what_a_partner_admin_reads_on_the_invoice_pages(ba, org):
    """What a new user tripped over: the open invoice's badge reads as a status in French (not the verb "Ouvrir"),
    the status filter names what the badges show, a EUR invoice names the currency of its amounts and shows the
    exchange rate (at most nine decimals, as the reconciliation files give it), lines carry the number the credit
    note messages quote, and amounts in messages are written in the page's language."""
    from django.utils import translation

    doc = invoice(org, currency="EUR", rate="0.9223290986437427303173356274")
    page = ba.get(f"/billing/invoices/{doc.public_id}/").content.decode()
    assert "Amount (EUR)" in page and "Left to credit (EUR)" in page
    assert 'data-testid="exchange-rate">1 USD = 0.922329099 EUR' in page
    first = doc.lines.order_by("id").first()
    assert f'<tr data-line="{first.pk}">\n    <td class="small text-secondary">{first.pk}</td>' in page
    refused = ba.post(f"/billing/invoices/{doc.public_id}/credit-note/",
                      {"reason": "Wrong meter", f"pick_{first.pk}": "on", f"line_{first.pk}": "99999"})
    assert f"Line {first.pk} has" in refused.content.decode()  # the number shown in the line's first cell
    listed = ba.get("/billing/invoices/").content.decode()
    assert "Not paid yet (open, partly paid or overdue)" in listed and ">Finalized<" not in listed
    ba.post("/i18n/setlang/", {"language": "fr", "next": "/billing/invoices/"})
    try:
        french = ba.get("/billing/invoices/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
        assert 'data-status="open">Ouverte<' in french and "Ouvrir" not in french
        assert "Pas encore payée" in french
        usd = invoice(org, month=dt.date(2026, 11, 1))  # in the organisation's billing currency
        done = ba.post("/billing/payments/new/", {"amount": "1234.5", "received_on": "2026-12-01",
                                                  "reference": "VIR-1", "invoice": str(usd.public_id)},
                       follow=True, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
        assert "Paiement VIR-1 de 1\xa0234,50 USD enregistré." in done  # grouped, decimal comma
    finally:
        translation.activate("en")


def test_not_paid_yet_lists_invoices_only(ba, org):
    """The "Not paid yet" filter (status finalized) lists the invoices with a balance, not the credit notes, which
    are finalized too."""
    from .factories_invoicedocs import credit_note

    doc = invoice(org)
    note = credit_note(doc)
    listed = ba.get("/billing/invoices/?status=finalized").content.decode()
    assert doc.number in listed and note.number not in listed
    assert note.number in ba.get("/billing/invoices/?type=credit_note").content.decode()
