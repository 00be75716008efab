"""Loading a price sheet into its version: staging the file, the set-based checks that list every bad line, and
writing the rows into the price list's own partition of billing_pricesheetrow (the direct typed COPY, or the careful
path), then the swap or ATTACH. billing.pricing.services.price_sheet_import runs it inside its transaction
(docs/billing.md, "How an import runs").
"""


import psycopg
from django.db import DataError, IntegrityError, connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from psycopg.sql import quote

from core.money import CURRENCIES

from ..errors import PriceSheetInvalid
from ..models import PriceSheetRow
from . import loader
from .loader import SHEET_COLUMNS, FileProblem, blank, datetime_parts_sql, datetime_sql, number_sql

# ---------------------------------------------------------------- price sheets


# The typed staging table: each row's final values (as written into PriceSheetRow) beside the raw text the messages
# quote. Its column names are PriceSheetRow's, so the checks and the write read one table.
_TYPED_VALUES = {
    "product_title": "coalesce(s.product_title, '')", "product_id": "btrim(s.product_id)",
    "sku_id": "btrim(s.sku_id)", "sku_title": "coalesce(s.sku_title, '')", "publisher": "coalesce(s.publisher, '')",
    "sku_description": "coalesce(s.sku_description, '')", "unit_of_measure": "coalesce(s.unit_of_measure, '')",
    "term_duration": "coalesce(btrim(s.term_duration), '')", "market": "upper(btrim(s.market))",
    "currency": "upper(btrim(s.currency))", "unit_price": "np.n", "tier_min": "nl.n", "tier_max": "nh.n",
    "effective_start": "ds.t", "effective_end": "de.t", "meter_ids": "coalesce(btrim(s.meter_ids), '')",
    "meter_type": "coalesce(s.meter_type, '')", "tags": "coalesce(s.tags, '')",
}
_ROW_FIELDS = tuple(_TYPED_VALUES)
_RAW = ("market", "currency", "unit_price", "tier_min", "tier_max", "effective_start", "effective_end")
_KEY = ("product_id", "sku_id", "tier_min", "effective_start")
_C_KEY = 'product_id COLLATE "C", sku_id COLLATE "C"'


def _parse_values():
    """Each distinct date and number of sheet_stage parsed once, into TEMP tables sheet_dates (v, t) and sheet_numbers
    (v, n), NULL where a text does not parse. A sheet has few distinct dates (hundreds for 200,000 lines) and far fewer
    distinct numbers than lines: both the fast load and the typed table join them back (hash joins are cheaper than a
    regular expression per value)."""
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS sheet_dates")
        cursor.execute(f"""
            CREATE TEMP TABLE sheet_dates ON COMMIT DROP AS
            SELECT d.v, {datetime_sql("dp.p")} AS t
            FROM (SELECT effective_start AS v FROM sheet_stage UNION SELECT effective_end FROM sheet_stage) d,
                 LATERAL (SELECT {datetime_parts_sql("d.v")} AS p OFFSET 0) dp""")
        cursor.execute("ANALYZE sheet_dates")
        cursor.execute("DROP TABLE IF EXISTS sheet_numbers")
        cursor.execute(f"""
            CREATE TEMP TABLE sheet_numbers ON COMMIT DROP AS
            SELECT d.v, {number_sql("d.v")} AS n
            FROM (SELECT unit_price AS v FROM sheet_stage UNION SELECT tier_min FROM sheet_stage
                  UNION SELECT tier_max FROM sheet_stage) d""")
        cursor.execute("ANALYZE sheet_numbers")


_VALUE_JOINS = """
    FROM sheet_stage s
    LEFT JOIN sheet_dates ds ON ds.v = s.effective_start
    LEFT JOIN sheet_dates de ON de.v = s.effective_end
    LEFT JOIN sheet_numbers np ON np.v = s.unit_price
    LEFT JOIN sheet_numbers nl ON nl.v = s.tier_min
    LEFT JOIN sheet_numbers nh ON nh.v = s.tier_max"""


def _typed_sheet():
    """sheet_stage typed once (after _parse_values), into TEMP table sheet_typed: PriceSheetRow's columns, NULL where
    a text does not parse, and raw_* texts for the messages. What the checks that list every problem read."""
    values = ", ".join(f"{sql} AS {name}" for name, sql in _TYPED_VALUES.items())
    raw = ", ".join(f"s.{name} AS raw_{name}" for name in _RAW)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS sheet_typed")
        cursor.execute(f"CREATE TEMP TABLE sheet_typed ON COMMIT DROP AS SELECT s.line, {values}, {raw} {_VALUE_JOINS}")


def _sheet_problems(market):
    """Every bad line of sheet_typed as (line, column, reason), in one scan: one sort for the checks across lines (a
    duplicate key, tier overlaps and gaps: the rows of one product, SKU and start date by tier minimum), then each rule
    as a CASE beside the row; a line with several problems gives several rows."""
    currencies = sorted(CURRENCIES)

    def text(value):  # a literal in the SQL text: the query runs without parameters (each text appears twice)
        return quote(value if isinstance(value, list) else str(value))

    # (column, condition, reason), in the order a line's problems are listed.
    rules = [
        ("ProductId", "coalesce(product_id, '') = ''", text(_("ProductId is empty."))),
        ("SkuId", "coalesce(sku_id, '') = ''", text(_("SkuId is empty."))),
        ("ProductId", "length(product_id) > 64 OR length(sku_id) > 64",
         text(_("ProductId and SkuId are at most 64 characters."))),
        ("Market", f"coalesce(market, '') <> {text(market)}",
         f"{text(_('Market “'))} || coalesce(btrim(raw_market), '') || "
         f"{text(_('” is not the market of this price list (%(market)s).') % {'market': market})}"),
        ("Currency", f"NOT (coalesce(currency, '') = ANY({text(currencies)}::text[]))",
         f"{text(_('Currency “'))} || coalesce(btrim(raw_currency), '') || "
         f"{text(_('” is not an ISO 4217 currency code.'))}"),
        ("UnitPrice", blank("raw_unit_price"), text(_("UnitPrice is empty."))),
        ("UnitPrice", f"NOT {blank('raw_unit_price')} AND unit_price IS NULL",
         f"{text(_('UnitPrice “'))} || left(raw_unit_price, 40) || {text(_('” is not a number.'))}"),
        ("UnitPrice", "unit_price < 0",
         f"{text(_('UnitPrice '))} || unit_price::text || {text(_(' is negative: a price is zero or more.'))}"),
        ("UnitPrice", "abs(unit_price) >= 1e20",
         text(_("UnitPrice is too large (at most 20 digits before the decimal point)."))),
        ("PricingTierRangeMin", f"NOT {blank('raw_tier_min')} AND tier_min IS NULL",
         f"{text(_('PricingTierRangeMin “'))} || left(raw_tier_min, 40) || {text(_('” is not a number.'))}"),
        ("PricingTierRangeMax", f"NOT {blank('raw_tier_max')} AND tier_max IS NULL",
         f"{text(_('PricingTierRangeMax “'))} || left(raw_tier_max, 40) || {text(_('” is not a number.'))}"),
        ("PricingTierRangeMin", "tier_min < 0 OR tier_max < 0 OR abs(tier_min) >= 1e28 OR abs(tier_max) >= 1e28",
         text(_("A tier bound is zero or more and below 10^28."))),
        ("PricingTierRangeMax", "tier_max < tier_min", text(_("PricingTierRangeMax is below PricingTierRangeMin."))),
        ("EffectiveStartDate", "effective_start IS NULL",
         f"{text(_('EffectiveStartDate “'))} || coalesce(raw_effective_start, '') || "
         f"{text(_('” is not a date such as 2/1/2019 12:00:00 AM.'))}"),
        ("EffectiveEndDate", "effective_end IS NULL",
         f"{text(_('EffectiveEndDate “'))} || coalesce(raw_effective_end, '') || "
         f"{text(_('” is not a date such as 11/30/9999 11:59:59 PM.'))}"),
        ("EffectiveEndDate", "effective_end < effective_start", text(_("EffectiveEndDate precedes EffectiveStartDate."))),
        # Every line after the first with the same (ProductId, SkuId, tier min, start date).
        ("PricingTierRangeMin", "effective_start IS NOT NULL AND first_line <> line",
         f"{text(_('Duplicate of line '))} || first_line::text || "
         f"{text(_(': the same ProductId, SkuId, PricingTierRangeMin and EffectiveStartDate.'))}"),
        # Tiers: by tier min, each starts at the previous maximum or one above it (Microsoft writes 1-100, 101-100000
        # and 0-100, 100-...); below is an overlap, above is a gap.
        ("PricingTierRangeMin", "effective_start IS NOT NULL AND tier_min IS NOT NULL AND prev_line IS NOT NULL "
                                "AND prev_max IS NOT NULL AND (tier_min < prev_max OR tier_min > prev_max + 1)",
         f"CASE WHEN tier_min < prev_max THEN {text(_('This tier overlaps the tier of line '))} "
         f"ELSE {text(_('There is a gap between this tier and the tier of line '))} END || prev_line::text || "
         f"{text(_(' (the next tier starts at the previous maximum or one above it).'))}"),
        ("PricingTierRangeMax", "effective_start IS NOT NULL AND tier_min IS NOT NULL AND next_line IS NOT NULL "
                                "AND tier_max IS NULL",
         text(_("Only the highest tier may leave PricingTierRangeMax empty."))),
    ]
    # Each condition is evaluated once per line (a NULL counts as good: a value that does not parse has its own rule);
    # only the bad lines go on to have their reasons written.
    any_bad = " OR ".join(f"coalesce(({condition}), false)" for _column, condition, _reason in rules)
    checks = ", ".join(f"({number}, '{column}', CASE WHEN {condition} THEN {reason} END)"
                       for number, (column, condition, reason) in enumerate(rules))
    # The checks across lines (the last three rules) need the rows sorted: only the columns they read go through the
    # sort, and only the lines they find bad come out, joined back by line. One sort serves both windows: (product, SKU,
    # start, tier min present, tier min, line), the IDs compared byte by byte (COLLATE "C": equal is equal in any
    # collation, and it sorts faster than the database's language order). Rows without a tier min or a start date get
    # window values too; the rules ignore them, as they are not tiers.
    across = " OR ".join(f"coalesce(({condition}), false)" for _column, condition, _reason in rules[-3:])
    sql = f"""
        WITH across_lines AS (
            SELECT line, first_line, prev_max, prev_line, next_line FROM (
                SELECT line, tier_min, tier_max, effective_start,
                       first_value(line) OVER (PARTITION BY {_C_KEY}, effective_start, tier_min IS NULL, tier_min
                                               ORDER BY line) AS first_line,
                       lag(tier_max) OVER w AS prev_max, lag(line) OVER w AS prev_line, lead(line) OVER w AS next_line
                FROM sheet_typed
                WINDOW w AS (PARTITION BY {_C_KEY}, effective_start, tier_min IS NULL ORDER BY tier_min, line)
            ) windowed WHERE {across}
        )
        SELECT c.line, c.col, c.reason, count(*) OVER () FROM (
            SELECT line, product_id, sku_id, market, currency, unit_price, tier_min, tier_max, effective_start,
                   effective_end, {", ".join(f"raw_{name}" for name in _RAW)}, first_line, prev_max, prev_line, next_line
            FROM sheet_typed LEFT JOIN across_lines USING (line)
            WHERE {any_bad}
        ) t CROSS JOIN LATERAL (SELECT t.line, col, reason, n FROM (VALUES {checks}) v(n, col, reason)
                                WHERE reason IS NOT NULL) c
        ORDER BY c.line, c.col, c.n LIMIT {loader.MAX_ERRORS}"""
    with connection.cursor() as cursor:
        cursor.execute(sql)
        rows = cursor.fetchall()
    return [loader.problem(line, column, reason) for line, column, reason, _total in rows], (rows[0][3] if rows else 0)


# ---------------------------------------------------------------- writing a version: one partition per price list

class _NotClean(Exception):
    """The fast load found a problem: the checks that list every bad line take over."""


def partition_name(price_list_id) -> str:
    """The table holding the rows of price list `price_list_id` (a partition of billing_pricesheetrow)."""
    return f"{PriceSheetRow._meta.db_table}_p{int(price_list_id)}"


def _parent_columns():
    """(name, SQL type, NOT NULL) of billing_pricesheetrow's columns, and its CHECK constraints (name, definition): a
    partition must have exactly these."""
    table = PriceSheetRow._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT attname, format_type(atttypid, atttypmod), attnotnull FROM pg_attribute
            WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum""", [table])
        columns = cursor.fetchall()
        cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                       "WHERE conrelid = %s::regclass AND contype = 'c' ORDER BY conname", [table])
        checks = cursor.fetchall()
    return columns, checks


def _row_id_sql(price_list_id):
    # price_list_id * 2^32 + line: unique across lists, in file order within one (a sheet has far fewer lines).
    return f"(({int(price_list_id)}::bigint << 32) | s.line)"


def _fast_load(table, price_list_id, market):
    """Load sheet_stage into new table `table` (not yet a partition) in one CREATE TABLE ... AS, checked by the
    constraints it gets and one query, without listing problems. True when the file is good; False (nothing left
    behind) as soon as anything is wrong, and the checks that list every bad line decide. Every rule of
    _sheet_problems has its counterpart here:

    - a date or a number that does not parse, a negative one or a tier bound of 10^28 or more (any column), another
      market, an unknown currency: in the few distinct values, before anything is loaded;
    - an empty or too long ProductId or SkuId, an empty, negative or too large price, any text too long for its column:
      the value is loaded as NULL and SET NOT NULL refuses it;
    - an end before the start: the table's CHECK constraints (billing_pricesheetrow's); a duplicate key: its unique
      index; tiers (overlap, gap, an empty maximum below the top, a maximum below the minimum): one query."""
    with connection.cursor() as cursor:
        cursor.execute(f"""
            SELECT EXISTS (SELECT 1 FROM sheet_numbers WHERE ({blank("v")} IS FALSE AND n IS NULL) OR n < 0
                                                           OR abs(n) >= 1e28)
                OR EXISTS (SELECT 1 FROM sheet_dates WHERE t IS NULL)
                OR EXISTS (SELECT 1 FROM (SELECT DISTINCT market, currency FROM sheet_stage) d
                           WHERE upper(btrim(market)) IS DISTINCT FROM {quote(market)}
                              OR NOT coalesce(upper(btrim(currency)), '') = ANY({quote(sorted(CURRENCIES))}::text[]))""")
        if cursor.fetchone()[0]:
            return False
    columns, checks = _parent_columns()
    values = {
        **{name: sql for name, sql in _TYPED_VALUES.items()},
        "id": _row_id_sql(price_list_id),
        "price_list_id": f"{int(price_list_id)}::bigint",
        "product_id": "CASE WHEN btrim(s.product_id) <> '' AND length(btrim(s.product_id)) <= 64 "
                      "THEN btrim(s.product_id) END",
        "sku_id": "CASE WHEN btrim(s.sku_id) <> '' AND length(btrim(s.sku_id)) <= 64 THEN btrim(s.sku_id) END",
        "unit_price": "CASE WHEN np.n >= 0 AND np.n < 1e20 THEN np.n END",
    }
    # A value too long for its column is NULL (refused below), never cut.
    select = ", ".join(
        (f"(CASE WHEN length({values[name]}) <= {int(kind.split('(')[1].rstrip(')'))} THEN {values[name]} END)"
         if kind.startswith("character varying(") and name not in ("product_id", "sku_id")
         else f"({values[name]})") + f"::{kind} AS {name}"
        for name, kind, _not_null in columns)
    alter = [f"ALTER {name} SET NOT NULL" for name, _kind, not_null in columns if not_null]
    alter += [f"ADD CONSTRAINT {name} {definition}" for name, definition in checks]
    alter += _partition_constraints(table, price_list_id)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"CREATE TABLE {table} AS SELECT {select} {_VALUE_JOINS}")
            cursor.execute(f"ALTER TABLE {table} {', '.join(alter)}")  # one scan for every constraint
            cursor.execute(_tiers_bad_sql(table))
            if cursor.fetchone()[0]:
                raise _NotClean
    except (IntegrityError, DataError, _NotClean):
        return False
    return True


# The file's columns COPY types itself in the direct load: a field left empty (unquoted or "") is NULL in these, '' in
# every other column (as the staged texts are).
_TYPED_BY_COPY = ("unit_price", "tier_min", "tier_max", "effective_start", "effective_end")
_TRIMMED = ("product_id", "sku_id", "term_duration", "meter_ids")  # the checks' values are btrim()med
_ID_HEADROOM = 1 << 32  # a row's id is its list's id * 2^32 + its line
# The instants PostgreSQL's words for a date stand for (UTC): the checks refuse the words, and once typed they are dates
# like any other. `epoch` and `now` (to the microsecond) are no price's dates: a sheet with one is checked. Midnight
# yesterday, today and tomorrow are (a month's new prices start on the 1st, imported around it): a sheet with one is
# checked only when its bytes hold one of these words (in any case, anywhere: a title too).
_WORD_INSTANTS = "ARRAY[timestamptz 'epoch', now()]"
_DAYS = ("(SELECT ARRAY[d - interval '1 day', d, d + interval '1 day'] FROM date_trunc('day', now(), 'UTC') AS d)"
         "::timestamptz[]")  # evaluated once per query
_DAY_WORDS = (b"yesterday", b"today", b"tomorrow")


def _copy_load(stream, table, price_list_id, market, *, hashing):
    """The direct load, for a good file: COPY `stream` (positioned at the header line) straight into new table `table`
    with billing_pricesheetrow's column types, then one query checks every row and the tiers, and one index build
    checks the key. Returns (the count of lines loaded, the file's SHA-256 when `hashing`: taken from the bytes COPY
    reads), or None (nothing left behind: a savepoint is rolled back) as soon as anything is not exactly what the
    careful path (`stage`, `_parse_values`, `_fast_load`, `_sheet_problems`) would accept and write the same way; it
    then runs as it is, on the same bytes.

    PostgreSQL's input functions type the values (DateStyle MDY and UTC, so `2/1/2019 12:00:00 AM` and ISO 8601
    read as the checks read them); what they would read differently is refused here:

    - a line COPY cannot read, a value too long for its column, a number too large for its type, a date PostgreSQL
      cannot read (COPY stops), an empty price, ProductId or date (NOT NULL);
    - a negative price, an end before the start (the parent's CHECKs, evaluated as COPY writes);
    - another market (or written otherwise than the list's code), a currency not known (or not upper case), an empty
      ProductId or SkuId, an ID, TermDuration or MeterIds with spaces around it (the checks trim them), NaN, a negative
      tier bound, a maximum below its minimum, a date with a fraction of a second or outside the years 1-9999 (the
      checks read neither), a date PostgreSQL's words stand for (`epoch`, `now`), and the tier rules: one query, in
      the scan that reads the tiers; a date at midnight yesterday, today or tomorrow when the file holds one of these
      words (one more scan of the rows, and a read of the file only when such a date is there);
    - a duplicate key: the unique index.

    Not told apart (no value can tell them once typed): forms PostgreSQL reads that the checks refuse, a date with a
    two-digit year, a month's name, a time-zone offset or abbreviation, a number with a tab around it (docs/billing.md).
    """
    columns, checks = _parent_columns()
    start = stream.tell()
    try:
        order, body, sha = loader.header_and_body(stream, SHEET_COLUMNS, what="", hashing=hashing)
    except FileProblem:  # the checks say what is wrong
        return None
    list_id = int(price_list_id)
    defaults = {"id": f"GENERATED BY DEFAULT AS IDENTITY (START WITH {list_id * _ID_HEADROOM + 2} CACHE 1000)",
                "price_list_id": f"DEFAULT {list_id}"}
    definition = ", ".join(f"{name} {kind}{' NOT NULL' if not_null else ''} {defaults.get(name, '')}".rstrip()
                           for name, kind, not_null in columns)
    constraints = ", ".join([f"CONSTRAINT {name} {check}" for name, check in checks]
                            + [f"CONSTRAINT {table}_in_list CHECK (price_list_id = {list_id})"])
    texts = [name for name in order if name not in _TYPED_BY_COPY]
    copy_sql = (f"COPY {table} ({', '.join(order)}) FROM STDIN WITH (FORMAT csv, HEADER false, ENCODING 'UTF8', "
                f"FORCE_NOT_NULL ({', '.join(texts)}), FORCE_NULL (tier_min, tier_max))")
    years = "BETWEEN timestamptz '0001-01-01 00:00:00+00' AND timestamptz '9999-12-31 23:59:59+00'"
    row_bad = " OR ".join([
        f"market <> {quote(market)}", f"NOT (currency = ANY({quote(sorted(CURRENCIES))}::text[]))",
        "product_id = ''", "sku_id = ''",
        *(f"{name} LIKE ' %' OR {name} LIKE '% '" for name in _TRIMMED),
        "unit_price = 'NaN'", "tier_min < 0", "tier_max < 0", "tier_min = 'NaN'", "tier_max = 'NaN'",
        *(f"NOT ({name} {years}) OR date_bin('1 second', {name}, timestamptz 'epoch') <> {name} "
          f"OR {name} = ANY({_WORD_INSTANTS})" for name in ("effective_start", "effective_end"))])
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"CREATE TABLE {table} ({definition}, {constraints})")
            cursor.execute("SELECT current_setting('DateStyle'), current_setting('TimeZone'), "
                           "set_config('DateStyle', 'ISO, MDY', true), set_config('TimeZone', 'UTC', true)")
            date_style, time_zone, *_set = cursor.fetchone()
            with cursor.cursor.copy(copy_sql) as copy:  # psycopg's own cursor: COPY streams through it
                for chunk in body:
                    copy.write(chunk)
            count = cursor.cursor.rowcount
            cursor.execute("SELECT set_config('DateStyle', %s, true), set_config('TimeZone', %s, true)",
                           [date_style, time_zone])
            if not count:
                raise _NotClean
            cursor.execute(_tiers_bad_sql(table, row_bad))
            if cursor.fetchone()[0]:
                raise _NotClean
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {table} "
                           f"WHERE effective_start = ANY({_DAYS}) OR effective_end = ANY({_DAYS}))")
            if cursor.fetchone()[0]:  # a date around today: written out, or a word for it?
                stream.seek(start)
                if loader.mentions(stream, _DAY_WORDS):
                    raise _NotClean
            # The unique key (a duplicate fails here); the column defaults go: a partition has the parent's columns.
            cursor.execute(f"ALTER TABLE {table} ALTER id DROP IDENTITY, ALTER price_list_id DROP DEFAULT, "
                           f"{_partition_constraints(table, price_list_id)[1]}")
    except (DataError, IntegrityError, psycopg.DataError, psycopg.IntegrityError, _NotClean):  # COPY raises psycopg's own
        return None
    return count, sha.hexdigest() if sha is not None else None


def _tiers_bad_sql(table, row_bad=None):
    """A query answering whether any tier of `table` breaks a rule (an overlap, a gap, an empty maximum below the top,
    a maximum below the minimum). `row_bad`, when given, is a condition on one row that makes the answer true too: the
    same scan checks every row and the tiers (a row it finds bad joins the sorted tiers; the answer is true anyway)."""
    rows = "tier_min IS NOT NULL" if row_bad is None else f"tier_min IS NOT NULL OR {row_bad}"
    bad = "false" if row_bad is None else "bad"
    return f"""
        SELECT EXISTS (SELECT 1 FROM (
            SELECT tier_min, tier_max, {"" if row_bad is None else f"({row_bad}) AS bad, "}lag(id) OVER w AS prev_id,
                   lag(tier_max) OVER w AS prev_max, lead(id) OVER w AS next_id
            FROM {table} WHERE {rows}  -- the rules read tiers only
            WINDOW w AS (PARTITION BY {_C_KEY}, effective_start, tier_min IS NULL ORDER BY tier_min, id)) t
          WHERE {bad} OR tier_max < tier_min
             OR (tier_min IS NOT NULL AND prev_id IS NOT NULL AND prev_max IS NOT NULL
                 AND (tier_min < prev_max OR tier_min > prev_max + 1))
             OR (tier_min IS NOT NULL AND next_id IS NOT NULL AND tier_max IS NULL))"""


def _partition_constraints(table, price_list_id):
    """The unique key (the parent's, so ATTACH adopts the index) and a CHECK that spares ATTACH its scan."""
    from uuid import uuid4

    return [f"ADD CONSTRAINT {table}_in_list CHECK (price_list_id = {int(price_list_id)})",
            f"ADD CONSTRAINT {table}_{uuid4().hex[:8]}_key UNIQUE NULLS NOT DISTINCT "
            f"(price_list_id, product_id, sku_id, tier_min, effective_start)"]


def _load_from_typed(table, price_list_id):
    """Load sheet_typed (checked: no problem) into new table `table`, the way the fast load does but with an INSERT:
    for a file the fast load refused though the checks find nothing wrong."""
    columns = ", ".join(_ROW_FIELDS)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {table} (LIKE {PriceSheetRow._meta.db_table} INCLUDING CONSTRAINTS)")
        cursor.execute(f"INSERT INTO {table} (id, price_list_id, {columns}) "
                       f"SELECT {_row_id_sql(price_list_id)}, %s, {columns} FROM sheet_typed s", [price_list_id])
        cursor.execute(f"ALTER TABLE {table} {', '.join(_partition_constraints(table, price_list_id))}")


def _rows_changed(old, new):
    """Rows inserted, updated and deleted going from table `old` to table `new` (by key, every column compared)."""
    others = [name for name in _ROW_FIELDS if name not in _KEY]
    with connection.cursor() as cursor:
        cursor.execute(f"""
            SELECT count(*) FROM {old} o FULL JOIN {new} n
                ON o.product_id = n.product_id AND o.sku_id = n.sku_id AND o.effective_start = n.effective_start
               AND coalesce(o.tier_min, -1) = coalesce(n.tier_min, -1)
            WHERE o.id IS NULL OR n.id IS NULL
               OR ({", ".join(f"o.{name}" for name in others)})
                  IS DISTINCT FROM ({", ".join(f"n.{name}" for name in others)})""")
        return cursor.fetchone()[0]


def _stage_and_check(stream, table, price_list_id, market, sha):
    """The careful path: stage the file (TEMP text table), parse its distinct values, then the fast load from the
    staged texts or, when it refuses, the checks that list every bad line (raising PriceSheetInvalid) and the load
    from the typed table. Returns (the count of lines, the file's SHA-256: `sha`, or taken as the file is staged)."""
    try:
        sha, _size, count = loader.stage(stream, table="sheet_stage", columns=SHEET_COLUMNS,
                                         what=_("Microsoft's price sheet"), sha256=sha)
    except FileProblem as exc:
        raise PriceSheetInvalid(exc.problems[0]["reason"], data=exc.problems) from None
    if count == 0:
        raise PriceSheetInvalid(_("The file has a header but no price lines."),
                                data=[loader.problem(2, "", _("The file has a header but no price lines."))])
    _parse_values()
    if not _fast_load(table, price_list_id, market):
        _typed_sheet()
        problems, total = _sheet_problems(market)
        if total:
            raise PriceSheetInvalid(loader.problems_summary(
                ngettext("%(count)s bad line in the price sheet", "%(count)s bad lines in the price sheet", total)
                % {"count": total}, problems[0], total), data=problems)
        _load_from_typed(table, price_list_id)
    return count, sha


def write_rows(stream, price_list_id, *, market, new, sha, careful=False):
    """Write the sheet in `stream` (seekable, at its header line) as the rows of price list `price_list_id`; returns
    (rows written: inserted + updated + deleted, 0 when the content is the same; the count of lines; the file's SHA-256:
    `sha`, or, when None, taken from the bytes as they are loaded). Raises PriceSheetInvalid with every bad line.

    The rows are loaded into a table of their own, without indexes: COPYed straight into it (`_copy_load`) or, for a
    file that load refuses (or `careful`), staged and checked (`_stage_and_check`, from the same bytes again); then
    indexed and attached as the list's partition. A version that has rows already keeps them when nothing changed
    (the new table is dropped), else its partition is dropped and the new one takes its place, in this transaction."""
    name = partition_name(price_list_id)
    parent = PriceSheetRow._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
        has_rows = cursor.fetchone()[0]
        if new and has_rows:  # left by a list of that id deleted without its trigger (a TRUNCATE): not this list's
            cursor.execute(f"DROP TABLE {name}")
            has_rows = False
    table = f"{name}_load" if has_rows else name
    start = stream.tell()
    loaded = None if careful else _copy_load(stream, table, price_list_id, market, hashing=sha is None)
    if loaded is None:
        stream.seek(start)
        count, sha = _stage_and_check(stream, table, price_list_id, market, sha)
    else:
        count, sha = loaded[0], sha or loaded[1]
    with connection.cursor() as cursor:
        written = count
        if has_rows:
            written = _rows_changed(name, table)
            if not written:
                cursor.execute(f"DROP TABLE {table}")
                return 0, count, sha
            cursor.execute(f"DROP TABLE {name}")
            cursor.execute(f"ALTER TABLE {table} RENAME TO {name}")
        cursor.execute(f"ALTER TABLE {parent} ATTACH PARTITION {name} FOR VALUES IN ({int(price_list_id)})")
    return written, count, sha


