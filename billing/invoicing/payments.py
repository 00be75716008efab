"""Recording money received from the organisation (docs/billing.md "Payments, credit notes and the credit limit").

`payment_record` writes one `Payment` and its `PaymentAllocation`s in one transaction, under a lock of the
organisation's open invoices (two payments recorded at the same moment cannot both settle the same balance):

- the currency must be the organisation's billing currency (invoices are issued in it);
- allocations name invoices and amounts; without them the payment settles the oldest unpaid invoices first (by due
  date, then number); an invoice takes at most its balance;
- what is not allocated is kept as overpayment (shown on the balance page, taken off in the credit limit formula);
- an invoice whose balance reaches 0 moves to paid (core.status.status_move), audited with the payment.
Balances are derived (billing.invoicing.balances), never stored."""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organisation
from accounts.permissions import Perm, require
from core.audit import audit_record
from core.errors import InvalidInput, NotFound
from core.money import minor_units
from core.status import status_move

from ..errors import InvoiceNotOpen
from ..models import DocumentType, Invoice, InvoiceStatus, Payment, PaymentAllocation
from .balances import ZERO, with_balances

MAX_AMOUNT = Decimal("999999999999999999.99")


def parse_amount(value, *, field, currency, what=None) -> Decimal:
    """A positive amount with at most the currency's minor units (2 for most), as Decimal; a float is refused (its
    binary value is not the amount typed)."""
    if isinstance(value, float | bool) or value is None or value == "":
        raise InvalidInput(_("Enter the amount as a number with at most %(places)s decimals, e.g. \"125.50\".")
                           % {"places": minor_units(currency)}, field=field)
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise InvalidInput(_("%(what)s is not a number.") % {"what": what or field}, field=field) from None
    if not amount.is_finite() or amount <= 0:
        raise InvalidInput(_("%(what)s must be more than 0.") % {"what": what or field}, field=field)
    places = minor_units(currency)
    if amount != amount.quantize(Decimal(1).scaleb(-places)) or amount > MAX_AMOUNT:
        raise InvalidInput(_("%(what)s has at most %(places)s decimals.") % {"what": what or field, "places": places},
                           field=field)
    return amount.quantize(Decimal("0.01"))


def _open_invoices(organisation_id):
    """The organisation's invoices that may owe something, locked (in id order, so concurrent payments queue)."""
    ids = list(Invoice.objects.select_for_update().filter(
        organisation_id=organisation_id, document_type=DocumentType.INVOICE,
        status__in=(InvoiceStatus.FINALIZED, InvoiceStatus.PAID)).order_by("id").values_list("id", flat=True))
    return with_balances(Invoice.objects.filter(id__in=ids)).order_by("due_date", "number", "id")


def _explicit(invoices, organisation_id, allocations, amount, currency):
    by_key = {}
    for inv in invoices:
        by_key[str(inv.public_id)] = inv
        by_key[(inv.number or "").upper()] = inv
    planned, total = [], ZERO
    for index, item in enumerate(allocations):
        if not isinstance(item, dict):
            raise InvalidInput(_("Each allocation is {\"invoiceId\": ..., \"amount\": ...}."), field="allocations")
        key = str(item.get("invoice") or item.get("invoiceId") or "").strip()
        inv = by_key.get(key) or by_key.get(key.upper())
        if inv is None:
            if Invoice.objects.filter(organisation_id=organisation_id, number__iexact=key).exists():
                raise InvoiceNotOpen(_("Invoice %(id)s owes nothing: it cannot take a payment.") % {"id": key},
                                     parameters={"invoiceId": key, "allocation": index})
            raise NotFound(_("No invoice %(id)s.") % {"id": key}, parameters={"invoiceId": key, "allocation": index})
        part = parse_amount(item.get("amount"), field="allocations", currency=currency,
                            what=_("The amount for %(id)s") % {"id": inv.number})
        if inv.balance <= 0:
            raise InvoiceNotOpen(_("Invoice %(id)s owes nothing: it cannot take a payment.") % {"id": inv.number},
                                 parameters={"invoiceId": inv.number, "status": inv.status, "allocation": index})
        if part > inv.balance:
            raise InvalidInput(_("Invoice %(id)s owes %(balance)s %(currency)s: allocate at most that.") % {
                "id": inv.number, "balance": inv.balance, "currency": inv.currency}, field="allocations",
                parameters={"invoiceId": inv.number, "allocation": index})
        if any(p[0].pk == inv.pk for p in planned):
            raise InvalidInput(_("Invoice %(id)s is named twice.") % {"id": inv.number}, field="allocations")
        planned.append((inv, part))
        total += part
    if total > amount:
        raise InvalidInput(_("The allocations (%(total)s) add up to more than the payment (%(amount)s).") % {
            "total": total, "amount": amount}, field="allocations")
    return planned


def _oldest_first(invoices, amount):
    planned, rest = [], amount
    for inv in invoices:
        if rest <= 0:
            break
        if inv.balance > 0:
            part = min(rest, inv.balance)
            planned.append((inv, part))
            rest -= part
    return planned


def payment_record(*, actor, amount, currency, received_on, reference, allocations=None, note="") -> Payment:
    """Record a payment of the actor's organisation (Perm.RECORD_PAYMENTS). Nothing is written on any error."""
    require(actor, Perm.RECORD_PAYMENTS)
    organisation = Organisation.objects.select_related("country").get(pk=actor.organisation_id)
    billing_currency = organisation.billing_currency
    currency = str(currency or "").strip().upper()
    if currency != billing_currency:
        raise InvalidInput(_("Payments are in the billing currency, %(currency)s.") % {"currency": billing_currency},
                           field="currency")
    amount = parse_amount(amount, field="amount", currency=currency, what=_("The amount"))
    if isinstance(received_on, str):
        try:
            received_on = dt.date.fromisoformat(received_on.strip()[:10])
        except ValueError:
            raise InvalidInput(_("The date received is YYYY-MM-DD."), field="receivedOn") from None
    if not isinstance(received_on, dt.date):
        raise InvalidInput(_("The date received is required (YYYY-MM-DD)."), field="receivedOn")
    if received_on > timezone.now().date():
        raise InvalidInput(_("The date received cannot be in the future."), field="receivedOn")
    reference = str(reference or "").strip()
    if not reference or len(reference) > 100:
        raise InvalidInput(_("Give the payment's reference (at most 100 characters), as on the bank statement."),
                           field="reference")
    if allocations is not None and not isinstance(allocations, list):
        raise InvalidInput(_("allocations is a list of {\"invoiceId\": ..., \"amount\": ...}."), field="allocations")
    with transaction.atomic():
        invoices = list(_open_invoices(organisation.pk))
        if allocations:
            planned = _explicit(invoices, organisation.pk, allocations, amount, currency)
        else:
            planned = _oldest_first(invoices, amount)
        now = timezone.now()
        payment = Payment.objects.create(organisation=organisation, amount=amount, currency=currency,
                                         received_on=received_on, reference=reference, note=str(note or "")[:2000],
                                         created_at=now, created_by_id=actor.user_id,
                                         created_by_label=actor.label[:255])
        PaymentAllocation.objects.bulk_create(PaymentAllocation(payment=payment, invoice=inv, amount=part)
                                              for inv, part in planned)
        allocated = sum((part for _inv, part in planned), ZERO)
        audit_record(actor=actor, action="payment.recorded", obj=payment, data={
            "amount": str(amount), "currency": currency, "receivedOn": received_on.isoformat(),
            "reference": reference, "unallocated": str(amount - allocated),
            "allocations": [{"invoice": inv.number, "amount": str(part)} for inv, part in planned]})
        for inv, part in planned:
            if inv.balance - part <= 0 and inv.status == InvoiceStatus.FINALIZED:
                settle(actor=actor, invoice=inv, now=now, because={"payment": str(payment.public_id)})
    return payment


def settle(*, actor, invoice, now, because):
    """Move a finalized invoice whose balance reached 0 to paid, audited."""
    invoice.paid_at = now
    status_move(invoice, InvoiceStatus.PAID, fields=("paid_at",))
    audit_record(actor=actor, action="invoice.paid", obj=invoice, data=because)
