"""The one definition of an invoice line from rated usage (docs/billing.md "Invoicing"): the rated usage rows of an
organisation's month, grouped by customer x Azure plan x meter x charge type x PEC rate. The billing run inserts it
(`INSERT INTO billing_invoiceline ... SELECT`), the unbilled billing line items read it for the open month: both
through `line_select`, so the invoice and the estimate cannot disagree.

Amounts are sums of the rows' own rounded amounts (rating rounds each row by Microsoft's rule, domain.md §3.6.7), so
the invoice, its lines and the billed daily rated usage file add up to the same cents:
- `pricing_pre_tax_total` = sum of the rows' pricing (USD) amounts; `subtotal` = sum of their billing amounts;
- `quantity` = `billable_quantity` = the sum of the rows' quantities;
- `unit_price` = the meter's list price (the highest of the month's rows: the first tier's, as Microsoft's recon
  shows); `effective_unit_price` = pricing total / quantity (0 when the quantity is 0), unrounded;
- the exchange rate and its date: the month's (every row of a month carries the same).
Rows not rated (legacy usage before a cut-over) are not billed here; a run refuses a month with rows left unrated
(billing.rating.selectors.unrated_usage)."""

from ..models import InvoiceLine, UsageRecord

PEC_DESCRIPTION = "% Partner earned credit for services managed"  # after the rate: ["15.0% Partner earned ..."]

# InvoiceLine columns (besides invoice_id) in the order line_select returns them.
LINE_COLUMNS = (
    "organisation_id", "customer_id", "azure_plan_id", "reseller_id", "product_id", "sku_id", "availability_id",
    "meter_id", "charge_type", "pec_percentage", "product_name", "sku_name", "meter_name", "meter_category",
    "meter_subcategory", "meter_region", "unit_type", "publisher_name", "publisher_id", "price_adjustment_description",
    "quantity", "billable_quantity", "unit_price", "effective_unit_price", "pricing_currency",
    "pricing_pre_tax_total", "currency", "subtotal", "tax_total", "total", "exchange_rate", "exchange_rate_date",
    "charge_start_date", "charge_end_date", "usage_rows",
)


def line_select(*, customer_range: bool = False) -> str:
    """SELECT of the lines of one organisation's month. Named parameters: org, m0 (first day), m1 (first day of
    the next month), last (last day); with `customer_range`, also first_customer and last_customer (inclusive)."""
    usage = UsageRecord._meta.db_table
    extra = "AND u.customer_id BETWEEN %(first_customer)s AND %(last_customer)s" if customer_range else ""
    return f"""
        SELECT %(org)s::bigint, u.customer_id, u.azure_plan_id, u.reseller_id, u.product_id, u.sku_id,
               max(u.availability_id), u.meter_id, u.charge_type, u.pec_percentage, max(u.product_name),
               max(u.sku_name), max(u.meter_name), max(u.meter_category), max(u.meter_subcategory),
               max(u.meter_region), max(u.unit), max(u.publisher_name), max(u.publisher_id),
               CASE WHEN u.pec_percentage > 0
                    THEN '["' || to_char(u.pec_percentage, 'FM990.0') || '{PEC_DESCRIPTION.replace("%", "%%")}"]'
                    ELSE '' END,
               sum(u.quantity), sum(u.quantity), max(u.unit_price),
               CASE WHEN sum(u.quantity) = 0 THEN 0 ELSE sum(u.pricing_pre_tax_total) / sum(u.quantity) END,
               max(u.pricing_currency), sum(u.pricing_pre_tax_total), max(u.billing_currency),
               sum(u.billing_pre_tax_total), 0, sum(u.billing_pre_tax_total), max(u.exchange_rate),
               max(u.exchange_rate_date), %(m0)s::date, %(last)s::date, count(*)
        FROM {usage} u
        WHERE u.organisation_id = %(org)s AND u.usage_date >= %(m0)s AND u.usage_date < %(m1)s
          AND u.rated_at IS NOT NULL AND u.not_rated_reason = '' {extra}
        GROUP BY u.customer_id, u.azure_plan_id, u.reseller_id, u.product_id, u.sku_id, u.meter_id, u.charge_type,
                 u.pec_percentage"""


def line_insert(*, customer_range: bool = True) -> str:
    """INSERT of the lines into invoice %(invoice)s; a line already there (a repeated chunk) is left alone."""
    table = InvoiceLine._meta.db_table
    select = line_select(customer_range=customer_range).replace("SELECT %(org)s::bigint,",
                                                                "SELECT %(invoice)s::bigint, %(org)s::bigint,", 1)
    return (f"INSERT INTO {table} (invoice_id, {', '.join(LINE_COLUMNS)}) {select} "
            "ON CONFLICT (invoice_id, customer_id, azure_plan_id, meter_id, product_id, sku_id, charge_type, "
            "pec_percentage) WHERE amends_line_id IS NULL DO NOTHING")
