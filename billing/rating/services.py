"""Rating: what each usage row costs, in set-based SQL over a month (docs/billing.md "Rating").

`rate_usage(organisation_id=, months=)` is also the listener of billing.usage.hooks.usage_changed (registered in
billing/registrations.py), so an import and its rating commit together or not at all.

Per month, in one transaction:

1. PEC is decided for every day of the month (billing.rating.pec.pec_decide), which sets rated usage of a day whose
   PEC changed back to unrated;
2. the (Azure plan, meter) groups of the month that have an unrated row are found; nothing else is read or written;
3. one statement prices every row of those groups and updates only the rows whose figures differ (or that were
   unrated): tiers over the month's cumulative quantity per plan and meter, ordered by usage date then the natural
   key; PEC per row from its subscription's (or resource group's) PecDay unless the product is excluded; the meter's
   month-to-date cost floored to the cent (Microsoft's BC = ROUNDDOWN(cost, 2)) and each row the difference between
   the floored totals after and before it, so the rows of a meter always add up to its floored monthly total; the
   same in the billing currency through the month's exchange rate.
"""

import re
from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.utils.translation import gettext as _

from accounts.models import Organisation
from core.money import minor_units, rate_from_usd_per_unit, round_half_even

from ..errors import ExchangeRateMissing
from ..models import ClosedUsageMonth, ExchangeRate, PecDay, PriceList, PriceSheetRow, PriceSheetView, UsageRecord
from ..usage.partitions import month_start, next_month
from . import statements
from .pec import pec_decide

FALLBACK_MARKET = "US"
NO_PRICE = "no_price"
PRICING_CURRENCY = "USD"

_UNRATED = statements.UNRATED

# 5. Write only the rows whose figures differ (or that were unrated); rows of the groups without a price are left
#    unrated with their reason. Answers (groups, rows rated, rows without a price).
_WRITE_SQL = """
WITH written AS (
    UPDATE {usage} u SET
        rated_at = CASE WHEN x.has_price THEN now() END,
        not_rated_reason = CASE WHEN x.has_price THEN '' ELSE 'no_price' END,
        price_list_id = CASE WHEN x.has_price THEN %(price_list)s::bigint END,
        unit_price = x.unit_price,
        pec_percentage = x.pec_percentage,
        effective_unit_price = x.effective_unit_price,
        pricing_currency = CASE WHEN x.has_price THEN %(pricing_currency)s ELSE '' END,
        pricing_pre_tax_total = x.pricing_pre_tax_total,
        billing_currency = CASE WHEN x.has_price THEN %(currency)s ELSE '' END,
        exchange_rate = CASE WHEN x.has_price THEN %(exchange_rate)s::numeric END,
        exchange_rate_date = CASE WHEN x.has_price THEN %(m0)s::date END,
        billing_pre_tax_total = x.billing_pre_tax_total
    FROM _rating_result x
    WHERE u.organisation_id = %(org)s AND u.usage_date >= %(m0)s AND u.usage_date < %(m1)s
      AND u.usage_date = x.usage_date AND u.id = x.id
      AND ((x.has_price AND u.rated_at IS NULL)
           OR (u.not_rated_reason, u.price_list_id, u.unit_price, u.pec_percentage, u.effective_unit_price,
               u.pricing_currency, u.pricing_pre_tax_total, u.billing_currency, u.exchange_rate, u.exchange_rate_date,
               u.billing_pre_tax_total)
              IS DISTINCT FROM
              (CASE WHEN x.has_price THEN '' ELSE 'no_price' END,
               CASE WHEN x.has_price THEN %(price_list)s::bigint END, x.unit_price, x.pec_percentage,
               x.effective_unit_price, CASE WHEN x.has_price THEN %(pricing_currency)s ELSE '' END,
               x.pricing_pre_tax_total, CASE WHEN x.has_price THEN %(currency)s ELSE '' END,
               CASE WHEN x.has_price THEN %(exchange_rate)s::numeric END,
               CASE WHEN x.has_price THEN %(m0)s::date END, x.billing_pre_tax_total))
    RETURNING u.rated_at IS NOT NULL AS rated
)
SELECT (SELECT count(*) FROM _rating_dirty), count(*) FILTER (WHERE rated), count(*) FILTER (WHERE NOT rated)
FROM written
"""


def _format(sql: str) -> str:
    return sql.format(usage=UsageRecord._meta.db_table, pecday=PecDay._meta.db_table,
                      sheetrow=PriceSheetRow._meta.db_table, unrated=_UNRATED, benefit=statements.BENEFIT,
                      spot=statements.SPOT, marketplace=statements.MARKETPLACE)


_DROP = ("DROP TABLE IF EXISTS _rating_dirty, _rating_pec, _rating_groups, _rating_meters, _rating_tiers, "
         "_rating_rows, _rating_result")
# The rows of the dirty groups made a table of their own and ANALYZEd when stored rows take part: the month's partition
# may have no statistics yet (made earlier in the transaction), and the figures statement is planned on real sizes.
_ROWS_TABLE = ("CREATE TEMP TABLE _rating_rows ON COMMIT DROP AS {rows}",
               "ANALYZE _rating_rows (azure_plan_id, k_meter, usage_date, product_id, sku_id, meter_id)")


def _pec_by_group(cursor) -> bool:
    cursor.execute(statements.PEC_BY_GROUP_SQL)
    return cursor.fetchone()[0]


def _stored_rows(staged_table: str | None = None, *, stored: bool = True) -> str:
    """The month's rows for the figures statement: the organisation's stored rows (unless `stored` is false), and the
    rows of `staged_table`."""
    columns = ", ".join(statements.ROW_COLUMNS)
    parts = []
    if stored:
        parts.append(f"SELECT {columns}, false AS staged FROM {UsageRecord._meta.db_table} "  # noqa: S608 (constants)
                     "WHERE organisation_id = %(org)s AND usage_date >= %(m0)s AND usage_date < %(m1)s")
    if staged_table is not None:
        parts.append(f"SELECT {columns}, true AS staged FROM {staged_table} "  # noqa: S608 (a checked table name)
                     "WHERE usage_date >= %(m0)s AND usage_date < %(m1)s")
    return f"({' UNION ALL '.join(parts)})"


def _has_rows(organisation_id: int, m0: date) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {UsageRecord._meta.db_table} WHERE organisation_id = %s "  # noqa: S608
                       "AND usage_date >= %s AND usage_date < %s)", [organisation_id, m0, next_month(m0)])
        return cursor.fetchone()[0]


def _month_params(organisation: Organisation, m0: date) -> dict:
    currency = organisation.country.currency
    usd_per_unit = usd_per_unit_for(currency=currency, month=m0)
    price_list = price_list_for(market=organisation.country_id, month=m0)
    return {
        "org": organisation.pk, "m0": m0, "m1": next_month(m0), "price_list": price_list.pk if price_list else None,
        "usd_per_unit": usd_per_unit, "places": min(2, minor_units(currency)), "currency": currency,
        "pricing_currency": PRICING_CURRENCY,
        "exchange_rate": round_half_even(rate_from_usd_per_unit(Decimal(1), usd_per_unit), 30),
    }


def _month_end(month: date) -> date:
    from datetime import timedelta

    return next_month(month) - timedelta(days=1)


def _has_unrated(organisation_id: int, month: date) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {UsageRecord._meta.db_table} u WHERE u.organisation_id = %s "  # noqa: S608
                       f"AND u.usage_date >= %s AND u.usage_date < %s AND {_UNRATED})",
                       [organisation_id, month, next_month(month)])
        return cursor.fetchone()[0]


def _months_with_unrated(organisation_id: int) -> list[date]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT date_trunc('month', u.usage_date)::date FROM {UsageRecord._meta.db_table} u "  # noqa: S608
                       f"WHERE u.organisation_id = %s AND {_UNRATED} ORDER BY 1", [organisation_id])
        return [row[0] for row in cursor.fetchall()]


def price_list_for(*, market: str, month: date) -> PriceList | None:
    """The consumption price list that prices `month` in `market` (the month's, else the latest earlier one: the rule
    of billing.pricing.selectors.price_on), falling back to the US market's (Microsoft's consumption prices are one
    global USD price, domain.md §3.3.1) when the market has none."""
    for code in dict.fromkeys([str(market).upper(), FALLBACK_MARKET]):
        found = (PriceList.objects.filter(market=code, view=PriceSheetView.AZURE_CONSUMPTION, month__lte=month)
                 .order_by("-month").first())
        if found is not None:
            return found
    return None


def usd_per_unit_for(*, currency: str, month: date) -> Decimal:
    """USD per one unit of the billing currency for charges dated in `month`; ExchangeRateMissing when not imported."""
    if currency == PRICING_CURRENCY:
        return Decimal(1)
    rate = ExchangeRate.objects.filter(currency=currency, month=month).values_list("usd_per_unit", flat=True).first()
    if rate is None:
        raise ExchangeRateMissing(
            _("No exchange rate for %(currency)s in %(month)s: import the exchange rates of that month, then rate "
              "again. Nothing was rated.") % {"currency": currency, "month": f"{month:%Y-%m}"},
            parameters={"currency": currency, "month": f"{month:%Y-%m}"})
    return rate


def _rate_month(organisation: Organisation, month: date, *, pec_decided: bool = False) -> dict:
    m0 = month
    if pec_decided:  # rate_staged decided this month's PEC a moment ago, in this transaction
        pec_days = 0
    else:
        pec_days = pec_decide(organisation_id=organisation.pk, first_day=m0, last_day=_month_end(m0))
    out = {"month": f"{m0:%Y-%m}", "pec_days_written": pec_days, "groups": 0, "rows_rated": 0, "rows_unpriced": 0}
    if not _has_unrated(organisation.pk, m0):
        return out
    params = _month_params(organisation, m0)
    with connection.cursor() as cursor:
        for statement in (_DROP, statements.DIRTY_SQL, statements.PEC_SQL, "ANALYZE _rating_dirty, _rating_pec"):
            cursor.execute(_format(statement), params)
        rows = statements.rows_sql(_stored_rows(), by_group=_pec_by_group(cursor))
        for statement in (_ROWS_TABLE[0].replace("{rows}", rows), _ROWS_TABLE[1], statements.METERS_SQL,
                          statements.TIERS_SQL, "ANALYZE _rating_tiers",
                          "CREATE TEMP TABLE _rating_result ON COMMIT DROP AS "  # noqa: S608 (constants)
                          + statements.figures_sql("SELECT * FROM _rating_rows"), "ANALYZE _rating_result"):
            cursor.execute(_format(statement), params)
        cursor.execute(_format(_WRITE_SQL), params)
        groups, rated, unpriced = cursor.fetchone()
    out.update(groups=groups, rows_rated=rated, rows_unpriced=unpriced)
    return out


# Rating staged rows before they are written (billing.usage.hooks.rate_staged): the rows of a group are its month's
# rows already stored plus the staged ones, so the staged rows get exactly the figures a re-rating of the whole group
# would give them; only the staged rows' figures are answered. A group with a stored row dated on or after its first
# staged row (a late row) is left out: its staged rows are written unrated and the group is re-rated after the write.
STAGED_RATING_COLUMNS = ("rated_at", "not_rated_reason", "price_list_id", "unit_price", "pec_percentage",
                         "effective_unit_price", "pricing_currency", "pricing_pre_tax_total", "billing_currency",
                         "exchange_rate", "exchange_rate_date", "billing_pre_tax_total")
STAGED_RATING_TABLE = "_rating_staged"

_STAGED_WRITE = """
INSERT INTO _rating_staged ({columns})
SELECT r.id, CASE WHEN r.has_price THEN now() END, CASE WHEN r.has_price THEN '' ELSE 'no_price' END,
       CASE WHEN r.has_price THEN %(price_list)s::bigint END, r.unit_price, r.pec_percentage,
       r.effective_unit_price, CASE WHEN r.has_price THEN %(pricing_currency)s ELSE '' END,
       r.pricing_pre_tax_total, CASE WHEN r.has_price THEN %(currency)s ELSE '' END,
       CASE WHEN r.has_price THEN %(exchange_rate)s::numeric END,
       CASE WHEN r.has_price THEN %(m0)s::date END, r.billing_pre_tax_total
FROM ({figures}) r WHERE r.staged"""


def rate_staged(*, organisation_id: int, table: str, months: list[date]) -> str | None:
    """The listener of billing.usage.hooks.rate_staged: rate the rows staged in the TEMP table `table` (the columns of
    statements.ROW_COLUMNS, UsageRecord's names; `id` the staged row's key) before usage writes them. PEC is decided
    first for the months touched (one statement). Answers the name of a TEMP table (`id` and STAGED_RATING_COLUMNS)
    holding the figures of the staged rows it rated; the rows it leaves out (late rows' groups, legacy rows, closed
    months) are written unrated and rated by `rate_usage` after the write. ExchangeRateMissing as `rate_usage`."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", table):
        raise ValueError(f"not a table name: {table!r}")
    months = sorted({month_start(m) for m in months})
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {STAGED_RATING_TABLE}")
        cursor.execute(f"CREATE TEMP TABLE {STAGED_RATING_TABLE} ON COMMIT DROP AS "  # noqa: S608 (constants)
                       f"SELECT id, {', '.join(STAGED_RATING_COLUMNS)} FROM {UsageRecord._meta.db_table} LIMIT 0")
    if not months:
        return STAGED_RATING_TABLE
    organisation = Organisation.objects.select_related("country").get(pk=organisation_id)
    closed = set(ClosedUsageMonth.objects.filter(organisation_id=organisation_id, month__in=months)
                 .values_list("month", flat=True))
    open_months = [m for m in months if m not in closed]
    if not open_months:
        return STAGED_RATING_TABLE
    pec_decide(organisation_id=organisation_id, first_day=open_months[0], last_day=_month_end(open_months[-1]))
    write = _STAGED_WRITE.replace("{columns}", "id, " + ", ".join(STAGED_RATING_COLUMNS))
    for m0 in open_months:
        params = _month_params(organisation, m0)
        with connection.cursor() as cursor:
            for statement in (_DROP, statements.STAGED_GROUPS_SQL.replace("{staged}", table),
                              statements.STAGED_DIRTY_SQL, statements.PEC_SQL, "ANALYZE _rating_dirty, _rating_pec"):
                cursor.execute(_format(statement), params)
            by_group = _pec_by_group(cursor)
        sequence = []
        if _has_rows(organisation_id, m0):  # stored rows take part: made a table and ANALYZEd first
            sequence += [_ROWS_TABLE[0].replace("{rows}", statements.rows_sql(_stored_rows(table), by_group=by_group)),
                         _ROWS_TABLE[1]]
            rows = "SELECT * FROM _rating_rows"
        else:  # a month's first rows: the staged rows alone, read once by the figures statement
            rows = statements.rows_sql(_stored_rows(table, stored=False), by_group=by_group)
        sequence += [statements.STAGED_METERS_SQL, statements.TIERS_SQL, "ANALYZE _rating_tiers",
                     write.replace("{figures}", statements.figures_sql(rows))]
        with connection.cursor() as cursor:
            for statement in sequence:
                cursor.execute(_format(statement), params)
    return STAGED_RATING_TABLE


def rate_usage(*, organisation_id: int, months: list[date] | None = None, staged_months=()) -> dict:
    """Rate every unrated usage row of the organisation in `months` (first days, or any date in the month; None: every
    month that has an unrated row), re-rating only the (Azure plan, meter, month) groups that have one. Writes nothing
    when nothing is unrated and no PEC day changed. ExchangeRateMissing (naming the currency and the month) when the
    month's rate of the partner's billing currency is not imported: nothing of any month is rated then (one
    transaction). Months already invoiced (ClosedUsageMonth) are left alone. Answers what was done:
    {"months": [{"month", "pec_days_written", "groups", "rows_rated", "rows_unpriced"}, ...], "rows_rated": n}.
    `staged_months` (billing.usage.hooks.usage_changed): months whose rows rate_staged rated in this transaction,
    after deciding their PEC: it is not decided again."""
    organisation = Organisation.objects.select_related("country").get(pk=organisation_id)
    wanted = sorted({month_start(m) for m in months}) if months is not None else _months_with_unrated(organisation_id)
    closed = set(ClosedUsageMonth.objects.filter(organisation_id=organisation_id, month__in=wanted)
                 .values_list("month", flat=True))
    done = []
    staged = {month_start(m) for m in staged_months}
    with transaction.atomic():
        for month in wanted:
            if month not in closed:
                done.append(_rate_month(organisation, month, pec_decided=month in staged))
    return {"organisation_id": organisation_id, "months": done, "rows_rated": sum(m["rows_rated"] for m in done),
            "rows_unpriced": sum(m["rows_unpriced"] for m in done)}



def organisations_with_unrated_usage(*, months: list[date] | None = None) -> list[int]:
    """The organisations that have unrated usage (in `months` when given): what `manage.py rate_usage` rates."""
    query = f"SELECT DISTINCT u.organisation_id FROM {UsageRecord._meta.db_table} u WHERE {_UNRATED}"  # noqa: S608 (constants)
    params = []
    if months:
        ranges = []
        for month in sorted({month_start(m) for m in months}):
            ranges.append("(u.usage_date >= %s AND u.usage_date < %s)")
            params += [month, next_month(month)]
        query += " AND (" + " OR ".join(ranges) + ")"
    with connection.cursor() as cursor:
        cursor.execute(query + " ORDER BY 1", params)
        return [row[0] for row in cursor.fetchall()]
