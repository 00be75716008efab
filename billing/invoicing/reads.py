"""Reads of issued invoices for Partner Center's invoice API (api.md §16): the list with its `filter` on InvoiceDate,
paid amounts and balances derived from payment allocations, the billing line items of an invoice and the unbilled
ones of an open month (billing.invoicing.lines_sql.line_select, read only). Scoped through
billing.invoicing.selectors (the actor's own organisation, Perm.VIEW_INVOICES) or, for the unbilled lines, as the
usage they sum (billing.rating.spend: Perm.VIEW_SPEND, an indirect reseller's own customers only)."""

import datetime as dt
import json
from decimal import Decimal

from django.db import connection
from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from accounts.models import Organisation
from accounts.permissions import Perm, require
from core.casing import fold
from core.errors import InvalidInput

from ..models import DocumentType, InvoiceLine, InvoiceStatus, PaymentAllocation
from ..rating import spend
from .lines_sql import LINE_COLUMNS, line_select
from .selectors import invoices_for, payments_for

ZERO = Decimal("0")
INVOICE_ORDERING = ("-invoice_date", "-id")
DATE_OPERATORS = {"equals": "", "greaterthan": "__gt", "greaterthanorequals": "__gte", "lessthan": "__lt",
                  "lessthanorequals": "__lte"}

# The columns of an invoice's billing line items: the line's own and those of the rows it points to (one join each).
BILLING_LINE_FIELDS = (
    "id", *(c for c in LINE_COLUMNS if c not in ("customer_id", "azure_plan_id")), "customer_id", "azure_plan_id",
    "invoice__number", "invoice__document_type", "amends_line__invoice__number",
    "customer__tenant_id", "customer__company_name", "customer__domain", "customer__country_id",
    "azure_plan__public_id", "azure_plan__friendly_name", "azure_plan__created_at", "azure_plan__order__public_id",
    "azure_plan__order__alternate_id", "azure_plan__order__created_at",
)
BILLING_LINE_ORDERING = ("id",)
# The unbilled lines' sort keys (the group of line_select, NULL-free so one row comparison pages them).
UNBILLED_ORDERING = ("customer_id", "azure_plan_id", "reseller_key", "meter_id", "product_id", "sku_id",
                     "charge_type", "pec_key")


def parse_date_filter(raw) -> Q:
    """Partner Center's `filter` of the invoice list: {"Field": "InvoiceDate", "Value": "2026-10-01",
    "Operator": "greater_than_or_equals"} (names and values in any case; equals, greater_than(_or_equals),
    less_than(_or_equals); the value a date or a valid date and time, of which the date counts)."""
    try:
        data = {fold(key): value for key, value in json.loads(raw).items()}
        field, operator, value = fold(data.get("field", "")), fold(data.get("operator", "equals")), data.get("value")
        text = str(value).strip()
        # a date, or a whole valid date and time (its date counts): 2026-12-06T25:00:00 or +99:00 is refused
        day = dt.date.fromisoformat(text) if len(text) == 10 else dt.datetime.fromisoformat(text).date()
    except (ValueError, AttributeError, TypeError, RecursionError):
        raise InvalidInput(_('filter must be JSON like {"Field":"InvoiceDate","Value":"2026-10-01",'
                             '"Operator":"greater_than_or_equals"}.'), field="filter") from None
    if field != "invoicedate":
        raise InvalidInput(_("filter Field must be InvoiceDate."), field="filter")
    if operator not in DATE_OPERATORS:
        raise InvalidInput(_("filter Operator must be equals, greater_than, greater_than_or_equals, less_than or "
                             "less_than_or_equals."), field="filter")
    return Q(**{f"invoice_date{DATE_OPERATORS[operator]}": day})


def invoice_list(actor, *, date_filter: Q | None = None):
    """The actor organisation's issued invoices and credit notes (drafts never), newest first."""
    qs = invoices_for(actor).select_related("amends_of")
    if date_filter is not None:
        qs = qs.filter(date_filter)
    return qs.order_by(*INVOICE_ORDERING)


def amendments_of(invoices) -> dict[int, list]:
    """The issued credit notes amending each of `invoices`, oldest first, in one query: {invoice pk: [credit note]}."""
    from ..models import Invoice

    found = {}
    ids = [invoice.pk for invoice in invoices]
    if not ids:
        return found
    notes = (Invoice.objects.filter(amends_of_id__in=ids).exclude(status=InvoiceStatus.DRAFT)
             .select_related("amends_of").order_by("invoice_date", "id"))
    for note in notes:
        found.setdefault(note.amends_of_id, []).append(note)
    return found


def paid_amounts(invoices) -> dict[int, Decimal]:
    """What payments allocated to each invoice (one query)."""
    ids = [invoice.pk for invoice in invoices]
    if not ids:
        return {}
    rows = PaymentAllocation.objects.filter(invoice_id__in=ids).values("invoice_id").annotate(paid=Sum("amount"))
    return {row["invoice_id"]: row["paid"] for row in rows}


def _owed(document) -> Decimal:
    """What a document adds to the balance: an invoice its total, a credit note minus its amount, void nothing."""
    if document["status"] == InvoiceStatus.VOID:
        return ZERO
    amount = document["total_amount"] or ZERO
    return -abs(amount) if document["document_type"] == DocumentType.CREDIT_NOTE else amount


def billing_currency_of(actor) -> str:
    """The actor organisation's billing currency (its country's), after the role check."""
    require(actor, Perm.VIEW_INVOICES)
    return spend.billing_currency(Organisation.objects.select_related("country").get(pk=actor.organisation_id))


def summaries(actor) -> list[dict]:
    """One balance per billing currency of the actor organisation's issued documents: {currency, balance, first
    and latest invoice dates, last payment date and amount (the money received that day), count}; balance =
    invoices - credit notes - payments allocated to them (void documents count nothing). The organisation's billing
    currency is always there."""
    documents = list(invoices_for(actor).values("pk", "currency", "status", "document_type", "total_amount",
                                                "invoice_date"))
    allocated = {row["invoice__currency"]: row["total"] for row in PaymentAllocation.objects.filter(
        invoice__organisation_id=actor.organisation_id).exclude(invoice__status=InvoiceStatus.DRAFT)
        .values("invoice__currency").annotate(total=Sum("amount"))}
    last_payments = {}  # currency -> (the latest day money was received, what was received that day)
    days = (payments_for(actor).values("currency", "received_on").annotate(total=Sum("amount"))
            .order_by("currency", "-received_on"))
    for row in days:  # one row per day money came in, the latest of each currency first
        last_payments.setdefault(row["currency"], (row["received_on"], row["total"] or ZERO))
    currencies = {billing_currency_of(actor)} | {d["currency"] for d in documents}
    out = []
    for currency in sorted(currencies):
        mine = [d for d in documents if d["currency"] == currency]
        dates = [d["invoice_date"] for d in mine if d["invoice_date"]]
        last_date, last_amount = last_payments.get(currency, (None, ZERO))
        out.append({
            "currency": currency,
            "balance": sum((_owed(d) for d in mine), ZERO) - (allocated.get(currency) or ZERO),
            "first_invoice_date": min(dates) if dates else None,
            "latest_invoice_date": max(dates) if dates else None,
            "last_payment_date": last_date,
            "last_payment_amount": last_amount,
            "count": len(mine),
        })
    return out


def billing_lines(invoice):
    """The invoice's lines as dicts of BILLING_LINE_FIELDS; page them with seek_page(ordering=BILLING_LINE_ORDERING)."""
    return InvoiceLine.objects.filter(invoice=invoice).values(*BILLING_LINE_FIELDS)


# ---------------------------------------------------------------- unbilled billing line items


def _unbilled_sql(reseller: bool, after: bool) -> str:
    from customers.models import Customer

    names = ", ".join(LINE_COLUMNS)
    where = ["l.currency = %(currency)s"]
    if reseller:  # an indirect reseller: its own customers' lines, where it is the reseller of record
        where.append("l.reseller_id = %(reseller)s AND l.customer_id IN (SELECT id FROM "
                     f"{Customer._meta.db_table} WHERE reseller_id = %(reseller)s)")
    if after:
        where.append("(l.customer_id, l.azure_plan_id, coalesce(l.reseller_id, 0), l.meter_id, l.product_id, "
                     "l.sku_id, l.charge_type, l.pec_percentage) > (%(a0)s, %(a1)s, %(a2)s, %(a3)s, %(a4)s, %(a5)s, "
                     "%(a6)s, %(a7)s::numeric)")
    return (f"SELECT {names} FROM ({line_select()}) AS l ({names}) WHERE {' AND '.join(where)} "
            "ORDER BY l.customer_id, l.azure_plan_id, coalesce(l.reseller_id, 0), l.meter_id, l.product_id, l.sku_id, "
            "l.charge_type, l.pec_percentage LIMIT %(limit)s")


def unbilled_lines(*, actor, month, currency):
    """A fetch(after, limit) for core.api.pagination.seek_page_rows: the lines the open `month` would be invoiced
    with so far (line_select over its rated usage, nothing written), in `currency`; None month: nothing."""
    organisation_id = spend.selling_organisation_id(actor)
    reseller = actor.organisation_id if actor.tier == "indirect_reseller" else None

    def fetch(after, limit):
        if month is None:
            return []
        params = {"org": organisation_id, "m0": month, "m1": spend.month_bounds(month)[1],
                  "last": spend.month_bounds(month)[1] - dt.timedelta(days=1), "currency": currency,
                  "reseller": reseller, "limit": limit}
        if after is not None:
            params.update({f"a{n}": value for n, value in enumerate(after)})
        with connection.cursor() as cursor:
            cursor.execute(_unbilled_sql(reseller is not None, after is not None), params)
            rows = [dict(zip(LINE_COLUMNS, row, strict=True)) for row in cursor.fetchall()]
        for row in rows:
            row["reseller_key"] = row["reseller_id"] or 0
            row["pec_key"] = str(row["pec_percentage"])
        return rows

    return fetch


def unbilled_line_context(rows) -> dict:
    """What the unbilled lines of a page name besides their own columns: customers and Azure plans (with their
    orders), in one query each."""
    from azureplan.models import AzurePlan
    from customers.models import Customer

    customers = {c["pk"]: c for c in Customer.objects.filter(pk__in={r["customer_id"] for r in rows}).values(
        "pk", "tenant_id", "company_name", "domain", "country_id")}
    plans = {p["pk"]: p for p in AzurePlan.objects.filter(pk__in={r["azure_plan_id"] for r in rows}).values(
        "pk", "public_id", "friendly_name", "created_at", "order__public_id", "order__alternate_id",
        "order__created_at")}
    for row in rows:
        customer, plan = customers.get(row["customer_id"], {}), plans.get(row["azure_plan_id"], {})
        row.update({f"customer__{key}": value for key, value in customer.items() if key != "pk"})
        row.update({f"azure_plan__{key}": value for key, value in plan.items()
                    if key != "pk" and not key.startswith("order__")})
        row.update({f"azure_plan__{key}": value for key, value in plan.items() if key.startswith("order__")})
        row.setdefault("invoice__number", "")
        row.setdefault("invoice__document_type", "")
        row.setdefault("amends_line__invoice__number", None)
    return rows
