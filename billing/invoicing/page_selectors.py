"""Reads of the invoicing pages of the Billing workspace (invoices, an invoice, payments, balance and credit limit,
unbilled charges of the open month, a customer's invoiced months). Scoped through billing.invoicing.selectors (the
actor's organisation, Perm.VIEW_INVOICES); sums in SQL."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import groupby

from django.db import connection
from django.db.models import Count, Max, Min, Q, Sum

from accounts.models import Organisation
from accounts.permissions import Perm, require

from ..models import DocumentType, Invoice, InvoiceLine, InvoiceStatus
from . import selectors
from .balances import ZERO, with_balances
from .credit import credit_position
from .lines_sql import line_select


def month_of(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(f"{value.strip()[:7]}-01")
    except (ValueError, AttributeError):
        return None


def invoice_list(*, actor, status="", document_type="", month_from=None, month_to=None, search="", overdue=False):
    """The organisation's issued invoices and credit notes, newest first, with balances; filtered."""
    qs = with_balances(selectors.invoices_for(actor)).select_related("amends_of")
    if status in InvoiceStatus.values:
        qs = qs.filter(status=status)
        if status == InvoiceStatus.FINALIZED:  # "not paid yet": invoices (an issued credit note is finalized too)
            qs = qs.filter(document_type=DocumentType.INVOICE)
    if document_type in DocumentType.values:
        qs = qs.filter(document_type=document_type)
    if month_from:
        qs = qs.filter(period_start__gte=month_from)
    if month_to:
        qs = qs.filter(period_start__lte=month_to)
    if search:
        qs = qs.filter(Q(number__icontains=search) | Q(amends_of__number__icontains=search))
    if overdue:
        qs = qs.filter(overdue=True)
    return qs.order_by("-invoice_date", "-number", "-id")


def invoice_detail(*, actor, public_id):
    invoice = selectors.invoice_get(actor, public_id)
    return with_balances(Invoice.objects.filter(pk=invoice.pk)).select_related("amends_of").get()


@dataclass
class CustomerGroup:
    customer_id: int
    name: str
    tenant_id: str
    lines: list = field(default_factory=list)
    total: Decimal = ZERO


def lines_by_customer(invoice) -> list[CustomerGroup]:
    """The invoice's lines grouped by customer (name order), then by meter (meter name, PEC), with what each line
    still has to credit (for the credit note form)."""
    from .balances import line_remaining

    remaining = line_remaining(invoice.pk) if invoice.document_type == DocumentType.INVOICE else {}
    lines = (InvoiceLine.objects.filter(invoice=invoice).select_related("customer", "amends_line")
             .order_by("customer__company_name", "customer_id", "meter_category", "meter_name", "meter_id",
                       "pec_percentage", "id"))
    groups = []
    for customer_id, rows in groupby(lines, key=lambda line: line.customer_id):
        rows = list(rows)
        group = CustomerGroup(customer_id=customer_id, name=rows[0].customer.company_name,
                              tenant_id=str(rows[0].customer.tenant_id))
        for line in rows:
            line.remaining = remaining.get(line.pk, ZERO)
            group.lines.append(line)
            group.total += line.subtotal
        groups.append(group)
    return groups


def credit_notes_of(invoice):
    return with_balances(Invoice.objects.filter(amends_of=invoice, status__in=(InvoiceStatus.FINALIZED,
                                                                                InvoiceStatus.PAID))).order_by("id")


def payments_of(invoice):
    return invoice.allocations.select_related("payment").order_by("payment__received_on", "id")


def payment_list(*, actor):
    from django.db.models import F, Value
    from django.db.models.functions import Coalesce

    from .balances import AMOUNT

    return (selectors.payments_for(actor)
            .annotate(allocated=Coalesce(Sum("allocations__amount"), Value(ZERO), output_field=AMOUNT))
            .annotate(kept=F("amount") - F("allocated"))
            .prefetch_related("allocations__invoice").order_by("-received_on", "-id"))


def payment_get(*, actor, public_id):
    from django.core.exceptions import ValidationError
    from django.http import Http404

    try:
        found = selectors.payments_for(actor).filter(public_id=public_id).first()
    except (ValidationError, ValueError):  # not a UUID
        found = None
    if found is None:
        raise Http404(str(public_id))
    return found


def open_invoices(*, actor):
    """Invoices that owe something, oldest due first (the payment form's choices)."""
    return (with_balances(selectors.invoices_for(actor).filter(document_type=DocumentType.INVOICE,
                                                               status=InvoiceStatus.FINALIZED))
            .filter(balance__gt=0).order_by("due_date", "number"))


def organisation_of(actor):
    require(actor, Perm.VIEW_INVOICES)
    return Organisation.objects.select_related("country").get(pk=actor.organisation_id)


def position(*, actor):
    organisation = organisation_of(actor)
    return organisation, credit_position(organisation)


def unbilled_by_customer(*, actor, month: dt.date, today: dt.date):
    """The open month's charges so far, by customer: the lines a billing run would write (lines_sql.line_select,
    the one definition), summed per customer. [{customer_id, name, tenant_id, lines, meters, total, pricing}]"""
    require(actor, Perm.VIEW_INVOICES)
    next_month = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    params = {"org": actor.organisation_id, "m0": month, "m1": next_month, "last": next_month - dt.timedelta(days=1)}
    sql = (f"SELECT l.customer_id, c.company_name, c.tenant_id, count(*), count(DISTINCT l.meter_id), "
           f"sum(l.subtotal), sum(l.pricing_pre_tax_total), max(l.currency) "
           f"FROM ({line_select()}) AS l (organisation_id, customer_id, azure_plan_id, reseller_id, product_id, "
           "sku_id, availability_id, meter_id, charge_type, pec_percentage, product_name, sku_name, meter_name, "
           "meter_category, meter_subcategory, meter_region, unit_type, publisher_name, publisher_id, pad, quantity, "
           "billable_quantity, unit_price, effective_unit_price, pricing_currency, pricing_pre_tax_total, currency, "
           "subtotal, tax_total, total, exchange_rate, exchange_rate_date, charge_start_date, charge_end_date, "
           "usage_rows) JOIN customers_customer c ON c.id = l.customer_id "
           "GROUP BY l.customer_id, c.company_name, c.tenant_id ORDER BY sum(l.subtotal) DESC, c.company_name")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [{"customer_id": r[0], "name": r[1], "tenant_id": str(r[2]), "lines": r[3], "meters": r[4],
             "total": r[5] or ZERO, "pricing": r[6] or ZERO, "currency": r[7]} for r in rows]


def customer_invoiced_months(*, actor, customer, limit=12):
    """The months the customer was invoiced for (its lines on issued invoices): [{month, number, public_id, total,
    currency, lines, credited}] newest first."""
    qs = (InvoiceLine.objects.filter(organisation_id=actor.organisation_id, customer=customer,
                                     invoice__organisation_id=actor.organisation_id,
                                     invoice__status__in=(InvoiceStatus.FINALIZED, InvoiceStatus.PAID))
          .values("invoice__period_start")
          .annotate(total=Sum("subtotal"), lines=Count("id", filter=Q(amends_line__isnull=True)),
                    credited=Sum("subtotal", filter=Q(amends_line__isnull=False)),
                    number=Min("invoice__number", filter=Q(invoice__document_type=DocumentType.INVOICE)),
                    currency=Max("currency"))
          .order_by("-invoice__period_start")[:limit])
    rows = list(qs)
    ids = dict(Invoice.objects.filter(organisation_id=actor.organisation_id,
                                      number__in=[r["number"] for r in rows if r["number"]])
               .values_list("number", "public_id"))
    return [{"month": r["invoice__period_start"], "number": r["number"], "public_id": ids.get(r["number"]),
             "total": r["total"], "currency": r["currency"], "lines": r["lines"], "credited": r["credited"] or ZERO}
            for r in rows]
