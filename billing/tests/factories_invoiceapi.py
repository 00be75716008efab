"""Test data for the invoice API: a credit note amending an issued invoice (built as the credit note service leaves
one: lines while a draft, then numbered and finalized), a payment allocated to invoices, rated usage rows of a month
(factories_rating's rows with the rating columns filled), and the recursive field names of Microsoft's samples."""

import datetime as dt
from decimal import ROUND_DOWN, Decimal

from django.db import transaction
from django.utils import timezone

from ..invoicing.numbers import next_number
from ..models import DocumentType, Invoice, InvoiceLine, InvoiceStatus, Payment, PaymentAllocation
from .factories_rating import usage, usage_rows

CENT = Decimal("0.01")
_LINE_FIELDS = [f.name for f in InvoiceLine._meta.concrete_fields if f.name not in ("id", "invoice", "amends_line")]


@transaction.atomic
def credit_note(invoice, *, share=Decimal("0.5"), reason="Price correction") -> Invoice:
    """An issued credit note of `invoice` giving back `share` of each of its lines (negative lines pointing at them)."""
    now = timezone.now()
    note = Invoice.objects.create(organisation_id=invoice.organisation_id, document_type=DocumentType.CREDIT_NOTE,
                                  amends_of=invoice, period_start=invoice.period_start, period_end=invoice.period_end,
                                  currency=invoice.currency, reason=reason, created_at=now)
    lines = []
    for line in InvoiceLine.objects.filter(invoice=invoice).order_by("id"):
        values = {name: getattr(line, name) for name in _LINE_FIELDS}
        for name in ("subtotal", "total", "pricing_pre_tax_total"):
            values[name] = -(values[name] * share).quantize(CENT, ROUND_DOWN)
        values["customer_id"], values["azure_plan_id"] = values.pop("customer").pk, values.pop("azure_plan").pk
        lines.append(InvoiceLine(invoice=note, amends_line=line, **values))
    InvoiceLine.objects.bulk_create(lines)
    total = sum((line.subtotal for line in lines), Decimal("0"))
    Invoice.objects.filter(pk=note.pk).update(
        total_credits=total, subtotal=total, total_amount=total, line_count=len(lines),
        pricing_total=sum((line.pricing_pre_tax_total for line in lines), Decimal("0")))
    issued = invoice.invoice_date + dt.timedelta(days=3)
    Invoice.objects.filter(pk=note.pk).update(number=next_number(invoice.organisation_id),
                                              status=InvoiceStatus.FINALIZED, invoice_date=issued,
                                              due_date=issued + dt.timedelta(days=60), finalized_at=now)
    note.refresh_from_db()
    return note


def payment(organisation, allocations, *, received_on=dt.date(2026, 12, 1), currency="USD") -> Payment:
    """A payment of the sum of `allocations` ({invoice: amount}) received on `received_on`."""
    amounts = {invoice: Decimal(str(amount)) for invoice, amount in allocations.items()}
    paid = Payment.objects.create(organisation=organisation, amount=sum(amounts.values(), Decimal("0")),
                                  currency=currency, received_on=received_on, reference="REF-1",
                                  created_at=timezone.now())
    PaymentAllocation.objects.bulk_create([PaymentAllocation(payment=paid, invoice=invoice, amount=amount)
                                           for invoice, amount in amounts.items()])
    return paid


def rated_usage(sub, day, quantity, *, unit_price="0.868", pec=0, currency=None, rate="1", **fields):
    """An unsaved usage row of `sub` (factories_rating.usage) with the rating columns filled as rating fills them."""
    quantity, unit_price, rate = Decimal(str(quantity)), Decimal(unit_price), Decimal(rate)
    effective = unit_price * (1 - Decimal(pec) / 100)
    usd = (effective * quantity).quantize(CENT, ROUND_DOWN)
    return usage(sub, day, quantity, rated_at=timezone.now(), unit_price=unit_price, pec_percentage=Decimal(pec),
                 effective_unit_price=effective, pricing_currency="USD", pricing_pre_tax_total=usd,
                 billing_currency=currency or sub.plan.customer.organisation.country.currency, exchange_rate=rate,
                 exchange_rate_date=day.replace(day=1), billing_pre_tax_total=(usd * rate).quantize(CENT, ROUND_DOWN),
                 charge_type="new", **fields)


def add_rated(rows):
    return usage_rows(rows)


def field_names(value, path="") -> set[str]:
    """Every property path of a JSON value ("items[].invoiceDetails[].links.self.uri"), lists merged."""
    names = set()
    if isinstance(value, dict):
        for key, item in value.items():
            names.add(path + key)
            names |= field_names(item, path + key + ".")
    elif isinstance(value, list):
        for item in value:
            names |= field_names(item, path.rstrip(".") + "[].")
    return names
