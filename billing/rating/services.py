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
from .pec import pec_decide

FALLBACK_MARKET = "US"
NO_PRICE = "no_price"
PRICING_CURRENCY = "USD"

# Rows that rating (re)considers: never rated, or left without a price last time (a price list may have come since).
_UNRATED = "u.rated_at IS NULL AND u.not_rated_reason IN ('', 'no_price')"

# Which products never earn PEC whatever the access (domain.md §3.5.6). Marketplace: a publisher that is not Microsoft
# (Microsoft's own rows carry "Microsoft" or "Microsoft Corporation", or nothing).
# The cheap ILIKE first: the regular expression only runs on the few rows that mention the word. (%% and {{ }}: the
# fragments go through str.format and then the driver's parameter substitution.)
_BENEFIT = ("(u.benefit_id <> '' OR u.benefit_order_id <> '' OR u.benefit_type ILIKE ANY ('{{%%savings%%,%%reserv%%}}') "
            "OR u.charge_type ILIKE ANY ('{{%%savings%%,%%reserv%%}}'))")
_SPOT = ("(concat_ws(' ', u.meter_name, u.sku_name, u.meter_subcategory) ILIKE '%%spot%%' "
         r"AND concat_ws(' ', u.meter_name, u.sku_name, u.meter_subcategory) ~* '\mspot\M')")
_MARKETPLACE = "(u.publisher_name <> '' AND u.publisher_name !~* '^microsoft')"

# The statements of one month, in order. Each stage is a TEMP table (dropped at commit, and before it is made again in
# the same transaction) that is ANALYZEd, so the planner sees the real sizes of the stages that follow.
_STAGES = [
    # 1. The (plan, meter) groups with an unrated row, and the PEC days of the month.
    """DROP TABLE IF EXISTS _rating_dirty, _rating_pec, _rating_rows, _rating_tiers, _rating_result""",
    """CREATE TEMP TABLE _rating_dirty ON COMMIT DROP AS
       SELECT DISTINCT u.azure_plan_id, u.meter_id FROM {usage} u
       WHERE u.organisation_id = %(org)s AND u.usage_date >= %(m0)s AND u.usage_date < %(m1)s AND {unrated}""",
    """CREATE TEMP TABLE _rating_pec ON COMMIT DROP AS
       SELECT azure_subscription_id, resource_group, day, percentage FROM {pecday}
       WHERE organisation_id = %(org)s AND day >= %(m0)s AND day < %(m1)s""",
    "ANALYZE _rating_dirty, _rating_pec",
    # 2. Every row of those groups (rated or not; legacy rows never), with its access PEC and product exclusion.
    """CREATE TEMP TABLE _rating_rows ON COMMIT DROP AS
       SELECT u.id, u.usage_date, u.azure_plan_id, u.meter_id, u.azure_subscription_id, u.resource_uri, u.charge_type,
              u.benefit_id, u.quantity, u.product_id, u.sku_id,
              ({benefit} OR {spot} OR {marketplace}) AS excluded,
              coalesce(pr.percentage, ps.percentage, 0) AS access_pec
       FROM {rows_from} u JOIN _rating_dirty d ON d.azure_plan_id = u.azure_plan_id AND d.meter_id = u.meter_id
       LEFT JOIN _rating_pec pr ON u.resource_group <> '' AND pr.azure_subscription_id = u.azure_subscription_id
                               AND pr.day = u.usage_date AND pr.resource_group = lower(u.resource_group)
       LEFT JOIN _rating_pec ps ON ps.azure_subscription_id = u.azure_subscription_id AND ps.day = u.usage_date
                               AND ps.resource_group = ''
       WHERE u.organisation_id = %(org)s AND u.usage_date >= %(m0)s AND u.usage_date < %(m1)s
         AND u.not_rated_reason <> 'legacy'""",
    # 3. The tiers that price each meter on each day of the month: the period covering 00:00 UTC, the latest start
    #    winning; a tier covers the cumulative quantity (lo, hi], from the previous tier's maximum to its own.
    """CREATE TEMP TABLE _rating_tiers ON COMMIT DROP AS
       WITH meters AS (SELECT DISTINCT product_id, sku_id, meter_id FROM _rating_rows),
       sheet AS (
           SELECT m.product_id, m.sku_id, m.meter_id, r.effective_start, r.effective_end, r.unit_price, r.tier_min,
                  r.tier_max, r.tags ~* '(^|[^a-z])thirdparty([^a-z]|$)' AS third_party
           FROM meters m JOIN {sheetrow} r ON r.price_list_id = %(price_list)s AND r.product_id = m.product_id
                                           AND r.sku_id = m.sku_id
                                           AND (r.meter_ids = '' OR strpos(lower(r.meter_ids), lower(m.meter_id)) > 0)
       ), tiers AS (
           SELECT s.*, coalesce(lag(s.tier_max) OVER (PARTITION BY s.product_id, s.sku_id, s.meter_id, s.effective_start
                                                      ORDER BY s.tier_min NULLS FIRST, s.unit_price DESC), 0) AS lo,
                  coalesce(s.tier_max, 'infinity'::numeric) AS hi
           FROM sheet s
       ), days AS (
           SELECT d::date AS day, d::date::timestamp AT TIME ZONE 'UTC' AS at
           FROM generate_series(%(m0)s::date, %(m1)s::date - 1, interval '1 day') d
       ), period AS (
           SELECT s.product_id, s.sku_id, s.meter_id, d.day, max(s.effective_start) AS effective_start
           FROM sheet s JOIN days d ON s.effective_start <= d.at AND s.effective_end >= d.at
           GROUP BY 1, 2, 3, 4
       )
       SELECT p.product_id, p.sku_id, p.meter_id, p.day, t.unit_price, t.third_party, t.lo, t.hi
       FROM period p JOIN tiers t ON t.product_id = p.product_id AND t.sku_id = p.sku_id AND t.meter_id = p.meter_id
                                 AND t.effective_start = p.effective_start""",
    "ANALYZE _rating_rows, _rating_tiers",
    # 4. The figures of every row: the cumulative quantity of the month per plan and meter (priced rows only, in
    #    usage date then natural-key order), the list cost of the row's slice, PEC, the floored month-to-date cost.
    """CREATE TEMP TABLE _rating_result ON COMMIT DROP AS
       WITH priced_days AS (SELECT DISTINCT product_id, sku_id, meter_id, day FROM _rating_tiers),
       priced AS (
           SELECT b.*,
                  sum(b.quantity) OVER w AS cum_after, row_number() OVER w AS seq
           FROM _rating_rows b JOIN priced_days p ON p.product_id = b.product_id AND p.sku_id = b.sku_id
                                                 AND p.meter_id = b.meter_id AND p.day = b.usage_date
           WINDOW w AS (PARTITION BY b.azure_plan_id, b.meter_id
                        ORDER BY b.usage_date, b.azure_subscription_id, b.resource_uri COLLATE "C",
                                 b.charge_type COLLATE "C", b.benefit_id COLLATE "C", b.id
                        ROWS UNBOUNDED PRECEDING)
       ), costed AS (
           SELECT c.id, c.usage_date, c.azure_plan_id, c.meter_id, c.seq, c.quantity, c.cum_after,
                  CASE WHEN c.excluded OR bool_or(t.third_party) THEN 0 ELSE c.access_pec END AS pec,
                  sum(t.unit_price * (greatest(t.lo, least(c.cum_after, t.hi))
                                      - greatest(t.lo, least(c.cum_after - c.quantity, t.hi)))) AS list_cost,
                  min(t.unit_price) FILTER (WHERE c.cum_after - c.quantity >= t.lo
                                            AND c.cum_after - c.quantity < t.hi) AS tier_price
           FROM priced c JOIN _rating_tiers t ON t.product_id = c.product_id AND t.sku_id = c.sku_id
                                             AND t.meter_id = c.meter_id AND t.day = c.usage_date
           GROUP BY c.id, c.usage_date, c.azure_plan_id, c.meter_id, c.seq, c.quantity, c.cum_after, c.excluded,
                    c.access_pec
       ), running AS (
           SELECT e.*, sum(e.cost) OVER (PARTITION BY e.azure_plan_id, e.meter_id ORDER BY e.seq
                                         ROWS UNBOUNDED PRECEDING) AS cum_cost
           FROM (SELECT c.*, c.list_cost * ((100 - c.pec) * 0.01) AS cost FROM costed c) e
       ), booked AS (  -- Microsoft's BC = ROUNDDOWN(month-to-date cost, 2)
           SELECT r.*, trunc(r.cum_cost, 2) AS bc_after, trunc(r.cum_cost - r.cost, 2) AS bc_before FROM running r
       )
       SELECT b.id, b.usage_date,
              round(CASE WHEN b.quantity <> 0 THEN b.list_cost / b.quantity ELSE b.tier_price END, 18) AS unit_price,
              b.pec::numeric(7, 4) AS pec_percentage,
              round(CASE WHEN b.cum_after <> 0 THEN b.bc_after / b.cum_after
                         ELSE b.tier_price * ((100 - b.pec) * 0.01) END, 18) AS effective_unit_price,
              b.bc_after - b.bc_before AS pricing_pre_tax_total,
              trunc(b.bc_after::numeric(60, 40) / %(usd_per_unit)s, %(places)s)
                - trunc(b.bc_before::numeric(60, 40) / %(usd_per_unit)s, %(places)s) AS billing_pre_tax_total
       FROM booked b""",
    "ANALYZE _rating_result",
]

# 5. Write only the rows whose figures differ (or that were unrated); rows of the groups without a price are left
#    unrated with their reason. Answers (groups, rows rated, rows without a price).
_WRITE_SQL = """
WITH result AS (
    SELECT b.id, b.usage_date, r.id IS NOT NULL AS has_price, r.unit_price, r.pec_percentage, r.effective_unit_price,
           r.pricing_pre_tax_total, r.billing_pre_tax_total
    FROM _rating_rows b LEFT JOIN _rating_result r ON r.id = b.id
), written AS (
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
    FROM result x
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


def _format(sql: str, rows_from: str | None = None) -> str:
    return sql.format(usage=UsageRecord._meta.db_table, pecday=PecDay._meta.db_table,
                      rows_from=rows_from or UsageRecord._meta.db_table,
                      sheetrow=PriceSheetRow._meta.db_table, unrated=_UNRATED, benefit=_BENEFIT, spot=_SPOT,
                      marketplace=_MARKETPLACE)


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
    m0, m1 = month, next_month(month)
    if pec_decided:  # rate_staged decided this month's PEC a moment ago, in this transaction
        pec_days = 0
    else:
        pec_days = pec_decide(organisation_id=organisation.pk, first_day=m0, last_day=_month_end(m0))
    out = {"month": f"{m0:%Y-%m}", "pec_days_written": pec_days, "groups": 0, "rows_rated": 0, "rows_unpriced": 0}
    if not _has_unrated(organisation.pk, m0):
        return out
    currency = organisation.country.currency
    usd_per_unit = usd_per_unit_for(currency=currency, month=m0)
    price_list = price_list_for(market=organisation.country_id, month=m0)
    params = {
        "org": organisation.pk, "m0": m0, "m1": m1, "price_list": price_list.pk if price_list else None,
        "usd_per_unit": usd_per_unit, "places": min(2, minor_units(currency)), "currency": currency,
        "pricing_currency": PRICING_CURRENCY,
        "exchange_rate": round_half_even(rate_from_usd_per_unit(Decimal(1), usd_per_unit), 30),
    }
    with connection.cursor() as cursor:
        for statement in _STAGES:
            cursor.execute(_format(statement), params)
        cursor.execute(_format(_WRITE_SQL), params)
        groups, rated, unpriced = cursor.fetchone()
    out.update(groups=groups, rows_rated=rated, rows_unpriced=unpriced)
    return out


# Rating staged rows before they are written (billing.usage.hooks.rate_staged): the rows of a group are its month's
# rows already stored plus the staged ones, so the staged rows get exactly the figures a re-rating of the whole group
# would give them; only the staged rows' figures are answered. A group with a stored row dated on or after its first
# staged row (a late row) is left out: its staged rows are written unrated and the group is re-rated after the write.
_STAGED_COLUMNS = ("id", "organisation_id", "usage_date", "azure_plan_id", "meter_id", "azure_subscription_id",
                   "resource_uri", "charge_type", "benefit_id", "benefit_order_id", "benefit_type", "quantity",
                   "product_id", "sku_id", "meter_name", "sku_name", "meter_subcategory", "publisher_name",
                   "resource_group", "not_rated_reason")
STAGED_RATING_COLUMNS = ("rated_at", "not_rated_reason", "price_list_id", "unit_price", "pec_percentage",
                         "effective_unit_price", "pricing_currency", "pricing_pre_tax_total", "billing_currency",
                         "exchange_rate", "exchange_rate_date", "billing_pre_tax_total")
STAGED_RATING_TABLE = "_rating_staged"

_STAGED_DIRTY = """
CREATE TEMP TABLE _rating_dirty ON COMMIT DROP AS
WITH g AS (
    SELECT t.azure_plan_id, t.meter_id, min(t.usage_date) AS first FROM {staged} t
    WHERE t.usage_date >= %(m0)s AND t.usage_date < %(m1)s AND t.not_rated_reason <> 'legacy' GROUP BY 1, 2
)
SELECT g.azure_plan_id, g.meter_id FROM g
WHERE NOT EXISTS (SELECT 1 FROM {usage} u WHERE u.organisation_id = %(org)s AND u.azure_plan_id = g.azure_plan_id
                  AND u.meter_id = g.meter_id AND u.usage_date >= g.first AND u.usage_date < %(m1)s)"""

_STAGED_WRITE = """
INSERT INTO _rating_staged ({columns})
SELECT b.id, CASE WHEN r.id IS NOT NULL THEN now() END, CASE WHEN r.id IS NOT NULL THEN '' ELSE 'no_price' END,
       CASE WHEN r.id IS NOT NULL THEN %(price_list)s::bigint END, r.unit_price, r.pec_percentage,
       r.effective_unit_price, CASE WHEN r.id IS NOT NULL THEN %(pricing_currency)s ELSE '' END,
       r.pricing_pre_tax_total, CASE WHEN r.id IS NOT NULL THEN %(currency)s ELSE '' END,
       CASE WHEN r.id IS NOT NULL THEN %(exchange_rate)s::numeric END,
       CASE WHEN r.id IS NOT NULL THEN %(m0)s::date END, r.billing_pre_tax_total
FROM _rating_rows b JOIN {staged} t ON t.id = b.id LEFT JOIN _rating_result r ON r.id = b.id"""


def rate_staged(*, organisation_id: int, table: str, months: list[date]) -> str | None:
    """The listener of billing.usage.hooks.rate_staged: rate the rows staged in the TEMP table `table` (UsageRecord's
    columns, `id` drawn from its sequence) before usage writes them. PEC is decided first for the months touched (one
    statement). Answers the name of a TEMP table (`id` and STAGED_RATING_COLUMNS) holding the figures of the staged
    rows it rated; the rows it leaves out (late rows' groups, legacy rows, closed months) are written unrated and
    rated by `rate_usage` after the write. ExchangeRateMissing as `rate_usage`."""
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
    currency = organisation.country.currency
    columns = ", ".join(_STAGED_COLUMNS)
    for m0 in open_months:
        m1 = next_month(m0)
        usd_per_unit = usd_per_unit_for(currency=currency, month=m0)
        price_list = price_list_for(market=organisation.country_id, month=m0)
        params = {
            "org": organisation_id, "m0": m0, "m1": m1, "price_list": price_list.pk if price_list else None,
            "usd_per_unit": usd_per_unit, "places": min(2, minor_units(currency)), "currency": currency,
            "pricing_currency": PRICING_CURRENCY,
            "exchange_rate": round_half_even(rate_from_usd_per_unit(Decimal(1), usd_per_unit), 30),
        }
        rows_from = (f"(SELECT {columns} FROM {UsageRecord._meta.db_table} WHERE organisation_id = %(org)s "  # noqa: S608
                     f"AND usage_date >= %(m0)s AND usage_date < %(m1)s UNION ALL SELECT {columns} FROM {table} "
                     f"WHERE usage_date >= %(m0)s AND usage_date < %(m1)s)")
        with connection.cursor() as cursor:
            for statement in _STAGES:
                if statement.lstrip().startswith("CREATE TEMP TABLE _rating_dirty"):
                    statement = _STAGED_DIRTY.replace("{staged}", table)
                cursor.execute(_format(statement, rows_from=rows_from), params)
            cursor.execute(_format(_STAGED_WRITE.replace("{staged}", table).replace(
                "{columns}", "id, " + ", ".join(STAGED_RATING_COLUMNS))), params)
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
