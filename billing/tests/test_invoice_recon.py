"""The invoice reconciliation file and the billed daily rated usage file (domain.md §4.3, §4.4): Microsoft's columns
in Microsoft's order, sums equal to the invoice's totals to the cent for an invoice built from rated usage and for a
credit note, CSV-injection safety, and streaming in bounded chunks."""

import csv
import datetime as dt
import io
import tracemalloc
from decimal import Decimal

import pytest
from django.db import connection

from billing.invoicing import recon
from billing.models import InvoiceLine, UsageRecord
from billing.rating.spend import DAILY_RATED_USAGE_COLUMNS
from core.csv import safe_cell, sql_safe_text

from .factories_invoicedocs import add_rated_rows, credit_note, rated_invoice

pytestmark = pytest.mark.django_db


def _rows(chunks):
    text = b"".join(chunks).decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def _header(chunks):
    return next(csv.reader(io.StringIO(next(iter(chunks)).decode("utf-8"))))


def _sum(rows, column):
    return sum((Decimal(row[column]) for row in rows), Decimal("0"))


def test_recon_file_has_microsofts_columns_and_adds_up_to_the_invoice_to_the_cent():
    invoice = rated_invoice(customers=3, days=7, rate="0.846202666", currency="EUR")
    assert invoice.line_count == 6 and invoice.subtotal > 0
    assert _header(recon.recon_csv(invoice)) == list(recon.RECON_COLUMNS)
    rows = _rows(recon.recon_csv(invoice))
    assert len(rows) == invoice.line_count == InvoiceLine.objects.filter(invoice=invoice).count()
    assert _sum(rows, "Subtotal") == invoice.subtotal
    assert _sum(rows, "Total") == invoice.total_amount
    assert _sum(rows, "TaxTotal") == invoice.tax_total == 0
    assert {row["InvoiceNumber"] for row in rows} == {invoice.number}
    assert {row["Currency"] for row in rows} == {"EUR"} and {row["PricingCurrency"] for row in rows} == {"USD"}
    vm = next(row for row in rows if row["PriceAdjustmentDescription"])
    assert vm["PriceAdjustmentDescription"] == '["15.0% Partner earned credit for services managed"]'
    assert vm["UnitPrice"] == "0.868" and vm["EffectiveUnitPrice"].startswith("0.73")
    assert vm["PCToBCExchangeRate"] == "0.846202666" and vm["PCToBCExchangeRateDate"] == "10/31/2026"
    assert vm["ChargeStartDate"] == "10/1/2026" and vm["ChargeEndDate"] == "10/31/2026"
    assert Decimal(vm["Quantity"]) == Decimal(vm["BillableQuantity"]) > 0
    assert vm["OrderId"] and vm["OrderDate"].endswith(("AM", "PM")) and vm["SubscriptionId"]


def test_billed_daily_usage_file_is_the_months_rated_rows_with_the_invoice_number():
    invoice = rated_invoice(customers=2, days=4, rate="0.846202666", currency="EUR")
    assert _header(recon.daily_usage_csv(invoice)) == list(DAILY_RATED_USAGE_COLUMNS)
    rows = _rows(recon.daily_usage_csv(invoice))
    assert len(rows) == UsageRecord.objects.filter(organisation_id=invoice.organisation_id).count() == 16
    assert _sum(rows, "BillingPreTaxTotal") == invoice.subtotal
    assert _sum(rows, "PricingPreTaxTotal") == invoice.pricing_total
    assert {row["InvoiceNumber"] for row in rows} == {invoice.number}
    assert [row["UsageDate"] for row in rows][:1] == ["10/1/2026"] and rows[-1]["UsageDate"] == "10/4/2026"
    assert {row["PartnerEarnedCreditPercentage"] for row in rows} == {"0", "15"}
    assert {row["CreditType"] for row in rows} == {"Partner Earned Credit Applied", "Credit Not Applied"}
    assert {row["ChargeStartDate"] for row in rows} == {"10/1/2026"}


def test_a_credit_note_recon_adds_up_to_its_own_totals():
    invoice = rated_invoice(customers=2, days=3)
    note = credit_note(invoice, share="0.5")
    assert note.subtotal < 0 and note.number != invoice.number
    rows = _rows(recon.recon_csv(note))
    assert len(rows) == note.line_count == invoice.line_count
    assert _sum(rows, "Subtotal") == note.subtotal and _sum(rows, "Total") == note.total_amount
    assert {row["InvoiceNumber"] for row in rows} == {note.number}
    assert {row["ReferenceID"] for row in rows} == {invoice.number}
    assert {row["CreditReasonCode"] for row in rows} == {recon.CREDIT_REASON}
    assert _rows(recon.daily_usage_csv(note)) == []  # a credit note has no usage rows: the header only


def test_text_cells_are_csv_injection_safe_and_numbers_are_left_alone():
    invoice = rated_invoice(customers=2, days=1, names=["=HYPERLINK(\"http://x\")", "-Contoso"])
    rows = _rows(recon.recon_csv(invoice))
    assert {row["CustomerName"] for row in rows} == {"'=HYPERLINK(\"http://x\")", "'-Contoso"}
    samples = ["=1+2", "+cmd", "-5.2", "+3", "1e-3", "@SUM(A1)", "\tx", "\rx", "plain", "", "-", ".5", "-.5e+3"]
    with connection.cursor() as cursor:
        for text in samples:
            cursor.execute(f"SELECT {sql_safe_text('%(t)s::text')}", {"t": text})
            assert cursor.fetchone()[0] == safe_cell(text), text


def test_files_stream_in_bounded_chunks(monkeypatch):
    invoice = rated_invoice(customers=1, days=2)
    template = UsageRecord.objects.filter(organisation_id=invoice.organisation_id).order_by("id").first()
    add_rated_rows(template, 20_000)
    monkeypatch.setattr(recon, "CHUNK_BYTES", 64 * 1024)
    tracemalloc.start()
    try:
        sizes, lines = [], 0
        for chunk in recon.daily_usage_csv(invoice):
            sizes.append(len(chunk))
            lines += chunk.count(b"\n")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert lines == 1 + 20_000 + 4
    assert sum(sizes) > 8 * 1024 * 1024 and len(sizes) > 100  # many chunks of ~64 KiB, not one file
    assert max(sizes) < 64 * 1024 + 4096
    assert peak < 3 * 1024 * 1024, peak  # memory held: a chunk or two, not the 8+ MiB file


def test_recon_dates_follow_the_invoice_month():
    invoice = rated_invoice(customers=1, days=1, month=dt.date(2026, 2, 1))
    row = _rows(recon.recon_csv(invoice))[0]
    assert (row["ChargeStartDate"], row["ChargeEndDate"]) == ("2/1/2026", "2/28/2026")
    daily = _rows(recon.daily_usage_csv(invoice))[0]
    assert (daily["ChargeStartDate"], daily["ChargeEndDate"], daily["UsageDate"]) == ("2/1/2026", "3/1/2026",
                                                                                      "2/1/2026")
