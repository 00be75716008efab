"""Writes of billing.pricing: importing a price sheet and an exchange-rate file (docs/billing.md, "Price lists and
exchange rates"). Both are all or nothing, streamed (billing.pricing.loader) and audited with who and the SHA-256."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import psycopg
from django.db import DataError, IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from psycopg.sql import quote

from accounts.permissions import Perm, require
from core.audit import audit_record
from core.errors import InvalidInput
from core.money import CURRENCIES

from ..errors import FxRateAlreadySet, FxRatesInvalid, PriceSheetInvalid
from ..models import ExchangeRate, ImportKind, PriceList, PriceSheetRow, PriceSheetView, PricingImport
from . import loader
from .loader import FX_COLUMNS, SHEET_COLUMNS, FileProblem, blank, datetime_parts_sql, datetime_sql, number_sql
from .rules import month_parse, next_month, sold_markets, view_parse

REPORT_LIST = 100  # meters listed per kind of change in a report; the counts are exact, the diff selector pages all


@dataclass
class ImportResult:
    """What an import did. `unchanged`: the same content was already there, nothing was written."""

    pricing_import: PricingImport
    unchanged: bool
    rows_written: int
    report: dict


def _who(actor):
    return {"imported_by_label": (actor.label or "")[:255], "imported_by_user_id": actor.user_id,
            "imported_by_organisation_id": actor.organisation_id or None}


def market_parse(market, *, field="market"):
    """The market as an upper-case ISO-2 code the install sells the Azure plan in, else 400 naming `field`."""
    code = str(market or "").strip().upper()
    if len(code) != 2 or not code.isalpha():
        raise InvalidInput(_("market must be a two-letter country code such as US."), field=field)
    if code not in sold_markets():
        raise InvalidInput(_("This install does not sell the Azure plan in market %(market)s: no price list is kept "
                             "for it.") % {"market": code}, field=field)
    return code


def _check_month_not_too_late(month, *, field="month"):
    if month > next_month(timezone.now().date()):
        raise InvalidInput(_("%(month)s is in the future beyond next month: Microsoft publishes a price list at most "
                             "one month ahead.") % {"month": f"{month:%Y-%m}"}, field=field)


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
            raise PriceSheetInvalid(
                _("%(count)s bad line(s) in the price sheet (the first: line %(line)s, %(column)s: %(reason)s). "
                  "Nothing was imported.") % {"count": total, **problems[0]}, data=problems)
        _load_from_typed(table, price_list_id)
    return count, sha


def _write_rows(stream, price_list_id, *, market, new, sha, careful=False):
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


def _previous_list(market, view, month):
    return PriceList.objects.filter(market=market, view=view, month__lt=month).order_by("-month").first()


def _plain(rows):
    """Diff rows for the JSON report: Decimals as text (0.096, 25.00)."""
    return [{key: (str(value) if isinstance(value, Decimal) else value) for key, value in r.items()} for r in rows]


_REPORT_DIFF_KEYS = ("previousMonth", "added", "removed", "changed", "addedMeters", "removedMeters", "changedMeters")


def _report_counts(price_list, previous):
    """Meters added, removed and changed in `price_list` against `previous`: the counts and the first REPORT_LIST
    meters of each kind in product order (as billing.pricing.selectors.diff_rows lists them), in one query."""
    from .selectors import _DIFF_FIELDS, _DIFF_ORDER, _DIFF_SQL, DIFF_CHANGES

    if previous is None:
        return {"previousMonth": None, "added": price_list.row_count, "removed": 0, "changed": 0,
                "addedMeters": [], "removedMeters": [], "changedMeters": []}
    fields = ("product_id, sku_id, tier_min, product_title, sku_title, unit_of_measure, meter_ids, old_price, "
              "new_price, change, change_percent")
    with connection.cursor() as cursor:
        cursor.execute(_DIFF_SQL.format(table=PriceSheetRow._meta.db_table) + f"""
            SELECT {fields}, total FROM (
                SELECT {fields}, count(*) OVER (PARTITION BY change) AS total,
                       row_number() OVER (PARTITION BY change ORDER BY {_DIFF_ORDER["product"]}) AS n
                FROM d) x
            WHERE n <= %(limit)s ORDER BY change, n""", {"old": previous.pk, "new": price_list.pk, "limit": REPORT_LIST})
        rows = cursor.fetchall()
    counts = {change: 0 for change in DIFF_CHANGES}
    meters = {change: [] for change in DIFF_CHANGES}
    for row in rows:
        meter = dict(zip(_DIFF_FIELDS, row[:-1], strict=True))
        counts[meter["change"]] = row[-1]
        meters[meter["change"]].append(meter)
    return {"previousMonth": f"{previous.month:%Y-%m}", **counts,
            **{f"{change}Meters": _plain(meters[change]) for change in DIFF_CHANGES}}


def _unchanged_report_counts(price_list, previous, sha):
    """The diff part of the report of a re-import of the same file: the last report of this file into this list when
    the previous month's list is the same one and has not changed since (no diff query), else computed again."""
    last = (PricingImport.objects.filter(price_list=price_list, source_sha256=sha).order_by("-created_at", "-id")
            .only("report", "created_at").first())
    if last is not None and all(key in last.report for key in _REPORT_DIFF_KEYS):
        same_previous = (last.report["previousMonth"] is None if previous is None else
                         last.report["previousMonth"] == f"{previous.month:%Y-%m}"
                         and previous.imported_at <= last.created_at)
        if same_previous:
            return {key: last.report[key] for key in _REPORT_DIFF_KEYS}
    return _report_counts(price_list, previous)


def price_sheet_import(*, actor, file, market, view, month, file_name="", careful=False) -> ImportResult:
    """Import Microsoft's price sheet CSV (`file`: a binary file-like object, bytes or str) as the price list of
    `market`, `view` and `month` (a date, or text YYYY-MM / YYYYMM). All or nothing:

    - bad parameters: InvalidInput naming `market`, `view` or `month`;
    - any bad line: PriceSheetInvalid whose `data` lists every bad line {line, column, reason} (at most 1000; the
      description gives the count); nothing is written;
    - the same content as the month's current version: nothing is written, `unchanged` is true.

    Returns an ImportResult whose `report` says what changed against the previous month (added, removed, changed
    meters with the change in percent). Needs Perm.IMPORT_PRICING; audited as `price_list.imported` with the
    file's SHA-256.

    When the month has a version, the file is hashed first: when that version came from a file with this SHA-256
    the import answers "unchanged" without loading anything. Otherwise a good file is COPied straight into the
    table that becomes the list's partition (hashed on the way), checked by its constraints, one query and its
    unique index; any other falls back to the careful path, on the same bytes: staged in a TEMP table, typed, checked
    in one query that lists every bad line (docs/billing.md, "How an import runs"). `careful` goes to the careful path
    at once (the tests compare both)."""
    require(actor, Perm.IMPORT_PRICING)
    view = view_parse(view)
    market = market_parse(market)
    month = month_parse(month)
    _check_month_not_too_late(month)
    file_name = (file_name or "")[:255]
    stream = loader.as_text(file)
    sha = None
    if not loader.seekable(stream):  # spooled (and hashed) to be read again
        sha, stream = loader.prehash(stream)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"pricelist:{market}:{view}:{month}"])
        existing = PriceList.objects.select_for_update().filter(market=market, view=view, month=month).first()
        if existing is not None and sha is None:  # is it the same file? (a first import hashes as it loads)
            sha, stream = loader.prehash(stream)
        now = timezone.now()
        previous = _previous_list(market, view, month)
        if existing is not None and existing.source_sha256 == sha:
            written, price_list, count = 0, existing, existing.row_count
            diff = _unchanged_report_counts(price_list, previous, sha)
        else:
            with connection.cursor() as cursor:
                # Room for the sorts of the checks and the index; no JIT compilation (it costs these few big queries
                # more than it saves).
                cursor.execute("SET LOCAL work_mem = '64MB'")
                cursor.execute("SET LOCAL jit = off")
            # The list's id names its partition: a new list is created first (a bad file rolls it back).
            price_list = existing or PriceList.objects.create(market=market, view=view, month=month,
                                                              source_sha256=sha or "", imported_at=now,
                                                              file_name=file_name)
            written, count, sha = _write_rows(stream, price_list.pk, market=market, new=existing is None, sha=sha,
                                              careful=careful)
            price_list.source_sha256 = sha
            price_list.row_count = count
            if written:
                price_list.imported_at = now
                price_list.file_name = file_name
                for key, value in _who(actor).items():
                    setattr(price_list, key, value)
            price_list.save()
            diff = _report_counts(price_list, previous)
        unchanged = written == 0
        report = {
            "kind": ImportKind.PRICE_SHEET, "market": market, "view": view, "month": f"{month:%Y-%m}",
            "sha256": sha, "fileName": file_name, "rowCount": count, "rowsWritten": written, "unchanged": unchanged,
            "message": (_("This price list already has exactly this content: nothing was changed.") if unchanged
                        else _("%(count)s price lines imported (%(written)s rows written).")
                        % {"count": count, "written": written}),
            **diff,
        }
        record = PricingImport.objects.create(
            kind=ImportKind.PRICE_SHEET, price_list=price_list, market=market, view=view, month=month,
            source_sha256=sha, file_name=file_name, row_count=count, rows_written=written, unchanged=unchanged,
            report=report, created_at=now, **_who(actor))
        audit_record(actor=actor, action="price_list.imported", obj=price_list, object_type="billing.PriceList",
                     data={"sha256": sha, "fileName": file_name, "rows": count, "rowsWritten": written,
                           "unchanged": unchanged, "import": str(record.public_id)})
    return ImportResult(pricing_import=record, unchanged=unchanged, rows_written=written, report=report)



def price_list_delete(*, actor, price_list):
    """Delete price list version `price_list` and its rows: the database drops the list's partition with it (a trigger
    on billing_pricelist, whatever deletes the list). Its imports stay, no longer linked to a list. Needs
    Perm.IMPORT_PRICING; audited as `price_list.deleted`."""
    require(actor, Perm.IMPORT_PRICING)
    with transaction.atomic():
        audit_record(actor=actor, action="price_list.deleted", obj=price_list, object_type="billing.PriceList",
                     data={"sha256": price_list.source_sha256, "rows": price_list.row_count})
        price_list.delete()


# ---------------------------------------------------------------- exchange rates

_FX_MONTH_RE = r"^([0-9]{4})-?([0-9]{2})$"
_YEAR_RE = r"^[0-9]{4}$"


def _typed_fx(month):
    """The staged FX file typed, in TEMP table fx_typed. A Month that is a bare year (as in Microsoft's published
    sample) takes the month given to the import (None: it stays NULL and is reported)."""
    given = month.isoformat() if month else None
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS fx_typed")
        cursor.execute(f"""
            CREATE TEMP TABLE fx_typed ON COMMIT DROP AS
            SELECT s.line, s.currency, s.usd_per_unit, s.month,
                   upper(btrim(s.currency)) AS code,
                   {number_sql("s.usd_per_unit")} AS rate,
                   CASE
                     WHEN btrim(s.month) ~ '{_FX_MONTH_RE}' THEN (
                       SELECT CASE WHEN m[2]::int BETWEEN 1 AND 12 THEN make_date(m[1]::int, m[2]::int, 1) END
                       FROM regexp_match(btrim(s.month), '{_FX_MONTH_RE}') m)
                     WHEN btrim(s.month) ~ '{_YEAR_RE}' THEN
                       CASE WHEN %s::date IS NOT NULL AND extract(year FROM %s::date) = btrim(s.month)::int
                            THEN %s::date END
                     ELSE date_trunc('month', {datetime_sql("mp.p")} AT TIME ZONE 'UTC')::date
                   END AS d_month
            FROM fx_stage s, LATERAL (SELECT {datetime_parts_sql("s.month")} AS p OFFSET 0) mp""", [given, given, given])


def _fx_problems(limit_month):
    currencies = sorted(CURRENCIES)
    checks = [
        ("SELECT line, 'CurrencyCode' AS col, %s || coalesce(btrim(currency), '') || %s AS reason FROM fx_typed "
         "WHERE NOT (code = ANY(%s)) OR code IS NULL",
         [_("CurrencyCode “"), _("” is not an ISO 4217 currency code."), currencies]),
        ("SELECT line, 'USDPerUnit', %s || coalesce(left(usd_per_unit, 40), '') || %s FROM fx_typed "
         "WHERE rate IS NULL", [_("USDPerUnit “"), _("” is not a number.")]),
        ("SELECT line, 'USDPerUnit', %s FROM fx_typed WHERE rate <= 0 OR rate >= 1e10",
         [_("USDPerUnit must be more than 0 (and below 10^10).")]),
        ("SELECT line, 'Month', %s || coalesce(btrim(month), '') || %s FROM fx_typed WHERE d_month IS NULL",
         [_("Month “"), _("” is not a month such as 202612 (a bare year needs the month given to the import).")]),
        ("SELECT line, 'Month', %s FROM fx_typed WHERE d_month > %s",
         [_("This month is in the future beyond next month."), limit_month]),
        ("SELECT line, 'CurrencyCode', %s || first_line::text || %s FROM ("
         "  SELECT line, first_value(line) OVER w AS first_line, row_number() OVER w AS n FROM fx_typed "
         "  WHERE d_month IS NOT NULL WINDOW w AS (PARTITION BY code, d_month ORDER BY line)) d WHERE n > 1",
         [_("Duplicate of line "), _(": one rate per currency and month.")]),
    ]
    sql = " UNION ALL ".join(f"({query})" for query, _params in checks)
    return loader.fetch_problems(sql, [value for _query, values in checks for value in values])


def _fx_conflicts():
    """Lines whose (currency, month) already has a different rate: rates are never changed once set."""
    table = ExchangeRate._meta.db_table
    sql = (f"SELECT t.line, 'USDPerUnit' AS col, %s || trim_scale(e.usd_per_unit)::text || %s "
           f"|| to_char(e.month, 'YYYY-MM') || %s AS reason "
           f"FROM fx_typed t JOIN {table} e ON e.currency = t.code AND e.month = t.d_month "
           f"WHERE e.usd_per_unit <> t.rate")
    return loader.fetch_problems(sql, [_("The rate of this currency is already set to "), _(" for "),
                                       _(" and is never changed.")])


def fx_rates_import(*, actor, file, month=None, file_name="") -> ImportResult:
    """Import Microsoft's monthly FX file (`CurrencyCode,USDPerUnit,Month`). `month` (optional, a date or YYYY-MM)
    is the month of rows whose Month column is a bare year, as in Microsoft's sample. One rate per currency and
    month: a line with a different rate for a (currency, month) already set is refused with FxRateAlreadySet (409)
    naming the lines, and nothing is imported (a rate may already have converted charges: it is never changed); an
    identical line is left as it is. Bad lines: FxRatesInvalid (400) with every {line, column, reason}.

    Returns an ImportResult whose report lists the months and currencies added. Needs Perm.IMPORT_PRICING; audited
    as `fx_rates.imported` with the SHA-256."""
    require(actor, Perm.IMPORT_PRICING)
    month = month_parse(month) if month not in (None, "") else None
    if month is not None:
        _check_month_not_too_late(month)
    file_name = (file_name or "")[:255]
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('fxrates'))")
        try:
            # Microsoft's published sample closes a quoted Month with a typographic quote; an FX file holds only
            # codes, numbers and months, so those quotes can only mean plain ones.
            sha, _size, count = loader.stage(loader.as_text(file), table="fx_stage", columns=FX_COLUMNS,
                                             what=_("Microsoft's exchange-rate file"), plain_quotes=True)
        except FileProblem as exc:
            raise FxRatesInvalid(exc.problems[0]["reason"], data=exc.problems) from None
        if count == 0:
            raise FxRatesInvalid(_("The file has a header but no rates."),
                                 data=[loader.problem(2, "", _("The file has a header but no rates."))])
        _typed_fx(month)
        problems, total = _fx_problems(next_month(timezone.now().date()))
        if total:
            raise FxRatesInvalid(_("%(count)s bad line(s) in the exchange-rate file (the first: line %(line)s, "
                                   "%(column)s: %(reason)s). Nothing was imported.") % {"count": total, **problems[0]},
                                 data=problems)
        conflicts, total = _fx_conflicts()
        if total:
            raise FxRateAlreadySet(_("%(count)s rate(s) differ from rates already set (the first: line %(line)s: "
                                     "%(reason)s). Nothing was imported.") % {"count": total, **conflicts[0]},
                                   data=conflicts)
        now = timezone.now()
        table = ExchangeRate._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(f"""
                INSERT INTO {table} (currency, month, usd_per_unit, source_sha256, imported_at)
                SELECT code, d_month, rate, %s, %s FROM fx_typed
                ON CONFLICT (currency, month) DO NOTHING
                RETURNING to_char(month, 'YYYY-MM'), currency""", [sha, now])
            added = cursor.fetchall()
            cursor.execute("SELECT DISTINCT to_char(d_month, 'YYYY-MM') FROM fx_typed ORDER BY 1")
            months = [row[0] for row in cursor.fetchall()]
        written = len(added)
        unchanged = written == 0
        report = {
            "kind": ImportKind.FX_RATES, "months": months, "sha256": sha, "fileName": file_name, "rowCount": count,
            "rowsWritten": written, "unchanged": unchanged,
            "added": sorted(f"{code} {added_month}" for added_month, code in added)[:REPORT_LIST],
            "message": (_("These exchange rates are already set: nothing was changed.") if unchanged
                        else _("%(count)s exchange rates added.") % {"count": written}),
        }
        record = PricingImport.objects.create(
            kind=ImportKind.FX_RATES, month=date.fromisoformat(months[0] + "-01") if len(months) == 1 else None,
            source_sha256=sha, file_name=file_name, row_count=count, rows_written=written, unchanged=unchanged,
            report=report, created_at=now, **_who(actor))
        audit_record(actor=actor, action="fx_rates.imported", obj=record, object_type="billing.PricingImport",
                     object_repr=f"FX {', '.join(months)}"[:255],
                     data={"sha256": sha, "fileName": file_name, "rows": count, "rowsWritten": written,
                           "unchanged": unchanged, "months": months})
    return ImportResult(pricing_import=record, unchanged=unchanged, rows_written=written, report=report)


__all__ = ["ImportResult", "PriceSheetView", "fx_rates_import", "market_parse", "partition_name", "price_list_delete",
           "price_sheet_import"]
