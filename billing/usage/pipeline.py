"""The set-based SQL of usage ingestion, on the TEMP table usage_stage (billing.usage.loader): parse the dates and
the (CustomerId, EntitlementId) pairs once per distinct value, check every line in one scan, refuse changes to closed
months, and write with one INSERT ... SELECT ... ON CONFLICT (the natural key) DO UPDATE of the changed rows only.

The same functions run an import and the matching of waiting (unmatched) rows: both build usage_stage first. The
checks of the staged lines (every bad line listed) are billing.usage.checks.
"""

import datetime as dt

from django.db import connection
from django.utils import timezone
from psycopg.sql import quote

from accounts.models import Organisation
from azureplan.models import AzurePlan, AzureSubscription, LegacySubscription
from customers.models import Customer

from ..models import ClosedUsageMonth, UnmatchedUsage, UsageRecord
from ..pricing.loader import datetime_parts_sql, datetime_sql
from . import hooks, partitions
from .loader import STAGE_COLUMNS
from .partitions import ensure_usage_partitions, next_month

MAX_ERRORS = 1000
NUMBER_RE = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]{1,3})?$"
GUID_RE = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"

_IDS = ("product_id", "sku_id", "availability_id")  # trimmed; varchar(64)
_TEXTS = ("product_name", "sku_name", "publisher_name", "publisher_id", "meter_type", "meter_category",
          "meter_subcategory", "meter_name", "meter_region", "unit", "unit_type", "resource_location",
          "consumed_service", "resource_group", "resource_uri", "charge_type", "service_info1", "service_info2",
          "tags", "additional_info", "benefit_order_id", "benefit_id", "benefit_type")
_KEY_TEXTS = ("resource_uri", "charge_type", "benefit_id")  # trimmed: they are part of the natural key
# Microsoft's figures: numbers and the largest magnitude their columns hold.
_MS_NUMBERS = {"ms_unit_price": "1e20", "ms_effective_unit_price": "1e20", "ms_billing_pre_tax_total": "1e20",
               "ms_pricing_pre_tax_total": "1e20", "ms_exchange_rate": "1e10", "ms_pec_percentage": "1000",
               "ms_pec_rate": "10", "ms_credit_percentage": "1000", "ms_credit_rate": "10"}
_MS_CURRENCIES = ("ms_billing_currency", "ms_pricing_currency")

# UsageRecord's columns written from a staged row (alias s), its resolved key (k) and its dates (du, dx).
INPUT_COLUMNS = ("customer_id", "azure_plan_id", "reseller_id", *_IDS, "meter_id", *_TEXTS, "quantity",
                 "not_rated_reason")
MS_COLUMNS = ("ms_unit_price", "ms_effective_unit_price", "ms_billing_pre_tax_total", "ms_billing_currency",
              "ms_pricing_pre_tax_total", "ms_pricing_currency", "ms_exchange_rate", "ms_exchange_rate_date",
              "ms_pec_percentage", "ms_credit_percentage", "ms_credit_type")
KEY_COLUMNS = ("organisation_id", "usage_date", "azure_subscription_id", "meter_id", "resource_uri", "charge_type",
               "benefit_id")


def _compared(prefix, column):
    """A column as the change test reads it: rating owns not_rated_reason except 'legacy' (ingestion's)."""
    if column == "not_rated_reason":
        return f"({prefix}not_rated_reason = 'legacy')"
    return f"{prefix}{column}"


def _typed_compared(column):
    return f"(({TYPED[column]}) = 'legacy')" if column == "not_rated_reason" else TYPED[column]


def _num(column):
    return f"nullif(btrim(s.{column}), '')::numeric"


def _typed():
    """{UsageRecord column: SQL expression} of a staged row, valid once the checks passed."""
    typed = {"organisation_id": "%(org)s", "customer_id": "k.customer_id", "azure_plan_id": "k.plan_id",
             "azure_subscription_id": "k.sub_id", "reseller_id": "k.reseller_id", "usage_date": "du.d"}
    typed.update({name: f"coalesce(btrim(s.{name}), '')" for name in _IDS})
    typed["meter_id"] = ("CASE WHEN btrim(s.meter_id) <> '' THEN btrim(s.meter_id) "
                         "WHEN btrim(s.product_id) <> '' AND btrim(s.sku_id) <> '' "
                         "THEN btrim(s.product_id) || '/' || btrim(s.sku_id) END")
    typed.update({name: (f"coalesce(btrim(s.{name}), '')" if name in _KEY_TEXTS else f"coalesce(s.{name}, '')")
                  for name in _TEXTS})
    typed["quantity"] = "btrim(s.quantity)::numeric"
    typed["not_rated_reason"] = ("CASE WHEN k.cutover IS NOT NULL AND (du.d::timestamp AT TIME ZONE 'UTC') < k.cutover "
                                 "THEN 'legacy' ELSE '' END")
    for name in ("ms_unit_price", "ms_effective_unit_price", "ms_billing_pre_tax_total", "ms_pricing_pre_tax_total",
                 "ms_exchange_rate"):
        typed[name] = _num(name)
    typed.update({name: f"upper(coalesce(btrim(s.{name}), ''))" for name in _MS_CURRENCIES})
    typed["ms_exchange_rate_date"] = "dx.d"
    typed["ms_pec_percentage"] = f"coalesce({_num('ms_pec_percentage')}, {_num('ms_pec_rate')} * 100)"
    typed["ms_credit_percentage"] = f"coalesce({_num('ms_credit_percentage')}, {_num('ms_credit_rate')} * 100)"
    typed["ms_credit_type"] = "coalesce(s.ms_credit_type, '')"
    return typed


TYPED = _typed()
# The natural key's unique index (migration 0008): ResourceURI as the fixed-size hash md5(resource_uri)::uuid, so the
# index holds 16 bytes instead of the long URI (built faster when a month's partition is attached, smaller on disk).
CONFLICT_KEY = ", ".join("(md5(resource_uri)::uuid)" if c == "resource_uri" else c for c in KEY_COLUMNS)
RECORD_COLUMNS = (*KEY_COLUMNS, *(c for c in INPUT_COLUMNS if c not in KEY_COLUMNS), *MS_COLUMNS)

_JOINS = """
    FROM usage_stage s
    JOIN usage_keys k ON k.ct = coalesce(s.customer_id, '') AND k.et = coalesce(s.entitlement_id, '')
    LEFT JOIN usage_dates du ON du.v = s.usage_date
    LEFT JOIN usage_dates dx ON dx.v = s.ms_exchange_rate_date"""


DATE_FLOOR = dt.date(2000, 1, 1)


def date_bounds() -> tuple[dt.date, dt.date]:
    """The usage dates an import accepts: from DATE_FLOOR to the last day of the month after the current (UTC) one."""
    today = timezone.now().date()
    after_next = (today.replace(day=1) + dt.timedelta(days=62)).replace(day=1)
    return DATE_FLOOR, after_next - dt.timedelta(days=1)


def prepare(organisation_id):
    """usage_seen (one scan of the stage: each distinct (CustomerId, EntitlementId, UsageDate, exchange rate date) with
    its line count and whether a number may be NaN or Infinity), then from it usage_dates (each distinct date text
    parsed once) and usage_keys (each distinct CustomerId, EntitlementId pair checked and resolved once, in the
    organisation's scope: its customer, the Azure subscription under one of that customer's plans, the plan's reseller
    of record, the legacy cut-over instant, or why it does not resolve)."""
    numbers = ", ".join(("quantity", *_MS_NUMBERS))
    tenant = str(Organisation.objects.filter(pk=organisation_id).values_list("tenant_id", flat=True).first() or "")
    connection.usage_partner_tenant = tenant
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS usage_seen, usage_dates, usage_keys")
        # `odd`: an n or N among the numbers (NaN, Infinity). Lowered in the "C" collation, which folds ASCII letters
        # only: no other letter lowers to n, and the database's collation would fold each line through wide characters.
        cursor.execute(f"""
            CREATE TEMP TABLE usage_seen ON COMMIT DROP AS
            SELECT coalesce(customer_id, '') AS ct, coalesce(entitlement_id, '') AS et, usage_date,
                   ms_exchange_rate_date, count(*) AS n, bool_or(lower(concat({numbers}) COLLATE "C") LIKE '%n%'
                                                      OR quantity ~ '^\\s*-') AS odd,
                   bool_or({_foreign("partner_id")}) AS foreign_partner
            FROM usage_stage GROUP BY 1, 2, 3, 4""")
        # A date outside DATE_FLOOR .. the month after the current one is no usage date (d NULL, `far` true): a stray
        # year (0001, 9999) would otherwise create every monthly partition in between, or overflow the last one.
        first, last = date_bounds()
        cursor.execute(f"""
            CREATE TEMP TABLE usage_dates ON COMMIT DROP AS
            SELECT v, CASE WHEN x BETWEEN %(first)s AND %(last)s THEN x END AS d,
                   coalesce(x NOT BETWEEN %(first)s AND %(last)s, false) AS far FROM (
                SELECT v, ({datetime_sql("p")} AT TIME ZONE 'UTC')::date AS x FROM (
                    SELECT v, {datetime_parts_sql("v")} AS p FROM (
                        SELECT usage_date AS v FROM usage_seen UNION SELECT ms_exchange_rate_date FROM usage_seen
                    ) u WHERE btrim(v) <> '' OFFSET 0) parsed) dated""", {"first": first, "last": last})
        cursor.execute(f"""
            CREATE TEMP TABLE usage_keys ON COMMIT DROP AS
            WITH pairs AS (
                SELECT ct, et, sum(n)::bigint AS n FROM usage_seen GROUP BY 1, 2
            ), parsed AS (
                SELECT ct, et, n, CASE WHEN btrim(ct) ~ '{GUID_RE}' THEN btrim(ct)::uuid END AS cu,
                       CASE WHEN btrim(et) ~ '{GUID_RE}' THEN btrim(et)::uuid END AS eu FROM pairs
            )
            SELECT v.*, c.id AS customer_id, a.id AS sub_id, a.plan_id, a.reseller_id, a.cutover,
                   CASE WHEN v.cu IS NULL OR v.eu IS NULL OR a.id IS NOT NULL THEN NULL
                        WHEN c.id IS NULL THEN 'unknown_customer'
                        WHEN NOT EXISTS (SELECT 1 FROM {AzurePlan._meta.db_table} p WHERE p.customer_id = c.id)
                        THEN 'unknown_plan' ELSE 'unknown_subscription' END AS reason
            FROM parsed v
            LEFT JOIN {Customer._meta.db_table} c ON c.tenant_id = v.cu AND c.organisation_id = %s
            LEFT JOIN LATERAL (
                SELECT s.id, s.plan_id, p.reseller_id, l.transitioned_at AS cutover
                FROM {AzureSubscription._meta.db_table} s
                JOIN {AzurePlan._meta.db_table} p ON p.id = s.plan_id
                LEFT JOIN {LegacySubscription._meta.db_table} l ON l.azure_subscription_id = s.id
                WHERE s.subscription_id = v.eu AND p.customer_id = c.id
            ) a ON true""", [organisation_id])
        cursor.execute("ANALYZE usage_keys")
        cursor.execute("ANALYZE usage_dates")
        cursor.execute("SELECT min(d), max(d) FROM usage_dates WHERE v IN (SELECT usage_date FROM usage_seen)")
        connection.usage_date_range = cursor.fetchone()


def _text(value):
    return quote(str(value))


def _foreign(column):
    """A line's PartnerId that is given and is not the importing organisation's tenant (set by `prepare`)."""
    tenant = _text(getattr(connection, "usage_partner_tenant", ""))
    return f"(btrim(coalesce({column}, '')) <> '' AND lower(btrim({column})) <> {tenant})"


def date_range():
    """(first, last) usage date of the staged lines (read once per staging, by `prepare`)."""
    return connection.usage_date_range


def has_closed_months(organisation_id):
    first, last = date_range()
    return first is not None and ClosedUsageMonth.objects.filter(
        organisation_id=organisation_id, month__gte=first.replace(day=1), month__lte=last).exists()


def staged_months():
    """The months the last `write` handed to the staged-rows rater (billing.usage.hooks.rate_staged)."""
    return list(getattr(connection, "usage_staged_months", None) or [])


def write(organisation_id, import_id):
    """Upsert the resolved rows: new keys inserted, changed ones updated (rated_at NULL and import_id this import when
    the usage changed; only Microsoft's figures when only they did), the same left alone. Returns (added, replaced,
    refreshed, months of the added or replaced rows). `import_id` None: each staged row's `import_ref` (matching
    waiting rows), and every update counts as replaced."""
    connection.usage_staged_months = []
    table = UsageRecord._meta.db_table
    typed = dict(TYPED)
    typed["import_id"] = "s.import_ref::bigint" if import_id is None else "%(import)s"
    typed["rated_at"] = "NULL::timestamptz"
    columns = (*RECORD_COLUMNS, "import_id", "rated_at")
    select = ", ".join(typed[c] for c in columns)
    usage_changed = (f"({', '.join(_compared(f'{table}.', c) for c in INPUT_COLUMNS)}) IS DISTINCT FROM "
                     f"({', '.join(_compared('EXCLUDED.', c) for c in INPUT_COLUMNS)})")
    ms_changed = (f"({', '.join(f'{table}.{c}' for c in MS_COLUMNS)}) IS DISTINCT FROM "
                  f"({', '.join(f'EXCLUDED.{c}' for c in MS_COLUMNS)})")
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in (*INPUT_COLUMNS, *MS_COLUMNS) if c != "not_rated_reason")
    replaced = "true" if import_id is None else "import_id IS NOT DISTINCT FROM %(import)s"
    first, last = date_range()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {table} WHERE organisation_id = %s AND usage_date BETWEEN %s AND %s)",
                       [organisation_id, first, last])
        fresh = not cursor.fetchone()[0]
    if fresh:  # nothing of the organisation in these days yet: a plain INSERT (no conflict to look for), rated
        return _write_fresh(organisation_id, import_id, typed, first, last)
    if first is not None:
        ensure_usage_partitions(first, last)
    sql = f"""
        WITH written AS (
            INSERT INTO {table} ({", ".join(columns)})
            SELECT {select} {_JOINS}
            WHERE k.sub_id IS NOT NULL
            ON CONFLICT ({CONFLICT_KEY}) DO UPDATE SET {updates},
                rated_at = CASE WHEN {usage_changed} THEN NULL ELSE {table}.rated_at END,
                not_rated_reason = CASE WHEN {usage_changed} THEN EXCLUDED.not_rated_reason
                                        ELSE {table}.not_rated_reason END,
                import_id = CASE WHEN {usage_changed} THEN EXCLUDED.import_id ELSE {table}.import_id END
            WHERE {usage_changed} OR {ms_changed}
            RETURNING id > %(before)s AS added, {replaced} AS replaced, usage_date
        )
        SELECT count(*) FILTER (WHERE added), count(*) FILTER (WHERE NOT added AND replaced),
               count(*) FILTER (WHERE NOT added AND NOT replaced),
               array_agg(DISTINCT date_trunc('month', usage_date)::date) FILTER (WHERE added OR replaced)
        FROM written"""
    with connection.cursor() as cursor:
        # The rows inserted are those with an id drawn by this statement (xmax is not readable from a partitioned
        # table's RETURNING): every existing row of the organisation has a smaller id, as imports of one
        # organisation run one at a time (services._lock) and the identity has no cache.
        cursor.execute(sql, {"org": organisation_id, "import": import_id, "before": _sequence_value(cursor, table)})
        added, replaced_count, refreshed, months = cursor.fetchone()
    return added, replaced_count, refreshed, sorted(months or [])


# What the staged-rows rater reads of a staged line (billing.usage.hooks.rate_staged): UsageRecord's names, `id` the
# stage's line number.
RATE_COLUMNS = ("usage_date", "azure_plan_id", "meter_id", "azure_subscription_id", "resource_uri", "charge_type",
                "benefit_id", "benefit_order_id", "benefit_type", "quantity", "product_id", "sku_id", "meter_name",
                "sku_name", "meter_subcategory", "publisher_name", "resource_group", "not_rated_reason")
RATED_COLUMNS = ("rated_at", "not_rated_reason", "price_list_id", "unit_price", "pec_percentage",
                 "effective_unit_price", "pricing_currency", "pricing_pre_tax_total", "billing_currency",
                 "exchange_rate", "exchange_rate_date", "billing_pre_tax_total")


def _fresh_months():
    """The months of the resolved lines (from the small tables of `prepare`), and whether a resolved line has no
    usage date (a bad line the checks did not look for: its INSERT into the parent fails, and it is listed)."""
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT DISTINCT date_trunc('month', du.d)::date FROM usage_seen v
            JOIN usage_keys k ON k.ct = v.ct AND k.et = v.et LEFT JOIN usage_dates du ON du.v = v.usage_date
            WHERE k.sub_id IS NOT NULL ORDER BY 1""")
        months = [row[0] for row in cursor.fetchall()]
    return [m for m in months if m is not None], None in months


def _write_fresh(organisation_id, import_id, typed, first, last):
    """The rows of days the organisation has no usage in yet, written once, rated: the staged-rows rater (rating's
    listener of billing.usage.hooks.rate_staged) reads a narrow TEMP table of what rating needs (usage_rate, keyed by
    the stage's line) and answers the figures by line; then ONE INSERT ... SELECT per target from usage_stage, its
    resolved keys and dates and the figures (ids drawn from the table's sequence there). A month without a partition
    yet gets a fresh table without indexes, filled, then attached (its keys and indexes built once, after the rows,
    and the CHECK matching the bound spares ATTACH its scan). A repeated natural key fails the INSERT, or the ATTACH
    building the unique index: the caller lists them."""
    table = UsageRecord._meta.db_table
    columns = (*RECORD_COLUMNS, "import_id")
    params = {"org": organisation_id, "import": import_id}
    months, undated = _fresh_months()
    if not months and not undated:
        return 0, 0, 0, []
    rating = None
    if months and hooks.has_staged_rater():
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS usage_rate")
            # Hashed, not looped: the planner takes the stage's join with usage_keys (two correlated keys) for a few
            # hundred lines, and would compare each of a million lines with every date in a nested loop.
            cursor.execute("SELECT current_setting('enable_nestloop'), set_config('enable_nestloop', 'off', true)")
            nestloop = cursor.fetchone()[0]
            cursor.execute(f"""
                CREATE TEMP TABLE usage_rate ON COMMIT DROP AS
                SELECT s.line AS id, {", ".join(f"{typed[c]} AS {c}" for c in RATE_COLUMNS)}
                {_JOINS.split("LEFT JOIN usage_dates dx")[0]} WHERE k.sub_id IS NOT NULL AND du.d IS NOT NULL""",
                           params)
            cursor.execute("SELECT set_config('enable_nestloop', %s, true)", [nestloop])
            # Not ANALYZEd: with its real size the planner merges the figures statement's joins through sorts spilled
            # to disk (17.6 s instead of 12 s at a million lines); its small joined tables are hashed as they are.
        rating = hooks.rate_staged(organisation_id=organisation_id, table="usage_rate", months=months)
    if rating:
        connection.usage_staged_months = months
    names = ["id", *(c for c in columns if c != "not_rated_reason"), *RATED_COLUMNS]
    values = [*(typed[c] for c in columns if c != "not_rated_reason")]
    if rating:  # the rater's figures where it rated the row, else unrated (the typed not_rated_reason: '' or legacy)
        values += [f"r.{c}" if c != "not_rated_reason" else f"coalesce(r.not_rated_reason, {typed[c]})"
                   for c in RATED_COLUMNS]
        values = [f"coalesce({v}, '')" if v in ("r.pricing_currency", "r.billing_currency") else v for v in values]
        # The figures are joined to the stage first, by line, the planner hashing the narrow figures: left to
        # itself it misjudges the stage's join with usage_keys (two correlated text keys: estimated at a few
        # hundred lines for a million) and hashes the wide stage rows instead (gigabytes at a million lines).
        joins = f"FROM usage_stage s LEFT JOIN {rating} r ON r.id = s.line" + _JOINS.split("FROM usage_stage s", 1)[1]
    else:
        values += ["NULL", typed["not_rated_reason"],
                   *("''" if c in ("pricing_currency", "billing_currency") else "NULL" for c in RATED_COLUMNS[2:])]
        joins = _JOINS
    built = partitions.build_detached_partitions(months)
    added = 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id'), current_setting('join_collapse_limit')", [table])
        sequence, collapse = cursor.fetchone()
        targets = [(built[m], [m]) for m in months if m in built]
        attached = [m for m in months if m not in built]
        if attached or undated:
            targets.append((table, attached))
        if rating:  # its statistics: a key per line (the planner would otherwise sort both sides to merge them)
            cursor.execute(f"ANALYZE {rating}")
        cursor.execute("SELECT set_config('join_collapse_limit', '1', true)")  # the joins in the order written
        for target, target_months in targets:
            ranges = " OR ".join([*(f"(du.d >= {quote(m)} AND du.d < {quote(next_month(m))})"
                                    for m in target_months), *(["du.d IS NULL"] if target == table and undated
                                                               else [])])
            cursor.execute(f"INSERT INTO {target} ({', '.join(names)}) "
                           f"SELECT nextval({quote(sequence)}::regclass), {', '.join(values)} "
                           f"{joins} WHERE k.sub_id IS NOT NULL AND ({ranges})", params)
            added += cursor.rowcount
        cursor.execute("SELECT set_config('join_collapse_limit', %s, true)", [collapse])
    partitions.attach_partitions(built)
    return added, 0, 0, months


def _sequence_value(cursor, table):
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    sequence = cursor.fetchone()[0]
    cursor.execute(f"SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM {sequence}")
    return cursor.fetchone()[0]


def resolved_counts():
    """(lines resolved to an Azure subscription, lines unmatched, lines of a legacy subscription's usage before its
    cut-over)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(sum(n) FILTER (WHERE sub_id IS NOT NULL), 0), "
                       "coalesce(sum(n) FILTER (WHERE reason IS NOT NULL), 0), bool_or(cutover IS NOT NULL) "
                       "FROM usage_keys")
        resolved, unmatched, any_cutover = cursor.fetchone()
        legacy = 0
        if any_cutover:
            cursor.execute(f"SELECT count(*) {_JOINS} WHERE k.cutover IS NOT NULL "
                           "AND (du.d::timestamp AT TIME ZONE 'UTC') < k.cutover")
            legacy = cursor.fetchone()[0]
    return int(resolved), int(unmatched), legacy


def _raw_row_sql():
    """The staged row as JSON (UnmatchedUsage.row): the stage's columns, text as read."""
    pairs = [f"'{c}', s.{c}" for c in STAGE_COLUMNS]
    half = len(pairs) // 2
    return (f"jsonb_strip_nulls(jsonb_build_object({', '.join(pairs[:half])}) "
            f"|| jsonb_build_object({', '.join(pairs[half:])}))")


def keep_unmatched(organisation_id, import_id, now):
    """Keep the lines that do not resolve aside (UnmatchedUsage, with their reason). A waiting row of an earlier
    import with the same natural key is replaced by the new one (the newer file wins, and is matched once)."""
    table = UnmatchedUsage._meta.db_table
    same_key = ("u.entitlement_id = lower(btrim(s.entitlement_id)) AND u.usage_date = du.d "
                "AND coalesce(u.row->>'meter_id', '') = coalesce(s.meter_id, '') "
                "AND coalesce(u.row->>'product_id', '') = coalesce(s.product_id, '') "
                "AND coalesce(u.row->>'sku_id', '') = coalesce(s.sku_id, '') "
                "AND coalesce(u.row->>'resource_uri', '') = coalesce(s.resource_uri, '') "
                "AND coalesce(u.row->>'charge_type', '') = coalesce(s.charge_type, '') "
                "AND coalesce(u.row->>'benefit_id', '') = coalesce(s.benefit_id, '')")
    with connection.cursor() as cursor:
        cursor.execute(f"""
            DELETE FROM {table} u USING usage_stage s
            JOIN usage_keys k ON k.ct = coalesce(s.customer_id, '') AND k.et = coalesce(s.entitlement_id, '')
            JOIN usage_dates du ON du.v = s.usage_date
            WHERE k.reason IS NOT NULL AND u.organisation_id = %s AND u.matched_at IS NULL
              AND u.usage_import_id <> %s AND {same_key}""", [organisation_id, import_id])
        cursor.execute(f"""
            INSERT INTO {table} (organisation_id, usage_import_id, line_number, reason, customer_tenant_id,
                                 entitlement_id, usage_date, row, created_at)
            SELECT %s, %s, s.line, k.reason, lower(btrim(k.ct)), lower(btrim(k.et)), du.d, {_raw_row_sql()}, %s
            {_JOINS} WHERE k.reason IS NOT NULL""", [organisation_id, import_id, now])
        return cursor.rowcount
