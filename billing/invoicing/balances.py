"""What an invoice still owes, derived, never stored (DESIGN.md §3 "Money"; docs/billing.md "Payments, credit notes
and the credit limit"):

- `paid_amount` = the sum of the payment allocations to the invoice (Partner Center's `paidAmount`);
- `credited` = what the issued credit notes amending it take off (a positive amount: minus their totals);
- `balance` = total - credited - paid; a credit note owes nothing itself (its balance is 0). A balance below 0 (a
  credit note issued after the invoice was paid) is money the organisation has to its credit: it counts with the
  unallocated payments as overpayment;
- `overdue` = finalized (not paid or void), the due date passed, and a balance above 0.

`with_balances(queryset)` annotates them in SQL, so lists and sums never loop in Python."""

import datetime as dt
from decimal import Decimal

from django.db.models import Case, DecimalField, ExpressionWrapper, F, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce

from ..models import DocumentType, Invoice, InvoiceLine, InvoiceStatus, PaymentAllocation
from ..models.usage import AMOUNT_DIGITS, AMOUNT_PLACES

ZERO = Decimal("0.00")
AMOUNT = DecimalField(max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_PLACES)
OPEN_STATUSES = (InvoiceStatus.FINALIZED, InvoiceStatus.PAID)


def paid_subquery():
    return Coalesce(Subquery(
        PaymentAllocation.objects.filter(invoice_id=OuterRef("pk")).order_by().values("invoice_id")
        .annotate(s=Sum("amount")).values("s")[:1], output_field=AMOUNT), Value(ZERO), output_field=AMOUNT)


def credited_subquery():
    return Coalesce(Subquery(
        Invoice.objects.filter(amends_of_id=OuterRef("pk"), document_type=DocumentType.CREDIT_NOTE,
                               status__in=OPEN_STATUSES).order_by().values("amends_of_id")
        .annotate(s=Sum("total_amount")).values("s")[:1], output_field=AMOUNT), Value(ZERO), output_field=AMOUNT)


def with_balances(queryset, *, today: dt.date | None = None):
    """The invoices annotated with paid_amount, credited, balance and overdue (today: the date overdue is judged
    on, default the server's)."""
    from django.utils import timezone

    today = today or timezone.now().date()
    qs = queryset.annotate(paid_amount=paid_subquery(), credited_raw=credited_subquery())
    qs = qs.annotate(
        credited=ExpressionWrapper(-F("credited_raw"), output_field=AMOUNT),
        balance=Case(
            When(document_type=DocumentType.INVOICE, status__in=OPEN_STATUSES,
                 then=ExpressionWrapper(F("total_amount") + F("credited_raw") - F("paid_amount"),
                                        output_field=AMOUNT)),
            default=Value(ZERO), output_field=AMOUNT))
    return qs.annotate(overdue=Case(
        When(Q(document_type=DocumentType.INVOICE, status=InvoiceStatus.FINALIZED, due_date__lt=today,
               balance__gt=0), then=Value(True)), default=Value(False)))


def balance_of(invoice, *, today=None):
    """The invoice with its derived figures (a fresh read)."""
    return with_balances(Invoice.objects.filter(pk=invoice.pk), today=today).get()


def line_remaining(invoice_id):
    """{line id: what the line still has after the issued credit notes (its subtotal minus their corrections)} for
    the lines of an invoice."""
    corrections = (InvoiceLine.objects.filter(amends_line_id=OuterRef("pk"), invoice__status__in=OPEN_STATUSES)
                   .order_by().values("amends_line_id").annotate(s=Sum("subtotal")).values("s")[:1])
    rows = (InvoiceLine.objects.filter(invoice_id=invoice_id)
            .annotate(corrected=Coalesce(Subquery(corrections, output_field=AMOUNT), Value(ZERO), output_field=AMOUNT))
            .values_list("id", "subtotal", "corrected"))
    return {pk: subtotal + corrected for pk, subtotal, corrected in rows}
