"""Test data for the invoice documents: an invoice built from real rated usage rows the way the billing run builds it
(rated rows inserted, lines_sql.line_insert into a draft, totals summed from the lines, then the number drawn and the
status moved by hand, as factories_invoicing does), and a credit note amending some of its lines."""

import datetime as dt
from decimal import ROUND_DOWN, Decimal

from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from ..invoicing.lines_sql import line_insert
from ..invoicing.numbers import next_number
from ..models import DocumentType, Invoice, InvoiceLine, InvoiceStatus, UsageRecord
from .factories_invoicing import month_end
from .factories_rating import VM, add_usage, usage, usage_rows, world

CENT = Decimal("0.01")
STORAGE = type(VM)(product_id="DZH318Z0BNZ5", sku_id="006G", meter_id="0b3d5c8c-1b3e-4d41-a6e5-8b7c2d6e7f10",
                   name="Tables - LRS")


def rated(sub, day, quantity, *, unit_price="0.868", pec=0, rate="1", currency="USD", meter=VM, **fields):
    """An unsaved usage row rated as rating leaves it: amounts rounded down per row (domain.md §3.6.7)."""
    quantity, unit_price, rate = Decimal(str(quantity)), Decimal(unit_price), Decimal(rate)
    effective = unit_price * (1 - Decimal(pec) / 100)
    usd = (effective * quantity).quantize(CENT, ROUND_DOWN)
    return usage(sub, day, quantity, m=meter, rated_at=timezone.now(), unit_price=unit_price,
                 pec_percentage=Decimal(pec), effective_unit_price=effective, pricing_currency="USD",
                 pricing_pre_tax_total=usd, billing_currency=currency, exchange_rate=rate,
                 exchange_rate_date=month_end(day.replace(day=1)),
                 billing_pre_tax_total=(usd * rate).quantize(CENT, ROUND_DOWN), unit="1 Hour", unit_type="1 Hour",
                 charge_type="New", product_name="Virtual Machines", sku_name=meter.name, **fields)


def finalize(doc: Invoice) -> Invoice:
    """Totals summed from the lines, then the number, the dates and the status, as the billing run finalizes."""
    sums = InvoiceLine.objects.filter(invoice=doc).aggregate(
        pricing=Sum("pricing_pre_tax_total"), charges=Sum("subtotal", filter=Q(subtotal__gt=0)),
        credits=Sum("subtotal", filter=Q(subtotal__lt=0)), subtotal=Sum("subtotal"), tax=Sum("tax_total"),
        total=Sum("total"), lines=Count("id"))
    zero = Decimal("0")
    Invoice.objects.filter(pk=doc.pk).update(
        pricing_total=sums["pricing"] or zero, total_charges=sums["charges"] or zero,
        total_credits=sums["credits"] or zero, subtotal=sums["subtotal"] or zero, tax_total=sums["tax"] or zero,
        total_amount=sums["total"] or zero, line_count=sums["lines"])
    issued = doc.period_end + dt.timedelta(days=1)
    Invoice.objects.filter(pk=doc.pk).update(
        number=next_number(doc.organisation_id), status=InvoiceStatus.FINALIZED, invoice_date=issued,
        due_date=issued + dt.timedelta(days=60), finalized_at=timezone.now())
    doc.refresh_from_db()
    return doc


@transaction.atomic
def rated_invoice(*, organisation=None, month=dt.date(2026, 10, 1), customers=2, days=5, rate="1", currency="USD",
                  country="US", names=None) -> Invoice:
    """`customers` customers' rated VM and storage usage over `days` days of `month` (odd quantities, PEC on the
    VM rows of every other customer), billed into an invoice through line_insert."""
    rows = []
    for n in range(customers):
        estate = world(organisation=organisation, country=country)
        organisation = estate.organisation
        if names:
            estate.customer.company_name = names[n]
            estate.customer.save(update_fields=["company_name"])
        for d in range(days):
            day = month + dt.timedelta(days=d)
            rows.append(rated(estate.sub, day, Decimal("7.333") + n + d, pec=15 if n % 2 == 0 else 0, rate=rate,
                              currency=currency))
            rows.append(rated(estate.sub, day, Decimal("0.4567") * (d + 1), unit_price="0.045", rate=rate,
                              currency=currency, meter=STORAGE))
    usage_rows(rows)
    doc = Invoice.objects.create(organisation=organisation, period_start=month, period_end=month_end(month),
                                 currency=currency, created_at=timezone.now())
    following = month_end(month) + dt.timedelta(days=1)
    with connection.cursor() as cursor:
        cursor.execute(line_insert(customer_range=False), {"invoice": doc.pk, "org": organisation.pk, "m0": month,
                                                           "m1": following, "last": month_end(month)})
    return finalize(doc)


@transaction.atomic
def credit_note(invoice: Invoice, *, share="0.5", reason="Meter billed twice") -> Invoice:
    """A credit note of `invoice` giving back `share` of each of its lines (rounded down to the cent)."""
    doc = Invoice.objects.create(organisation=invoice.organisation, document_type=DocumentType.CREDIT_NOTE,
                                 amends_of=invoice, period_start=invoice.period_start, period_end=invoice.period_end,
                                 currency=invoice.currency, reason=reason, created_at=timezone.now())
    corrections = []
    for line in InvoiceLine.objects.filter(invoice=invoice).order_by("id"):
        values = {f.attname: getattr(line, f.attname) for f in InvoiceLine._meta.concrete_fields
                  if f.attname not in ("id", "invoice_id")}
        back = -(line.subtotal * Decimal(share)).quantize(CENT, ROUND_DOWN)
        values.update(amends_line_id=line.pk, subtotal=back, total=back, charge_type="customerCredit",
                      pricing_pre_tax_total=-(line.pricing_pre_tax_total * Decimal(share)).quantize(CENT, ROUND_DOWN))
        corrections.append(InvoiceLine(invoice=doc, **values))
    InvoiceLine.objects.bulk_create(corrections)
    return finalize(doc)


def add_rated_rows(template: UsageRecord, count: int) -> None:
    """`count` copies of the rated row `template` on the same day, inserted in one statement (volume tests)."""
    columns = [f.column for f in UsageRecord._meta.concrete_fields if f.column != "id"]
    names = ", ".join(columns)
    values = ", ".join("resource_uri || '/' || g" if c == "resource_uri" else c for c in columns)
    with connection.cursor() as cursor:  # copies differ by resource (the rows' natural key)
        cursor.execute(f"INSERT INTO {UsageRecord._meta.db_table} ({names}) SELECT {values} "
                       f"FROM {UsageRecord._meta.db_table}, generate_series(1, %s) g WHERE id = %s",
                       [count, template.pk])


__all__ = ["STORAGE", "add_rated_rows", "add_usage", "credit_note", "finalize", "rated", "rated_invoice"]
