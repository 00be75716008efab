"""Test data for invoicing: an issued invoice (or a draft) of an organisation's month with lines for a few customers'
Azure plans, written the way the billing run leaves them (lines while the invoice is a draft, then the number drawn
and the status moved), so the database's immutability triggers hold from the start."""

import datetime as dt
from decimal import ROUND_DOWN, Decimal

from django.db import transaction
from django.utils import timezone

from ..invoicing.numbers import next_number
from ..models import Invoice, InvoiceLine, InvoiceStatus
from .factories_rating import VM, world

PEC_TEXT = '["15.0% Partner earned credit for services managed"]'


def month_end(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def line_values(estate, *, quantity="100", unit_price="0.868", pec=Decimal("0"), rate="1", currency="USD",
                meter=VM, month=dt.date(2026, 10, 1)):
    """The fields of one line of `estate` (factories_rating.world()), amounts by Microsoft's rounding."""
    quantity, unit_price, rate = Decimal(quantity), Decimal(unit_price), Decimal(rate)
    effective = unit_price * (1 - Decimal(pec) / 100)
    usd = (effective * quantity).quantize(Decimal("0.01"), ROUND_DOWN)
    billed = (usd * rate).quantize(Decimal("0.01"), ROUND_DOWN)
    return {"organisation_id": estate.organisation.pk, "customer": estate.customer, "azure_plan": estate.plan,
            "reseller_id": estate.plan.reseller_id, "product_id": meter.product_id, "sku_id": meter.sku_id,
            "availability_id": "DZH318Z0BQ4X/003C/0001", "meter_id": meter.meter_id, "product_name": "Virtual Machines",
            "sku_name": "D2 v3", "meter_name": "D2 v3", "meter_category": "Virtual Machines", "unit_type": "1 Hour",
            "publisher_name": "Microsoft", "charge_type": "New", "pec_percentage": Decimal(pec),
            "price_adjustment_description": PEC_TEXT if pec else "", "quantity": quantity,
            "billable_quantity": quantity, "unit_price": unit_price, "effective_unit_price": effective,
            "pricing_currency": "USD", "pricing_pre_tax_total": usd, "currency": currency, "subtotal": billed,
            "total": billed, "exchange_rate": rate, "exchange_rate_date": month_end(month),
            "charge_start_date": month, "charge_end_date": month_end(month), "usage_rows": 30}


@transaction.atomic
def invoice(organisation=None, *, month=dt.date(2026, 10, 1), customers=2, status=InvoiceStatus.FINALIZED,
            currency="USD", rate="1", lines=None) -> Invoice:
    """An invoice of `organisation`'s `month` with one line per customer (`customers` new customers with an Azure
    plan, a VM meter, one with PEC), or the given `lines` (dicts of line_values). Finalized unless `status`."""
    estates = []
    if lines is None:
        for _n in range(customers):
            estate = world(organisation=organisation)
            organisation = estate.organisation
            estates.append(estate)
        lines = [line_values(e, quantity=str(100 + 10 * n), pec=Decimal(15 if n % 2 == 0 else 0), rate=rate,
                             currency=currency, month=month) for n, e in enumerate(estates)]
    elif organisation is None:
        raise ValueError("pass the organisation with explicit lines")
    now = timezone.now()
    doc = Invoice.objects.create(organisation=organisation, period_start=month, period_end=month_end(month),
                                 currency=currency, created_at=now)
    InvoiceLine.objects.bulk_create([InvoiceLine(invoice=doc, **values) for values in lines])
    amounts = [values["subtotal"] for values in lines]
    doc.pricing_total = sum((values["pricing_pre_tax_total"] for values in lines), Decimal("0"))
    doc.total_charges = sum((a for a in amounts if a > 0), Decimal("0"))
    doc.total_credits = sum((a for a in amounts if a < 0), Decimal("0"))
    doc.subtotal = doc.total_amount = doc.total_charges + doc.total_credits
    doc.line_count = len(lines)
    doc.save()
    if status != InvoiceStatus.DRAFT:
        issued = month_end(month) + dt.timedelta(days=1)
        Invoice.objects.filter(pk=doc.pk).update(
            number=next_number(organisation.pk), status=InvoiceStatus.FINALIZED, invoice_date=issued,
            due_date=issued + dt.timedelta(days=60), finalized_at=now)
        if status != InvoiceStatus.FINALIZED:
            Invoice.objects.filter(pk=doc.pk).update(status=status)
        doc.refresh_from_db()
    return doc
