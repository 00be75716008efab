"""The credit limit (domain.md §3.9; docs/billing.md "Payments, credit notes and the credit limit").

    available = credit limit - (incoming purchases + unpaid invoices + unbilled charges - overpayment)

all in USD, the limit's currency:

- the credit limit: `Organisation.credit_limit`. 0 means no limit was assigned: nothing is enforced (a new
  organisation can sell before a Billing admin sets it);
- incoming purchases: orders placed and not billed yet that carry an up-front price. An Azure plan has none (it is
  pay-as-you-go: its price is the consumption, billed the month after), so for this portal, which sells the Azure
  plan only, it is 0; consumption shows up in the unbilled charges the day after it is imported;
- unpaid invoices: the positive balances of finalized invoices (after payments and credit notes), each converted
  at its month's exchange rate (USD per unit of the billing currency);
- unbilled charges: the rated usage of the months not invoiced yet (the months after the latest issued invoice),
  converted at each month's rate;
- overpayment: payments not allocated to an invoice, and the credit of invoices credited below 0 after they were
  paid, converted at the latest rate.

At checkout (`purchase_check`, registered with azureplan.registry from billing/registrations.py) a new purchase is
refused (403/900121, nothing ordered) when nothing is available or when its incoming amount would exceed what is.
Subscriptions already running are never stopped."""

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from django.db import connection
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organisation

from ..errors import CreditLimitExceeded
from ..models import DocumentType, ExchangeRate, Invoice, InvoiceStatus, Payment, PaymentAllocation, UsageRecord
from .balances import ZERO, with_balances

CENT = Decimal("0.01")


@dataclass(frozen=True)
class CreditPosition:
    limit: Decimal
    incoming: Decimal
    unpaid: Decimal
    unbilled: Decimal
    overpayment: Decimal
    currency: str = "USD"
    billing_currency: str = "USD"
    unpaid_billing: Decimal = ZERO  # the same figures in the billing currency, for the page
    unbilled_billing: Decimal = ZERO
    overpayment_billing: Decimal = ZERO
    unbilled_since: dt.date | None = None

    @property
    def enforced(self) -> bool:
        return self.limit > 0

    @property
    def used(self) -> Decimal:
        return self.incoming + self.unpaid + self.unbilled - self.overpayment

    @property
    def available(self) -> Decimal:
        return self.limit - self.used


def _month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def usd_per_unit(currency: str, month: dt.date) -> Decimal | None:
    """USD per unit of `currency` in `month`, else the latest earlier month's; None when none is imported."""
    if currency == "USD":
        return Decimal(1)
    rate = (ExchangeRate.objects.filter(currency=currency, month__lte=_month(month)).order_by("-month")
            .values_list("usd_per_unit", flat=True).first())
    if rate is None:
        rate = (ExchangeRate.objects.filter(currency=currency).order_by("month")
                .values_list("usd_per_unit", flat=True).first())
    return rate


def _usd(amount: Decimal, rate: Decimal | None) -> Decimal:
    return (amount * (rate if rate is not None else Decimal(1))).quantize(CENT, ROUND_DOWN)


def _unpaid(organisation_id):
    """(USD, billing currency) of the positive balances, and the billing-currency credit of negative ones."""
    usd = billing = credit = ZERO
    rows = with_balances(Invoice.objects.filter(
        organisation_id=organisation_id, document_type=DocumentType.INVOICE,
        status__in=(InvoiceStatus.FINALIZED, InvoiceStatus.PAID))).values_list(
        "balance", "currency", "period_start", "pricing_total", "total_amount")
    for balance, currency, month, pricing_total, total in rows:
        if balance > 0:
            rate = usd_per_unit(currency, month)
            if rate is None and total:
                rate = pricing_total / total  # the invoice's own USD to billing ratio
            usd += _usd(balance, rate)
            billing += balance
        elif balance < 0:
            credit += -balance
    return usd, billing, credit


def unbilled_since(organisation_id) -> dt.date | None:
    """The first month not invoiced: the month after the latest issued invoice (None: never invoiced, all usage)."""
    latest = (Invoice.objects.filter(organisation_id=organisation_id, document_type=DocumentType.INVOICE,
                                     status__in=(InvoiceStatus.FINALIZED, InvoiceStatus.PAID))
              .order_by("-period_start").values_list("period_start", flat=True).first())
    return _next_month(latest) if latest else None


def _unbilled(organisation_id):
    """(USD, billing currency, since) of the rated usage of the months not invoiced yet, by month."""
    since = unbilled_since(organisation_id)
    table, rates = UsageRecord._meta.db_table, ExchangeRate._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT u.m, u.cur, u.billing, u.pricing, r.usd_per_unit FROM (
                  SELECT date_trunc('month', usage_date)::date AS m, billing_currency AS cur,
                         sum(billing_pre_tax_total) AS billing, sum(pricing_pre_tax_total) AS pricing
                  FROM {table}
                  WHERE organisation_id = %s AND usage_date >= %s AND rated_at IS NOT NULL
                    AND not_rated_reason = ''
                  GROUP BY 1, 2) u
                LEFT JOIN {rates} r ON r.currency = u.cur AND r.month = u.m""",
            [organisation_id, since or dt.date(1, 1, 1)])
        rows = cursor.fetchall()
    usd = billing = ZERO
    for _m, currency, billed, pricing, rate in rows:
        billed = billed or ZERO
        billing += billed
        usd += billed.quantize(CENT) if currency == "USD" else (
            _usd(billed, rate) if rate is not None else (pricing or ZERO).quantize(CENT, ROUND_DOWN))
    return usd, billing, since


def _overpayment(organisation_id) -> Decimal:
    paid = Payment.objects.filter(organisation_id=organisation_id).aggregate(s=Sum("amount"))["s"] or ZERO
    allocated = (PaymentAllocation.objects.filter(payment__organisation_id=organisation_id)
                 .aggregate(s=Sum("amount"))["s"] or ZERO)
    return paid - allocated


# The whole position in one statement (a checkout runs it on every purchase): one row per open invoice (its balance
# and the USD rate of its month, as usd_per_unit finds it), one per (month, currency) of the rated usage not invoiced
# yet (as _unbilled), and one "paid" row (payments less their allocations, the rate of today for the overpayment,
# and the first month not invoiced). The arithmetic stays in Python, the same as the helpers above. Parameters used
# in more than one place carry a cast, so that one type is deduced when the server binds them (core.db.server_bound).
_POSITION_SQL = """
WITH inv AS (
    SELECT i.currency, i.period_start, i.pricing_total, i.total_amount,
           i.total_amount
             + COALESCE((SELECT sum(c.total_amount) FROM {invoice} c
                         WHERE c.amends_of_id = i.id AND c.document_type = %(credit_note)s
                           AND c.status IN (%(finalized)s, %(paid)s)), 0)
             - COALESCE((SELECT sum(a.amount) FROM {allocation} a WHERE a.invoice_id = i.id), 0) AS balance
    FROM {invoice} i
    WHERE i.organisation_id = %(org)s AND i.document_type = %(invoice_type)s
      AND i.status IN (%(finalized)s, %(paid)s)
), since AS (
    SELECT (date_trunc('month', max(period_start)) + interval '1 month')::date AS m FROM inv
)
SELECT 'invoice', inv.balance, inv.currency, inv.period_start, inv.pricing_total, inv.total_amount,
       CASE WHEN inv.currency = 'USD' THEN 1 ELSE COALESCE(
           (SELECT r.usd_per_unit FROM {rate} r WHERE r.currency = inv.currency
              AND r.month <= date_trunc('month', inv.period_start)::date ORDER BY r.month DESC LIMIT 1),
           (SELECT r.usd_per_unit FROM {rate} r WHERE r.currency = inv.currency ORDER BY r.month LIMIT 1)) END
FROM inv
UNION ALL
SELECT 'usage', u.billing, u.cur, u.m, u.pricing, NULL, r.usd_per_unit FROM (
    SELECT date_trunc('month', usage_date)::date AS m, billing_currency AS cur,
           sum(billing_pre_tax_total) AS billing, sum(pricing_pre_tax_total) AS pricing
    FROM {usage}
    WHERE organisation_id = %(org)s AND usage_date >= COALESCE((SELECT m FROM since), '0001-01-01'::date)
      AND rated_at IS NOT NULL AND not_rated_reason = ''
    GROUP BY 1, 2) u
LEFT JOIN {rate} r ON r.currency = u.cur AND r.month = u.m
UNION ALL
SELECT 'paid',
       COALESCE((SELECT sum(p.amount) FROM {payment} p WHERE p.organisation_id = %(org)s), 0)
         - COALESCE((SELECT sum(a.amount) FROM {allocation} a JOIN {payment} p ON p.id = a.payment_id
                     WHERE p.organisation_id = %(org)s), 0),
       %(currency)s::varchar, (SELECT m FROM since), NULL, NULL,
       CASE WHEN %(currency)s::varchar = 'USD' THEN 1 ELSE COALESCE(
           (SELECT r.usd_per_unit FROM {rate} r WHERE r.currency = %(currency)s::varchar AND r.month <= %(month)s::date
            ORDER BY r.month DESC LIMIT 1),
           (SELECT r.usd_per_unit FROM {rate} r WHERE r.currency = %(currency)s::varchar ORDER BY r.month LIMIT 1)) END
"""


def _position_rows(organisation_id, currency, today):
    sql = _POSITION_SQL.format(invoice=Invoice._meta.db_table, allocation=PaymentAllocation._meta.db_table,
                               payment=Payment._meta.db_table, rate=ExchangeRate._meta.db_table,
                               usage=UsageRecord._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(sql, {"org": organisation_id, "currency": currency, "month": _month(today),
                             "invoice_type": DocumentType.INVOICE, "credit_note": DocumentType.CREDIT_NOTE,
                             "finalized": InvoiceStatus.FINALIZED, "paid": InvoiceStatus.PAID})
        return cursor.fetchall()


def credit_position(organisation: Organisation, *, incoming: Decimal = ZERO) -> CreditPosition:
    """The formula's parts for `organisation` (no permission check: callers check theirs), in one SQL statement."""
    currency = organisation.billing_currency
    unpaid_usd = unpaid_billing = credited = unbilled_usd = unbilled_billing = ZERO
    since, over_billing, over_rate = None, ZERO, None
    for kind, amount, row_currency, month, pricing, total, rate in _position_rows(
            organisation.pk, currency, timezone.now().date()):
        if kind == "invoice":  # as _unpaid
            if amount > 0:
                if rate is None and total:
                    rate = pricing / total  # the invoice's own USD to billing ratio
                unpaid_usd += _usd(amount, rate)
                unpaid_billing += amount
            elif amount < 0:
                credited += -amount
        elif kind == "usage":  # as _unbilled
            billed = amount or ZERO
            unbilled_billing += billed
            unbilled_usd += billed.quantize(CENT) if row_currency == "USD" else (
                _usd(billed, rate) if rate is not None else (pricing or ZERO).quantize(CENT, ROUND_DOWN))
        else:  # as _overpayment, and unbilled_since
            over_billing, over_rate, since = amount, rate, month
    over_billing = over_billing + credited
    over_usd = _usd(over_billing, over_rate) if over_billing else ZERO
    return CreditPosition(limit=organisation.credit_limit, incoming=incoming, unpaid=unpaid_usd,
                          unbilled=unbilled_usd, overpayment=over_usd, billing_currency=currency,
                          unpaid_billing=unpaid_billing, unbilled_billing=unbilled_billing,
                          overpayment_billing=over_billing, unbilled_since=since)


def incoming_usd(lines) -> Decimal:
    """The up-front USD price of a purchase's lines: 0 for the Azure plan (pay-as-you-go, see the module)."""
    return ZERO


def purchase_check(*, customer, organisation, lines):
    """azureplan's purchase check: refuse a new purchase the available credit does not cover (403/900121)."""
    if organisation.credit_limit <= 0:  # no limit assigned
        return
    amount = incoming_usd(lines)
    position = credit_position(organisation, incoming=amount)
    if position.available + amount > 0 and position.available >= 0:
        return
    raise CreditLimitExceeded(
        _("Unable to process the order: the credit limit of %(limit)s USD is used up (available %(available)s USD: "
          "unpaid invoices %(unpaid)s, unbilled charges %(unbilled)s, overpayment %(over)s). Pay the open invoices, "
          "or ask for a higher limit; existing subscriptions keep running.") % {
            "limit": position.limit, "available": position.available, "unpaid": position.unpaid,
            "unbilled": position.unbilled, "over": position.overpayment},
        parameters={"creditLimit": str(position.limit), "available": str(position.available),
                    "incomingPurchases": str(position.incoming), "unpaidInvoices": str(position.unpaid),
                    "unbilledCharges": str(position.unbilled), "overpayment": str(position.overpayment),
                    "currency": "USD", "customerId": str(customer.tenant_id)})


def credit_limit_set(*, actor, amount) -> Organisation:
    """Set the organisation's credit limit in USD (Perm.MANAGE_CREDIT_LIMIT; 0: no limit enforced), audited."""
    from django.db import transaction

    from accounts.permissions import Perm, require

    from .payments import parse_amount

    require(actor, Perm.MANAGE_CREDIT_LIMIT)
    amount = ZERO if str(amount).strip() in ("0", "0.0", "0.00") else parse_amount(
        amount, field="creditLimit", currency="USD", what=_("The credit limit"))
    with transaction.atomic():
        organisation = Organisation.objects.select_for_update().get(pk=actor.organisation_id)
        before = organisation.credit_limit
        organisation.credit_limit = amount
        organisation.save(update_fields=["credit_limit"])
        from core.audit import audit_record

        audit_record(actor=actor, action="organisation.credit_limit_set", obj=organisation,
                     data={"before": str(before), "after": str(amount), "currency": "USD"})
    return organisation
