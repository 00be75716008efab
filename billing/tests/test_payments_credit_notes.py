"""Payments (allocations, partial, overpayment, paid), credit notes (own number, amends, limits, nothing written on an
error) and the credit limit formula and its refusal at checkout."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from accounts.actors import actor_for_user
from accounts.choices import Role
from accounts.tests.factories import UserFactory
from billing.errors import CreditLimitExceeded, InvoiceNotOpen
from billing.invoicing.balances import balance_of, with_balances
from billing.invoicing.credit import credit_limit_set, credit_position, purchase_check
from billing.invoicing.credit_notes import credit_note_issue
from billing.invoicing.payments import payment_record
from billing.models import DocumentType, Invoice, InvoiceLine, InvoiceStatus, Payment, PaymentAllocation
from core.errors import InvalidInput, PermissionDenied
from core.models import AuditEvent

from .factories_invoicing import invoice

pytestmark = pytest.mark.django_db
TODAY = dt.date(2027, 2, 1)


def admin_of(organisation, role=Role.BILLING_ADMIN):
    return actor_for_user(UserFactory(organisation=organisation, roles=[role.value]))


def test_a_payment_settles_the_oldest_invoice_first_then_partly_the_next_and_keeps_the_rest():
    oct_ = invoice(month=dt.date(2026, 10, 1))
    nov = invoice(oct_.organisation, month=dt.date(2026, 11, 1))
    actor = admin_of(oct_.organisation)
    payment = payment_record(actor=actor, amount=oct_.total_amount + Decimal("10.00"), currency="USD",
                             received_on=dt.date(2026, 12, 1), reference="BANK-1")
    oct_.refresh_from_db()
    assert oct_.status == InvoiceStatus.PAID and oct_.paid_at is not None
    assert balance_of(oct_).balance == 0 and balance_of(oct_).paid_amount == oct_.total_amount
    nov_b = balance_of(nov)
    assert nov_b.status == InvoiceStatus.FINALIZED and nov_b.paid_amount == Decimal("10.00")
    assert nov_b.balance == nov.total_amount - Decimal("10.00")
    # More than what is owed: the rest is kept as overpayment and lowers what the credit limit counts.
    payment_record(actor=actor, amount=nov_b.balance + Decimal("5.00"), currency="USD", received_on="2026-12-02",
                   reference="BANK-2")
    assert balance_of(nov).status == InvoiceStatus.PAID
    position = credit_position(oct_.organisation)
    assert position.unpaid == 0 and position.overpayment == Decimal("5.00")
    assert AuditEvent.objects.filter(action="payment.recorded").count() == 2
    assert AuditEvent.objects.filter(action="invoice.paid").count() == 2
    assert payment.allocations.count() == 2


def test_explicit_allocations_and_refusals_write_nothing():
    doc = invoice()
    actor = admin_of(doc.organisation)
    with pytest.raises(InvalidInput) as bad:
        payment_record(actor=actor, amount="10.00", currency="EUR", received_on=TODAY, reference="x")
    assert bad.value.field == "currency"
    with pytest.raises(InvalidInput) as bad:
        payment_record(actor=actor, amount="10.001", currency="USD", received_on="2026-12-01", reference="x")
    assert bad.value.field == "amount"
    with pytest.raises(InvalidInput):
        payment_record(actor=actor, amount="10.00", currency="USD", received_on="2026-12-01", reference="x",
                       allocations=[{"invoiceId": doc.number, "amount": "20.00"}])
    with pytest.raises(InvalidInput):
        payment_record(actor=actor, amount="10.00", currency="USD", received_on="2026-12-01", reference="x",
                       allocations=[{"invoiceId": doc.number, "amount": str(doc.total_amount + 1)}])
    with pytest.raises(PermissionDenied):
        payment_record(actor=admin_of(doc.organisation, Role.GLOBAL_ADMIN), amount="1.00", currency="USD",
                       received_on="2026-12-01", reference="x")
    assert not Payment.objects.exists()
    payment_record(actor=actor, amount="30.00", currency="USD", received_on="2026-12-01", reference="part",
                   allocations=[{"invoiceId": doc.number.lower(), "amount": "12.50"}])
    assert balance_of(doc).paid_amount == Decimal("12.50")
    assert credit_position(doc.organisation).overpayment == Decimal("17.50")


def test_a_credit_note_has_its_own_number_amends_the_invoice_and_cannot_credit_more_than_is_left():
    doc = invoice(customers=2)
    actor = admin_of(doc.organisation)
    first, second = InvoiceLine.objects.filter(invoice=doc).order_by("id")
    note = credit_note_issue(actor=actor, invoice=doc, lines={first.pk: "10.00"}, reason="Meter billed twice")
    assert note.number == "G000000002" and note.document_type == DocumentType.CREDIT_NOTE
    assert note.amends_of_id == doc.pk and note.status == InvoiceStatus.FINALIZED and note.reason
    assert note.total_amount == Decimal("-10.00") and note.line_count == 1
    credit_line = note.lines.get()
    assert credit_line.amends_line_id == first.pk and credit_line.subtotal == Decimal("-10.00")
    assert credit_line.pricing_pre_tax_total < 0 and credit_line.quantity < 0
    assert balance_of(doc).balance == doc.total_amount - Decimal("10.00")
    assert balance_of(doc).credited == Decimal("10.00")
    assert AuditEvent.objects.filter(action="credit_note.issued").count() == 1
    left = first.subtotal - Decimal("10.00")
    for lines, reason in (({first.pk: str(left + Decimal("0.01"))}, "too much"), ({first.pk: "0"}, "zero"),
                          ({999999: None}, "foreign line"), ({}, "no lines"), ({second.pk: None}, "")):
        with pytest.raises(InvalidInput):
            credit_note_issue(actor=actor, invoice=doc, lines=lines, reason=reason)
    assert Invoice.objects.filter(document_type=DocumentType.CREDIT_NOTE).count() == 1
    # The rest of both lines: the invoice owes nothing and moves to paid; the counter has no gap.
    last = credit_note_issue(actor=actor, invoice=doc, lines={first.pk: None, second.pk: None}, reason="Goodwill")
    assert last.number == "G000000003"
    assert last.total_amount == -(left + second.subtotal)
    doc.refresh_from_db()
    assert doc.status == InvoiceStatus.PAID and balance_of(doc).balance == 0
    with pytest.raises(InvalidInput):
        credit_note_issue(actor=actor, invoice=doc, lines={first.pk: None}, reason="again")


def test_no_credit_note_for_a_draft_or_a_credit_note_and_only_billing_admins_issue_them():
    draft = invoice(status=InvoiceStatus.DRAFT)
    actor = admin_of(draft.organisation)
    line = draft.lines.first()
    with pytest.raises(InvoiceNotOpen):
        credit_note_issue(actor=actor, invoice=draft, lines={line.pk: None}, reason="r")
    doc = invoice(draft.organisation, month=dt.date(2026, 11, 1))
    note = credit_note_issue(actor=actor, invoice=doc, lines={doc.lines.first().pk: "1.00"}, reason="r")
    with pytest.raises(InvoiceNotOpen):
        credit_note_issue(actor=actor, invoice=note, lines={note.lines.first().pk: None}, reason="r")
    with pytest.raises(PermissionDenied):
        credit_note_issue(actor=admin_of(doc.organisation, Role.GLOBAL_ADMIN), invoice=doc,
                          lines={doc.lines.first().pk: "1.00"}, reason="r")


def test_a_credit_after_payment_is_overpayment_and_overdue_is_derived():
    doc = invoice()
    actor = admin_of(doc.organisation)
    assert with_balances(Invoice.objects.filter(pk=doc.pk), today=doc.due_date).get().overdue is False
    assert with_balances(Invoice.objects.filter(pk=doc.pk),
                         today=doc.due_date + dt.timedelta(days=1)).get().overdue is True
    payment_record(actor=actor, amount=str(doc.total_amount), currency="USD", received_on="2026-12-01",
                   reference="all")
    assert with_balances(Invoice.objects.filter(pk=doc.pk), today=dt.date(2030, 1, 1)).get().overdue is False
    credit_note_issue(actor=actor, invoice=doc, lines={doc.lines.first().pk: "4.00"}, reason="after payment")
    assert balance_of(doc).balance == Decimal("-4.00")
    assert credit_position(doc.organisation).overpayment == Decimal("4.00")
    assert PaymentAllocation.objects.count() == 1


def test_the_credit_limit_refuses_a_new_purchase_when_used_up():
    doc = invoice()
    organisation = doc.organisation
    customer = doc.lines.first().customer
    purchase_check(customer=customer, organisation=organisation, lines=[])  # no limit assigned: not enforced
    actor = admin_of(organisation)
    credit_limit_set(actor=actor, amount=str(doc.total_amount + Decimal("1.00")))
    organisation.refresh_from_db()
    position = credit_position(organisation)
    assert position.unpaid == doc.total_amount and position.available == Decimal("1.00")
    purchase_check(customer=customer, organisation=organisation, lines=[])
    credit_limit_set(actor=actor, amount=str(doc.total_amount))
    organisation.refresh_from_db()
    with pytest.raises(CreditLimitExceeded) as refused:
        purchase_check(customer=customer, organisation=organisation, lines=[])
    assert refused.value.status == 403 and refused.value.code == 900121
    assert refused.value.parameters["available"] == "0.00"
    payment_record(actor=actor, amount="1.00", currency="USD", received_on="2026-12-01", reference="p")
    organisation.refresh_from_db()
    purchase_check(customer=customer, organisation=organisation, lines=[])  # paid a little: available again
    assert AuditEvent.objects.filter(action="organisation.credit_limit_set").count() == 2


@time_machine.travel(dt.datetime(2026, 12, 15, 9, tzinfo=dt.UTC), tick=True)
def test_unbilled_charges_and_unpaid_invoices_are_converted_to_usd_at_the_month_rate(make_user, portal_client):
    from django.utils import timezone

    from .factories_rating import fx_rate, usage, usage_rows, world

    estate = world(country="FR")
    organisation = estate.organisation
    fx_rate("EUR", dt.date(2026, 10, 1), "1.10")
    fx_rate("EUR", dt.date(2026, 12, 1), "1.20")
    doc = invoice(organisation, month=dt.date(2026, 10, 1), currency="EUR", rate="0.9", customers=1)
    rated = {"rated_at": timezone.now(), "billing_currency": "EUR", "pricing_currency": "USD",
             "unit_price": Decimal("1"), "effective_unit_price": Decimal("1"), "exchange_rate": Decimal("0.8")}
    usage_rows([usage(estate.sub, dt.date(2026, 12, 1), "10", billing_pre_tax_total=Decimal("40.00"),
                      pricing_pre_tax_total=Decimal("50.00"), **rated),
                usage(estate.sub, dt.date(2026, 12, 2), "5", billing_pre_tax_total=Decimal("10.00"),
                      pricing_pre_tax_total=Decimal("12.50"), **rated),
                usage(estate.sub, dt.date(2026, 10, 3), "5", billing_pre_tax_total=Decimal("99.00"),
                      pricing_pre_tax_total=Decimal("99.00"), **rated)])  # October is invoiced: not unbilled
    position = credit_position(organisation)
    assert position.unbilled_billing == Decimal("50.00") and position.unbilled == Decimal("60.00")  # 50 x 1.20
    assert position.unpaid_billing == doc.total_amount
    assert position.unpaid == (doc.total_amount * Decimal("1.10")).quantize(Decimal("0.01"), "ROUND_DOWN")
    user = make_user(Role.BILLING_ADMIN, organisation=organisation, email="ba@fr.example.com")
    page = portal_client(user).get("/billing/unbilled/").content.decode()
    assert estate.customer.company_name in page and 'data-testid="unbilled-table"' in page
