"""The invoice PDF (domain.md §4.5): rendered once with typst, stored with its SHA-256, the same bytes every time;
its content in English or French; a credit note naming the invoice it amends; user text placed as text."""

import datetime as dt
import hashlib
import io
import time

import pytest
from pypdf import PdfReader

from accounts.choices import Role
from accounts.models import Country
from accounts.tests.factories import OrganisationFactory, UserFactory
from billing.invoicing import pdf as invoice_pdf
from billing.invoicing.pdf import InvoiceNotIssued, compile_pdf, ensure_pdf, invoice_language, render_pdf
from billing.models import Invoice, InvoiceStatus

from .factories_invoicedocs import credit_note, rated_invoice
from .factories_invoicing import invoice as make_invoice

pytestmark = pytest.mark.django_db


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_rendered_once_stored_with_its_hash_and_the_same_bytes_every_time(monkeypatch):
    invoice = rated_invoice(customers=2, days=2, rate="0.846202666", currency="EUR")
    renders = []
    original = invoice_pdf.render_pdf
    monkeypatch.setattr(invoice_pdf, "render_pdf", lambda doc: renders.append(doc.pk) or original(doc))
    first = ensure_pdf(invoice)
    assert first.startswith(b"%PDF")
    stored = Invoice.objects.get(pk=invoice.pk)
    assert bytes(stored.pdf) == first and stored.pdf_sha256 == hashlib.sha256(first).hexdigest()
    again = ensure_pdf(Invoice.objects.get(pk=invoice.pk))
    assert again == first and renders == [invoice.pk]
    text = text_of(first)
    assert invoice.number in text and "Invoice" in text and invoice.organisation.name in text
    assert f"Please quote the invoice number {invoice.number}" in text.replace("\n", " ")
    assert "EUR" in text and "0.846202666" in text  # pricing currency and the exchange rate


def test_a_stale_instance_renders_what_the_database_holds():
    invoice = make_invoice(customers=1, status=InvoiceStatus.DRAFT)
    Invoice.objects.filter(pk=invoice.pk).update(number="G000000005", status=InvoiceStatus.FINALIZED,
                                                 invoice_date=dt.date(2026, 11, 1), due_date=dt.date(2026, 12, 31))
    assert invoice.number is None  # the caller's instance predates the finalizing
    pdf = ensure_pdf(invoice)
    assert "G000000005" in text_of(pdf) and invoice.pdf == pdf


def test_a_concurrent_first_render_keeps_the_pdf_stored_first():
    invoice = make_invoice()
    Invoice.objects.filter(pk=invoice.pk).update(pdf=b"%PDF-stored-first", pdf_sha256="a" * 64)
    assert ensure_pdf(invoice) == b"%PDF-stored-first" and invoice.pdf_sha256 == "a" * 64


def test_rendering_is_deterministic_and_a_draft_has_no_pdf():
    invoice = make_invoice(customers=3)
    assert render_pdf(invoice) == render_pdf(Invoice.objects.get(pk=invoice.pk))
    draft = make_invoice(month=dt.date(2026, 9, 1), customers=1, status=InvoiceStatus.DRAFT)
    with pytest.raises(InvoiceNotIssued):
        ensure_pdf(draft)
    assert Invoice.objects.get(pk=draft.pk).pdf is None


def test_content_summarised_by_customer_with_totals_due_date_and_payment_instructions(settings):
    settings.BILLING_ISSUER_NAME = "Contoso Distribution"
    settings.BILLING_ISSUER_ADDRESS = "1 Harbour Road|Dublin"
    settings.BILLING_PAYMENT_INSTRUCTIONS = "IBAN IE00 0000 0000 0000"
    invoice = rated_invoice(customers=3, days=2, names=["Fabrikam", "#panic(\"no\")", "Northwind $x$ *y*"])
    text = text_of(ensure_pdf(invoice))
    for expected in ("Contoso Distribution", "1 Harbour Road", "Dublin", "Bill to", "IBAN IE00 0000 0000 0000",
                     "Due on", "Net 60 days", "Charges by customer", "Fabrikam", '#panic("no")', "Northwind $x$ *y*",
                     "Subtotal", "Tax", "Total", "Billing period", "Pricing currency: USD"):
        assert expected in text, expected
    assert f"{invoice.total_amount:,.2f}" in text


def test_french_for_a_french_organisation_unless_its_admins_chose_english():
    french = OrganisationFactory(country=Country.objects.get(code="FR"))
    assert invoice_language(french) == "fr"
    invoice = rated_invoice(organisation=french, customers=1, days=2, rate="0.9", currency="EUR")
    text = text_of(ensure_pdf(invoice))
    assert "Facture" in text and invoice.number in text and "Échéance" in text
    assert "Instructions de paiement" in text and "France" in text
    assert f"{invoice.total_amount:.2f}".replace(".", ",") in text and "novembre 2026" in text
    UserFactory(organisation=french, roles=[Role.BILLING_ADMIN.value], language="en")
    assert invoice_language(french) == "en"
    canadian = OrganisationFactory(country=Country.objects.get(code="CA"))
    assert invoice_language(canadian) == "en"
    UserFactory(organisation=canadian, roles=[Role.GLOBAL_ADMIN.value], language="fr")
    UserFactory(organisation=canadian, roles=[Role.SALES_AGENT.value], language="en")  # not an invoice recipient
    assert invoice_language(canadian) == "fr"


def test_tax_shows_the_invoices_stored_tax_and_its_rate():
    invoice = make_invoice(customers=1, status=InvoiceStatus.DRAFT)
    tax = (invoice.subtotal * 20 / 100).quantize(invoice.subtotal)
    Invoice.objects.filter(pk=invoice.pk).update(tax_total=tax, total_amount=invoice.subtotal + tax)
    Invoice.objects.filter(pk=invoice.pk).update(number="G000000077", status=InvoiceStatus.FINALIZED,
                                                 invoice_date=dt.date(2026, 11, 1), due_date=dt.date(2026, 12, 31))
    text = text_of(ensure_pdf(Invoice.objects.get(pk=invoice.pk)))
    assert "Tax (20" in text.replace("\u00a0", " "), text[text.find("Tax"):text.find("Tax") + 40]
    assert f"{tax:,.2f}" in text and f"{invoice.subtotal + tax:,.2f}" in text


def test_a_credit_note_names_the_invoice_it_amends_and_the_reason():
    invoice = rated_invoice(customers=2, days=2)
    note = credit_note(invoice, reason="Meter billed twice in October")
    text = text_of(ensure_pdf(note))
    assert "Credit note" in text and note.number in text and invoice.number in text
    assert "Meter billed twice in October" in text and "Amends invoice" in text


def test_a_3000_customer_invoice_renders_in_reasonable_time():
    data = {
        "lang": "en", "labels": {key: key for key in ("bill_to", "partner_id", "summary", "by_customer", "customer",
                                                      "country", "lines", "amount", "subtotal", "payment", "amends",
                                                      "reason")},
        "doc": {"title": "Invoice", "number": "G000000042", "amends": "", "reason": ""},
        "issuer": {"name": "Issuer", "address": []}, "bill_to": {"name": "P", "country": "US", "partner_id": "1"},
        "facts": [["Invoice number", "G000000042"]], "totals": [["Total", "1.00 USD", True]], "pricing_note": "",
        "customers": [[f"Customer {n}", "US", "12", "1,234.56 USD"] for n in range(3000)],
        "subtotal": "1.00 USD", "payment": ["Quote G000000042"],
    }
    started = time.monotonic()
    pdf = compile_pdf(data, created=dt.date(2026, 11, 1))
    elapsed = time.monotonic() - started
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) > 30 and "Customer 2999" in reader.pages[-1].extract_text()
    assert elapsed < 30, elapsed  # about 1.6 s on a developer machine


def test_the_exchange_rate_is_printed_with_at_most_nine_decimals():
    """A rate stored as a quotient (28 decimals) is printed as the reconciliation files give it: nine decimals."""
    invoice = rated_invoice(customers=1, days=1, rate="0.9223290986437427303173356274", currency="EUR")
    text = text_of(render_pdf(Invoice.objects.get(pk=invoice.pk))).replace("\n", " ")
    assert "1 USD = 0.922329099 EUR" in text and "0.9223290986" not in text
