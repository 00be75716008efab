"""An issued invoice's two reconciliation files (docs/billing.md "Invoice documents"), as CSV streamed from the
database:

- the invoice reconciliation file (domain.md §4.4): Microsoft's columns in Microsoft's order, one row per invoice
  line (customer x Azure plan x meter x charge type x PEC rate); its Subtotal and Total columns add up to the
  invoice's subtotal and total to the cent (they are the lines' own figures, which the invoice sums);
- the billed daily rated usage file (domain.md §4.3): the rated usage rows of the invoice's organisation and month
  (the rows the billing run summed into the lines, lines_sql.line_select's filter) with the InvoiceNumber; its
  BillingPreTaxTotal adds up to the invoice's subtotal. A credit note has no usage rows: its file is the header.

Both are one `COPY (SELECT ...) TO STDOUT` whose rows PostgreSQL formats (numbers as plain digits with a dot, no
exponent, trailing zeros of prices and quantities trimmed, amounts with their 2 decimals; dates as Microsoft's
M/D/YYYY, times as M/D/YYYY h:mm:ss AM in UTC), every field quoted. Python forwards the bytes in chunks of
CHUNK_BYTES: a file of 3,000,000 rows never sits in memory. Every text cell passes core.csv.sql_safe_text (the
CSV-injection rule of core.csv, in SQL)."""

import datetime as dt
from collections.abc import Iterator

from django.db import connection

from accounts.models import Organisation
from azureplan.models import AzurePlan, AzureSubscription, Order
from core.csv import sql_safe_text as safe
from customers.models import Customer

from ..models import DocumentType, InvoiceLine, UsageRecord
from ..rating.spend import DAILY_RATED_USAGE_COLUMNS

CHUNK_BYTES = 256 * 1024

# Microsoft's invoice reconciliation file, new commerce (domain.md §4.4), in file order.
RECON_COLUMNS = (
    "PartnerId", "CustomerId", "CustomerName", "CustomerDomainName", "CustomerCountry", "InvoiceNumber", "MPNID",
    "ResellerMPNID", "OrderId", "OrderDate", "ProductId", "SkuId", "AvailabilityId", "SkuName", "ProductName",
    "ChargeType", "UnitPrice", "Quantity", "Subtotal", "TaxTotal", "Total", "Currency", "PriceAdjustmentDescription",
    "PublisherName", "PublisherId", "SubscriptionDescription", "SubscriptionId", "ChargeStartDate", "ChargeEndDate",
    "TermAndBillingCycle", "EffectiveUnitPrice", "UnitType", "AlternateId", "BillableQuantity", "BillingFrequency",
    "PricingCurrency", "PCToBCExchangeRate", "PCToBCExchangeRateDate", "MeterDescription", "ReservationOrderId",
    "CreditReasonCode", "SubscriptionStartDate", "SubscriptionEndDate", "ReferenceID", "ProductQualifiers",
    "PromotionID",
)
CREDIT_REASON = "Credit Note"  # CreditReasonCode of a credit note's lines (the reason itself is on the PDF)


def _day(expression: str) -> str:
    return f"coalesce(to_char({expression}, 'FMMM/FMDD/YYYY'), '')"


def _time(expression: str) -> str:
    return f"coalesce(to_char(({expression}) AT TIME ZONE 'UTC', 'FMMM/FMDD/YYYY FMHH12:MI:SS AM'), '')"


def _number(expression: str) -> str:
    """A price, quantity or rate: plain digits, trailing zeros trimmed (0.0382500 -> 0.03825, 15.0000 -> 15)."""
    return f"trim_scale(coalesce({expression}, 0))::text"


def _amount(expression: str) -> str:
    """An amount as stored: 2 decimals (21.39, 100.00, -5.10)."""
    return f"coalesce({expression}, 0)::text"


def _recon_select() -> str:
    line, org, cust = InvoiceLine._meta.db_table, Organisation._meta.db_table, Customer._meta.db_table
    plan, order = AzurePlan._meta.db_table, Order._meta.db_table
    fields = [
        "o.tenant_id::text", "c.tenant_id::text", safe("c.company_name"), safe("c.domain"),
        "coalesce(c.country_id, '')", "%(number)s", "o.partner_id", "coalesce(r.partner_id, '')",
        "coalesce(ord.public_id::text, '')", _time("ord.created_at"), safe("l.product_id"), safe("l.sku_id"),
        safe("l.availability_id"), safe("l.sku_name"), safe("l.product_name"), safe("l.charge_type"),
        _number("l.unit_price"), _number("l.quantity"), _amount("l.subtotal"), _amount("l.tax_total"),
        _amount("l.total"), "l.currency", safe("l.price_adjustment_description"), safe("l.publisher_name"),
        safe("l.publisher_id"), safe("p.friendly_name"), "p.public_id::text", _day("l.charge_start_date"),
        _day("l.charge_end_date"), "''", _number("l.effective_unit_price"), safe("l.unit_type"),
        "coalesce(ord.alternate_id, '')", _number("l.billable_quantity"), "''", "l.pricing_currency",
        _number("l.exchange_rate"), _day("l.exchange_rate_date"), safe("l.meter_name"), "''",
        "CASE WHEN %(credit_note)s THEN %(credit_reason)s ELSE '' END", _day("p.activated_at AT TIME ZONE 'UTC'"),
        _day("p.cancelled_at AT TIME ZONE 'UTC'"), "coalesce(%(amends)s, '')", "''", "''",
    ]
    assert len(fields) == len(RECON_COLUMNS)
    return f"""
        SELECT {', '.join(fields)}
        FROM {line} l
        JOIN {org} o ON o.id = l.organisation_id
        JOIN {cust} c ON c.id = l.customer_id
        JOIN {plan} p ON p.id = l.azure_plan_id
        LEFT JOIN {order} ord ON ord.id = p.order_id
        LEFT JOIN {org} r ON r.id = l.reseller_id
        WHERE l.invoice_id = %(invoice)s
        ORDER BY c.company_name, c.id, l.id"""


def _daily_select() -> str:
    usage, org, cust = UsageRecord._meta.db_table, Organisation._meta.db_table, Customer._meta.db_table
    plan, sub = AzurePlan._meta.db_table, AzureSubscription._meta.db_table
    text = lambda column: safe(f"u.{column}")  # noqa: E731
    fields = [
        "o.tenant_id::text", safe("o.name"), "c.tenant_id::text", safe("c.company_name"), safe("c.domain"),
        "coalesce(c.country_id, '')", "o.partner_id", "coalesce(r.partner_id, '')", "%(number)s",
        text("product_id"), text("sku_id"), text("availability_id"), text("sku_name"), text("product_name"),
        text("publisher_name"), text("publisher_id"), safe("p.friendly_name"), "p.public_id::text",
        _day("%(m0)s::date"), _day("%(m1)s::date"), _day("u.usage_date"), text("meter_type"),
        text("meter_category"), text("meter_id"), text("meter_subcategory"), text("meter_name"),
        text("meter_region"), text("unit"), text("resource_location"), text("consumed_service"),
        text("resource_group"), text("resource_uri"), text("charge_type"), _number("u.unit_price"),
        _number("u.quantity"), text("unit_type"), _amount("u.billing_pre_tax_total"), "u.billing_currency",
        _amount("u.pricing_pre_tax_total"), "u.pricing_currency", text("service_info1"), text("service_info2"),
        text("tags"), text("additional_info"), _number("u.effective_unit_price"), _number("u.exchange_rate"),
        _day("u.exchange_rate_date"), "coalesce(s.subscription_id::text, '')", safe("s.friendly_name"),
        _number("u.pec_percentage"), _number("u.pec_percentage"),
        "CASE WHEN u.pec_percentage > 0 THEN 'Partner Earned Credit Applied' ELSE 'Credit Not Applied' END",
        text("benefit_order_id"), text("benefit_id"), safe("coalesce(nullif(u.benefit_type, ''), 'Charge')"),
    ]
    assert len(fields) == len(DAILY_RATED_USAGE_COLUMNS)
    return f"""
        SELECT {', '.join(fields)}
        FROM {usage} u
        JOIN {org} o ON o.id = u.organisation_id
        JOIN {cust} c ON c.id = u.customer_id
        JOIN {plan} p ON p.id = u.azure_plan_id
        LEFT JOIN {sub} s ON s.id = u.azure_subscription_id
        LEFT JOIN {org} r ON r.id = u.reseller_id
        WHERE u.organisation_id = %(org)s AND u.usage_date >= %(m0)s AND u.usage_date < %(m1)s
          AND u.rated_at IS NOT NULL AND u.not_rated_reason = ''
        ORDER BY u.usage_date, u.id"""


def _header(columns) -> bytes:
    return (",".join(f'"{name}"' for name in columns) + "\n").encode("utf-8")


def copy_chunks(sql: str, params: dict) -> Iterator[bytes]:
    """`sql`'s rows as CSV (every field quoted), from PostgreSQL's COPY TO STDOUT, gathered into chunks of about
    CHUNK_BYTES: memory holds one chunk, whatever the number of rows."""
    buffer = bytearray()
    with connection.cursor() as cursor, cursor.cursor.copy(
            f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, FORCE_QUOTE *)", params) as copy:
        for data in copy:
            buffer += data
            if len(buffer) >= CHUNK_BYTES:
                yield bytes(buffer)
                buffer.clear()
    if buffer:
        yield bytes(buffer)


def recon_csv(invoice) -> Iterator[bytes]:
    """The invoice reconciliation file of issued `invoice` (or credit note), as byte chunks."""
    credit_note = invoice.document_type == DocumentType.CREDIT_NOTE
    amends = invoice.amends_of.number if credit_note and invoice.amends_of_id else None
    params = {"invoice": invoice.pk, "number": invoice.number or "", "credit_note": credit_note,
              "credit_reason": CREDIT_REASON, "amends": amends}

    def generate():
        yield _header(RECON_COLUMNS)
        yield from copy_chunks(_recon_select(), params)

    return generate()


def daily_usage_csv(invoice) -> Iterator[bytes]:
    """The billed daily rated usage file of issued `invoice`, as byte chunks (a credit note's: the header only)."""
    start = invoice.period_start
    following = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    params = {"org": invoice.organisation_id, "number": invoice.number or "", "m0": start, "m1": following}

    def generate():
        yield _header(DAILY_RATED_USAGE_COLUMNS)
        if invoice.document_type != DocumentType.CREDIT_NOTE:
            yield from copy_chunks(_daily_select(), params)

    return generate()
