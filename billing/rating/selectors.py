"""Reads of billing.rating: rows left unrated (and why), the PEC calendar of an Azure subscription and the PEC
mismatches with Microsoft's own figures. The engine's reads take an organisation id; the page's reads take the actor
and are scoped to it (azureplan's tenancy rule: the selling partner, or the reseller of record of its customer)."""

from datetime import date

from django.db import connection

from ..models import UsageRecord
from ..usage.partitions import month_start, next_month


def unrated_usage(*, organisation_id: int, month: date) -> list[dict]:
    """The usage of `month` that rating left unrated, by meter: [{product_id, sku_id, meter_id, meter_name, reason,
    rows, quantity, first_day, last_day}]. `reason` is 'no_price' (no row of the partner's price list prices it on
    that day) or '' (not rated yet). Legacy rows (before a cut-over) are not rated by design and not listed. A billing
    run refuses a month while this is not empty."""
    m0 = month_start(month)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT product_id, sku_id, meter_id, min(meter_name), not_rated_reason, count(*), sum(quantity),
                       min(usage_date), max(usage_date)
                FROM {UsageRecord._meta.db_table}
                WHERE organisation_id = %s AND usage_date >= %s AND usage_date < %s AND rated_at IS NULL
                  AND not_rated_reason <> 'legacy'
                GROUP BY product_id, sku_id, meter_id, not_rated_reason ORDER BY product_id, sku_id, meter_id""",
            [organisation_id, m0, next_month(m0)])
        names = ["product_id", "sku_id", "meter_id", "meter_name", "reason", "rows", "quantity", "first_day",
                 "last_day"]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
