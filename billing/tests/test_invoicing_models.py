"""The invoicing schema's guarantees, checked in the database itself: gap-free numbers per organisation, one
invoice per organisation and month, and issued invoices and their lines that cannot change (triggers)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from accounts.tests.factories import OrganisationFactory
from billing.invoicing.numbers import next_number
from billing.models import Invoice, InvoiceLine, InvoiceStatus

from .factories_invoicing import invoice, line_values
from .factories_rating import world

pytestmark = pytest.mark.django_db


def test_numbers_are_gap_free_per_organisation_and_a_rollback_gives_the_number_back():
    first, second = OrganisationFactory(), OrganisationFactory()
    with transaction.atomic():
        assert next_number(first.pk) == "G000000001"
        assert next_number(first.pk) == "G000000002"
        assert next_number(second.pk) == "G000000001"
    with pytest.raises(RuntimeError), transaction.atomic():
        assert next_number(first.pk) == "G000000003"
        raise RuntimeError("the issuing transaction fails")
    with transaction.atomic():
        assert next_number(first.pk) == "G000000003"


def test_a_finalized_invoice_and_its_lines_cannot_change():
    doc = invoice()
    assert doc.number == "G000000001" and doc.status == InvoiceStatus.FINALIZED and doc.line_count == 2
    for change in ({"total_amount": Decimal("1.00")}, {"number": "G000000099"}, {"due_date": dt.date(2027, 1, 1)}):
        with pytest.raises(IntegrityError, match="cannot change"), transaction.atomic():
            Invoice.objects.filter(pk=doc.pk).update(**change)
    with pytest.raises(IntegrityError, match="cannot"), transaction.atomic():  # Django deletes the lines first
        Invoice.objects.filter(pk=doc.pk).delete()
    with pytest.raises(IntegrityError, match="cannot be deleted"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM billing_invoice WHERE id = %s", [doc.pk])
    with pytest.raises(IntegrityError, match="no longer a draft"), transaction.atomic():
        InvoiceLine.objects.filter(invoice=doc).update(subtotal=Decimal("0.01"))
    with pytest.raises(IntegrityError, match="no longer a draft"), transaction.atomic():
        InvoiceLine.objects.filter(invoice=doc).delete()
    estate = world(organisation=doc.organisation)
    with pytest.raises(IntegrityError, match="no longer a draft"), transaction.atomic():
        InvoiceLine.objects.create(invoice=doc, **line_values(estate))
    doc.refresh_from_db()
    assert doc.total_amount > 0 and doc.lines.count() == 2
    # What may still move: the status (paid), its stamp, and the PDF written once.
    Invoice.objects.filter(pk=doc.pk).update(pdf=b"%PDF-1.7", pdf_sha256="a" * 64)
    Invoice.objects.filter(pk=doc.pk).update(status=InvoiceStatus.PAID)
    with pytest.raises(IntegrityError, match="cannot change"), transaction.atomic():
        Invoice.objects.filter(pk=doc.pk).update(pdf=b"%PDF-other")


def test_a_draft_changes_freely_and_one_invoice_per_organisation_and_month():
    doc = invoice(status=InvoiceStatus.DRAFT)
    InvoiceLine.objects.filter(invoice=doc).update(subtotal=Decimal("1.00"))
    Invoice.objects.filter(pk=doc.pk).update(total_amount=Decimal("2.00"))
    with pytest.raises(IntegrityError), transaction.atomic():
        invoice(doc.organisation, lines=[], month=doc.period_start)
    Invoice.objects.filter(pk=doc.pk).update(status=InvoiceStatus.VOID)
    again = invoice(doc.organisation, lines=[], month=doc.period_start)  # a void invoice does not count
    assert again.number == "G000000001"
