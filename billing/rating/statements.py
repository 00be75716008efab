"""The SQL of rating (docs/billing.md "Rating"), shared by `rate_usage` (stored rows) and `rate_staged` (an import's
rows before they are written): per month, the groups to rate, their PEC days, their tiers, then ONE statement that
prices every row of those groups.

The figures statement reads the rows once and sorts them once by their long keys: the cumulative quantity and the
cumulative cost are two windows over the same order (Azure plan, meter, priced or not; usage date, then the natural
key), the second over the output of the first and split further by charge type and PEC rate (an invoice line's own
month to date). The first numbers each row in its group (`rn`); the second orders by
that number, so the rows between the two windows no longer carry the natural key's texts (the ResourceURI is the
widest column), and its sort meets rows already in order. A row's tiers come from `_rating_tiers`, one row per
(product, SKU, meter, day) that a price period covers: an untiered meter (one tier, the usual case) is priced inline;
a tiered one sums its slices over the tier arrays. The sums are exact (numeric), so the figures are those of a join on
every tier row and a GROUP BY (what this statement replaced).

Parameters: org, m0, m1 (the month), price_list, usd_per_unit, places.
"""

# Rows that rating (re)considers: never rated, or left without a price last time (a price list may have come since).
UNRATED = "u.rated_at IS NULL AND u.not_rated_reason IN ('', 'no_price')"

# Which products never earn PEC whatever the access (domain.md §3.5.6). Marketplace: a publisher that is not Microsoft
# (Microsoft's own rows carry "Microsoft" or "Microsoft Corporation", or nothing).
# The cheap ILIKE first: the regular expression only runs on the few rows that mention the word. (%% and {{ }}: the
# fragments go through str.format and then the driver's parameter substitution.)
# The ILIKE tests compare in the "C" collation: their patterns are ASCII words, and the database's collation (C.UTF-8,
# en_US...) would fold the case of every row's text through wide characters, several times a row (a tenth of the
# figures statement at a million rows); "C" folds ASCII letters only, which is all that these patterns can match.
BENEFIT = ("(u.benefit_id <> '' OR u.benefit_order_id <> '' "
           "OR u.benefit_type COLLATE \"C\" ILIKE ANY ('{{%%savings%%,%%reserv%%}}') "
           "OR u.charge_type COLLATE \"C\" ILIKE ANY ('{{%%savings%%,%%reserv%%}}'))")
SPOT = ("(concat_ws(' ', u.meter_name, u.sku_name, u.meter_subcategory) COLLATE \"C\" ILIKE '%%spot%%' "
        r"AND concat_ws(' ', u.meter_name, u.sku_name, u.meter_subcategory) ~* '\mspot\M')")
MARKETPLACE = "(u.publisher_name <> '' AND u.publisher_name !~* '^microsoft')"

# The columns of a usage row that rating reads (UsageRecord's names); a staged table has them all (and `id`).
ROW_COLUMNS = ("id", "usage_date", "azure_plan_id", "meter_id", "azure_subscription_id", "resource_uri", "charge_type",
               "benefit_id", "benefit_order_id", "benefit_type", "quantity", "product_id", "sku_id", "meter_name",
               "sku_name", "meter_subcategory", "publisher_name", "resource_group", "not_rated_reason")

PEC_SQL = """
CREATE TEMP TABLE _rating_pec ON COMMIT DROP AS
SELECT azure_subscription_id, resource_group, day, percentage FROM {pecday}
WHERE organisation_id = %(org)s AND day >= %(m0)s AND day < %(m1)s"""

# The (plan, meter) groups of the month with an unrated stored row, and their meters.
DIRTY_SQL = """
CREATE TEMP TABLE _rating_dirty ON COMMIT DROP AS
SELECT DISTINCT u.azure_plan_id, u.meter_id FROM {usage} u
WHERE u.organisation_id = %(org)s AND u.usage_date >= %(m0)s AND u.usage_date < %(m1)s AND {unrated}"""

METERS_SQL = """
CREATE TEMP TABLE _rating_meters ON COMMIT DROP AS
SELECT DISTINCT u.product_id, u.sku_id, u.meter_id
FROM {usage} u JOIN _rating_dirty d ON d.azure_plan_id = u.azure_plan_id AND d.meter_id = u.meter_id
WHERE u.organisation_id = %(org)s AND u.usage_date >= %(m0)s AND u.usage_date < %(m1)s
  AND u.not_rated_reason <> 'legacy'"""

# Staged rows (rate_staged): the groups of the staged rows, left out when a stored row of the group is dated on or after
# its first staged row (a late row: the group is re-rated after the write); their meters, stored and staged.
STAGED_GROUPS_SQL = """
CREATE TEMP TABLE _rating_groups ON COMMIT DROP AS
SELECT t.azure_plan_id, t.meter_id, t.product_id, t.sku_id, min(t.usage_date) AS first FROM {staged} t
WHERE t.usage_date >= %(m0)s AND t.usage_date < %(m1)s AND t.not_rated_reason <> 'legacy' GROUP BY 1, 2, 3, 4"""

STAGED_DIRTY_SQL = """
CREATE TEMP TABLE _rating_dirty ON COMMIT DROP AS
WITH g AS (SELECT azure_plan_id, meter_id, min(first) AS first FROM _rating_groups GROUP BY 1, 2)
SELECT g.azure_plan_id, g.meter_id FROM g
WHERE NOT EXISTS (SELECT 1 FROM {usage} u WHERE u.organisation_id = %(org)s AND u.azure_plan_id = g.azure_plan_id
                  AND u.meter_id = g.meter_id AND u.usage_date >= g.first AND u.usage_date < %(m1)s)"""

STAGED_METERS_SQL = """
CREATE TEMP TABLE _rating_meters ON COMMIT DROP AS
SELECT g.product_id, g.sku_id, g.meter_id
FROM _rating_groups g JOIN _rating_dirty d ON d.azure_plan_id = g.azure_plan_id AND d.meter_id = g.meter_id
UNION
SELECT u.product_id, u.sku_id, u.meter_id
FROM {usage} u JOIN _rating_dirty d ON d.azure_plan_id = u.azure_plan_id AND d.meter_id = u.meter_id
WHERE u.organisation_id = %(org)s AND u.usage_date >= %(m0)s AND u.usage_date < %(m1)s
  AND u.not_rated_reason <> 'legacy'"""

# The tiers that price each meter on each day of the month: the period covering 00:00 UTC, the latest start winning;
# a tier covers the cumulative quantity (lo, hi], from the previous tier's maximum to its own. One row per (product,
# SKU, meter, day): `n` tiers; price, lo and hi of the only tier when n = 1, the arrays of all when n > 1; whether a
# tier is ThirdParty.
TIERS_SQL = """
CREATE TEMP TABLE _rating_tiers ON COMMIT DROP AS
WITH sheet AS (
    SELECT m.product_id, m.sku_id, m.meter_id, r.effective_start, r.effective_end, r.unit_price, r.tier_min,
           r.tier_max, r.tags ~* '(^|[^a-z])thirdparty([^a-z]|$)' AS third_party
    FROM _rating_meters m JOIN {sheetrow} r ON r.price_list_id = %(price_list)s AND r.product_id = m.product_id
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
SELECT p.product_id, p.sku_id, p.meter_id, p.day, count(*) AS n, min(t.unit_price) AS price, min(t.lo) AS lo,
       min(t.hi) AS hi, bool_or(t.third_party) AS third_party,
       CASE WHEN count(*) > 1 THEN array_agg(t.unit_price) END AS prices,
       CASE WHEN count(*) > 1 THEN array_agg(t.lo) END AS los, CASE WHEN count(*) > 1 THEN array_agg(t.hi) END AS his
FROM period p JOIN tiers t ON t.product_id = p.product_id AND t.sku_id = p.sku_id AND t.meter_id = p.meter_id
                          AND t.effective_start = p.effective_start
GROUP BY 1, 2, 3, 4"""

# Every row of the dirty groups (rated or not; legacy rows never) from {rows_from} (UsageRecord's ROW_COLUMNS, the
# organisation's and a `staged` flag), with its access PEC and product exclusion. The sort keys are spelt with the "C"
# collation (the order the natural key is compared in; the groups are the same).
_ROWS = """
SELECT u.id, u.usage_date, u.azure_plan_id, u.meter_id COLLATE "C" AS k_meter, u.azure_subscription_id,
       u.resource_uri COLLATE "C" AS k_uri, u.charge_type COLLATE "C" AS k_charge,
       u.benefit_id COLLATE "C" AS k_benefit, u.quantity, u.product_id, u.sku_id, u.meter_id, u.staged,
       ({benefit} OR {spot} OR {marketplace}) AS excluded, coalesce({pr_percentage}, ps.percentage, 0) AS access_pec
FROM {rows_from} u JOIN _rating_dirty d ON d.azure_plan_id = u.azure_plan_id AND d.meter_id = u.meter_id
{pec_by_group}LEFT JOIN _rating_pec ps ON ps.azure_subscription_id = u.azure_subscription_id AND ps.day = u.usage_date
                        AND ps.resource_group = ''
WHERE u.usage_date >= %(m0)s AND u.usage_date < %(m1)s AND u.not_rated_reason <> 'legacy'"""

_ORDER = ("PARTITION BY {p}azure_plan_id, {p}k_meter, {priced} ORDER BY {p}usage_date, {p}azure_subscription_id, "
          "{p}k_uri, {p}k_charge, {p}k_benefit, {p}id ROWS UNBOUNDED PRECEDING")
# The second window: the month to date of each future invoice line (billing.invoicing.lines_sql: a plan's meter, charge
# type and PEC rate), in the first window's order, as numbered by it (row_number over _ORDER).
_ORDER_AGAIN = ("PARTITION BY e.azure_plan_id, e.k_meter, e.has_price, e.k_charge, e.pec ORDER BY e.rn "
                "ROWS UNBOUNDED PRECEDING")

# The figures of every row: the cumulative quantity of the month per plan and meter (priced rows only, in usage date
# then natural-key order: the tiers), the list cost of the row's slice over its tiers, PEC, the floored month-to-date
# cost (Microsoft's BC = ROUNDDOWN(cost, 2)) of the row's invoice line (plan, meter, charge type, PEC rate: each line is
# then the ROUNDDOWN of its own exact cost, never above it, as Microsoft's recon subtotal ROUNDDOWN(EUP x BQ, 2)) and
# the row's part of it, in USD and in the billing currency. A row without a
# price on its day (no tier) has `has_price` false and no figures; its quantity does not count.
FIGURES_SQL = """
WITH rows AS ({rows}),
priced AS (
    SELECT b.id, b.usage_date, b.azure_plan_id, b.k_meter, b.k_charge,
           b.quantity, b.staged, b.excluded, b.access_pec, t.n, t.price, t.lo, t.hi, t.prices, t.los, t.his,
           t.third_party, t.n IS NOT NULL AS has_price, sum(b.quantity) OVER ({order_b}) AS cum_after,
           row_number() OVER ({order_b}) AS rn
    FROM rows b LEFT JOIN _rating_tiers t ON t.product_id = b.product_id AND t.sku_id = b.sku_id
                                         AND t.meter_id = b.meter_id AND t.day = b.usage_date
), sliced AS (  -- a tiered row's slice cost and tier price, from one reading of its tiers
    SELECT p.*, CASE WHEN p.n > 1 THEN (
               SELECT ARRAY[sum(x.price * (greatest(x.lo, least(p.cum_after, x.hi))
                                           - greatest(x.lo, least(p.cum_after - p.quantity, x.hi)))),
                            min(x.price) FILTER (WHERE p.cum_after - p.quantity >= x.lo
                                                   AND p.cum_after - p.quantity < x.hi)]
               FROM unnest(p.prices, p.los, p.his) AS x(price, lo, hi)) END AS tiered
    FROM priced p OFFSET 0  -- computed once, not once per use of its two values
), costed AS (
    SELECT p.*, CASE WHEN p.excluded OR p.third_party THEN 0 ELSE p.access_pec END AS pec,
           CASE WHEN p.n = 1 THEN p.price * (greatest(p.lo, least(p.cum_after, p.hi))
                                             - greatest(p.lo, least(p.cum_after - p.quantity, p.hi)))
                WHEN p.n > 1 THEN p.tiered[1] END AS list_cost,
           CASE WHEN p.n = 1 THEN CASE WHEN p.cum_after - p.quantity >= p.lo
                                            AND p.cum_after - p.quantity < p.hi THEN p.price END
                WHEN p.n > 1 THEN p.tiered[2] END AS tier_price
    FROM sliced p OFFSET 0  -- computed once (not inlined into each use), in the order of `priced`
), running AS (
    SELECT e.*, sum(e.cost) OVER ({order_e}) AS cum_cost, sum(e.quantity) OVER ({order_e}) AS line_qty
    FROM (SELECT c.*, c.list_cost * ((100 - c.pec) * 0.01) AS cost FROM costed c) e
), booked AS (  -- Microsoft's BC = ROUNDDOWN(month-to-date cost, 2)
    SELECT r.*, trunc(r.cum_cost, 2) AS bc_after, trunc(r.cum_cost - r.cost, 2) AS bc_before FROM running r OFFSET 0
)
SELECT b.id, b.usage_date, b.staged, b.has_price,
       CASE WHEN b.has_price THEN round(CASE WHEN b.quantity <> 0 THEN b.list_cost / b.quantity ELSE b.tier_price END,
                                        18) END AS unit_price,
       CASE WHEN b.has_price THEN b.pec::numeric(7, 4) END AS pec_percentage,
       CASE WHEN b.has_price THEN round(CASE WHEN b.line_qty <> 0 THEN b.bc_after / b.line_qty
                                             ELSE b.tier_price * ((100 - b.pec) * 0.01) END, 18) END
           AS effective_unit_price,
       CASE WHEN b.has_price THEN b.bc_after - b.bc_before END AS pricing_pre_tax_total,
       CASE WHEN NOT b.has_price THEN NULL
            -- billed in USD with cents (a rate of 1): the same amount (both BCs have two decimals), without the
            -- divisions; the constant test is folded when the statement is planned
            WHEN %(usd_per_unit)s::numeric = 1 AND %(places)s::int >= 2 THEN b.bc_after - b.bc_before
            ELSE trunc(b.bc_after::numeric(60, 40) / %(usd_per_unit)s, %(places)s)
                 - trunc(b.bc_before::numeric(60, 40) / %(usd_per_unit)s, %(places)s) END
           AS billing_pre_tax_total
FROM booked b"""


# PEC decided for a resource group (an assignment on the group, not the subscription): joined only when the month has
# such a day (PEC_BY_GROUP_SQL), as the join lowers every row's resource group to compare it.
_PEC_BY_GROUP = """LEFT JOIN _rating_pec pr ON u.resource_group <> '' AND pr.azure_subscription_id = u.azure_subscription_id
                        AND pr.day = u.usage_date AND pr.resource_group = lower(u.resource_group)
"""
PEC_BY_GROUP_SQL = "SELECT EXISTS (SELECT 1 FROM _rating_pec WHERE resource_group <> '')"


def rows_sql(rows_from: str, *, by_group: bool = True) -> str:
    """The rows to price (_ROWS) from `rows_from`: a parenthesised SELECT of ROW_COLUMNS and `staged`. `by_group`:
    whether _rating_pec holds a resource group's days (PEC_BY_GROUP_SQL); without, the join is left out."""
    return (_ROWS.replace("{rows_from}", rows_from)
            .replace("{pec_by_group}", _PEC_BY_GROUP if by_group else "")
            .replace("{pr_percentage}", "pr.percentage" if by_group else "NULL::numeric"))


def figures_sql(rows: str) -> str:
    """FIGURES_SQL over `rows` (`rows_sql(...)`, or a SELECT from a table made of it), still to be formatted with the
    tables' names (services._format)."""
    return (FIGURES_SQL.replace("{rows}", rows)
            .replace("{order_b}", _ORDER.format(p="b.", priced="t.n IS NOT NULL"))
            .replace("{order_e}", _ORDER_AGAIN))
