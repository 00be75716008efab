"""Credit notes: the only correction of an issued invoice (docs/billing.md "Payments, credit notes and the credit
limit"). A Billing admin credits chosen lines of a finalized or paid invoice, each for an amount or for all it still
has, with a reason. The credit note is an `Invoice` of document type credit_note amending the invoice, with its own
`G` number drawn from the same gap-free counter in the same transaction, and one negative line per line credited
(`amends_line`). Nothing is written on any error: the checks come first, and the whole is one transaction.

A credited line keeps what is left for a later credit note (its subtotal minus the earlier corrections); an invoice
whose balance falls to 0 or below by the credit moves to paid (what is below 0 is the organisation's credit, counted
as overpayment)."""

from decimal import ROUND_DOWN, Decimal

from django.db import transaction
from django.forms.models import model_to_dict
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import Perm, require
from core.audit import audit_record
from core.errors import InvalidInput

from ..errors import InvoiceNotOpen
from ..models import DocumentType, Invoice, InvoiceLine, InvoiceStatus
from ..models.usage import QTY_PLACES
from .balances import ZERO, balance_of, line_remaining
from .numbers import next_number
from .payments import parse_amount, settle

REASON_MAX = 2000
CENT = Decimal("0.01")
COPIED = ("organisation_id", "customer", "azure_plan", "reseller_id", "product_id", "sku_id", "availability_id",
          "meter_id", "product_name", "sku_name", "meter_name", "meter_category", "meter_subcategory", "meter_region",
          "unit_type", "publisher_name", "publisher_id", "charge_type", "pec_percentage",
          "price_adjustment_description", "unit_price", "effective_unit_price", "pricing_currency", "currency",
          "exchange_rate", "exchange_rate_date", "charge_start_date", "charge_end_date")


def _check_invoice(invoice):
    if invoice.document_type != DocumentType.INVOICE or invoice.status not in (InvoiceStatus.FINALIZED,
                                                                                InvoiceStatus.PAID):
        raise InvoiceNotOpen(
            _("A credit note corrects a finalized or paid invoice; %(id)s is %(status)s.") % {
                "id": invoice.number or _("this draft"), "status": invoice.get_status_display().lower()
                if invoice.document_type == DocumentType.INVOICE else _("a credit note")},
            parameters={"invoiceId": invoice.number or str(invoice.public_id), "status": invoice.status,
                        "documentType": invoice.document_type})


def _planned(invoice, lines):
    """[(line, amount credited)] after every check; `lines` {line id: amount or None for all that is left}."""
    if not isinstance(lines, dict) or not lines:
        raise InvalidInput(_("Choose at least one line to credit."), field="lines")
    remaining = line_remaining(invoice.pk)
    by_id = {line.pk: line for line in InvoiceLine.objects.filter(invoice=invoice, pk__in=[
        int(k) for k in lines if str(k).isdigit()]).select_related("customer")}
    planned = []
    for key, value in lines.items():
        line = by_id.get(int(key)) if str(key).isdigit() else None
        if line is None or line.amends_line_id is not None:
            raise InvalidInput(_("Line %(line)s is not a line of invoice %(id)s.") % {"line": key, "id": invoice.number},
                               field="lines", parameters={"lineId": str(key)})
        left = remaining[line.pk]
        if left <= 0:
            raise InvalidInput(_("Line %(line)s (%(meter)s) has been credited in full already.") % {
                "line": line.pk, "meter": line.meter_name or line.meter_id}, field=f"line_{line.pk}",
                parameters={"lineId": str(line.pk)})
        if value is None or value == "":
            amount = left
        else:
            amount = parse_amount(value, field=f"line_{line.pk}", currency=invoice.currency,
                                  what=_("The amount of line %(line)s") % {"line": line.pk})
            if amount > left:
                raise InvalidInput(_("Line %(line)s has %(left)s %(currency)s left to credit: at most that.") % {
                    "line": line.pk, "left": left, "currency": invoice.currency}, field=f"line_{line.pk}",
                    parameters={"lineId": str(line.pk), "remaining": str(left)})
        planned.append((line, amount, amount == left))
    return planned


def _credit_line(credit_note, line, amount, whole):
    """The negative line correcting `line` by `amount` (in the billing currency). The USD amount and the quantity
    follow in proportion (rounded down, Microsoft's rule), or exactly what is left when the line is credited whole."""
    share = amount / line.subtotal if line.subtotal else Decimal(1)
    if whole and share == 1:
        pricing, quantity = line.pricing_pre_tax_total, line.quantity
    else:
        pricing = (line.pricing_pre_tax_total * share).quantize(CENT, ROUND_DOWN)
        quantity = (line.quantity * share).quantize(Decimal(1).scaleb(-QTY_PLACES), ROUND_DOWN)
    values = model_to_dict(line, fields=COPIED)
    values["customer_id"] = values.pop("customer")
    values["azure_plan_id"] = values.pop("azure_plan")
    return InvoiceLine(invoice=credit_note, amends_line=line, quantity=-quantity, billable_quantity=-quantity,
                       pricing_pre_tax_total=-pricing, subtotal=-amount, tax_total=ZERO, total=-amount,
                       usage_rows=0, **values)


def credit_note_issue(*, actor, invoice, lines, reason) -> Invoice:
    """Issue a credit note for `lines` of `invoice` (Perm.ISSUE_CREDIT_NOTES). Returns the finalized credit note."""
    require(actor, Perm.ISSUE_CREDIT_NOTES)
    if invoice.organisation_id != actor.organisation_id:
        from django.http import Http404

        raise Http404(str(invoice.public_id))
    reason = str(reason or "").strip()
    if not reason:
        raise InvalidInput(_("Give the reason for the credit note: the partner reads it."), field="reason")
    if len(reason) > REASON_MAX:
        raise InvalidInput(_("The reason is at most %(n)s characters.") % {"n": REASON_MAX}, field="reason")
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        _check_invoice(invoice)
        planned = _planned(invoice, lines)
        now = timezone.now()
        note = Invoice.objects.create(
            organisation_id=invoice.organisation_id, document_type=DocumentType.CREDIT_NOTE, amends_of=invoice,
            period_start=invoice.period_start, period_end=invoice.period_end, currency=invoice.currency,
            pricing_currency=invoice.pricing_currency, reason=reason, created_at=now, created_by_id=actor.user_id,
            created_by_label=actor.label[:255])
        new_lines = InvoiceLine.objects.bulk_create(_credit_line(note, line, amount, whole)
                                                    for line, amount, whole in planned)
        total = -sum((amount for _line, amount, _whole in planned), ZERO)
        note.pricing_total = sum((x.pricing_pre_tax_total for x in new_lines), ZERO)
        note.total_charges, note.total_credits = ZERO, total
        note.subtotal = note.total_amount = total
        note.line_count = len(new_lines)
        note.save()
        # Issued: the number, the date and the status in one write (the lines are in, and now cannot change).
        today = timezone.localdate(now)
        Invoice.objects.filter(pk=note.pk).update(number=next_number(invoice.organisation_id),
                                                  status=InvoiceStatus.FINALIZED, invoice_date=today,
                                                  finalized_at=now)
        note.refresh_from_db()
        audit_record(actor=actor, action="credit_note.issued", obj=note, data={
            "amendsOf": invoice.number, "total": str(total), "currency": note.currency, "reason": reason,
            "lines": [{"line": line.pk, "amount": str(amount)} for line, amount, _whole in planned]})
        if invoice.status == InvoiceStatus.FINALIZED and balance_of(invoice).balance <= 0:
            settle(actor=actor, invoice=invoice, now=now, because={"creditNote": note.number})
    return note
