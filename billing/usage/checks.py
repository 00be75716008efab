"""The checks of a staged usage file (billing.usage.pipeline builds usage_stage and its small tables first): every
bad line listed with its column and reason, another partner's lines, the lines that would change an invoiced month,
repeated natural keys. Each runs only when a cheap sign (pipeline.prepare's usage_seen) or the write says so."""

from django.db import connection
from django.utils.translation import gettext as _

from ..models import ClosedUsageMonth, UsageRecord
from .pipeline import (
    _IDS,
    _JOINS,
    _MS_CURRENCIES,
    _MS_NUMBERS,
    INPUT_COLUMNS,
    KEY_COLUMNS,
    MAX_ERRORS,
    NUMBER_RE,
    TYPED,
    _compared,
    _foreign,
    _text,
    _typed_compared,
    has_closed_months,
)


def foreign_partner_lines(label):
    """Lines whose PartnerId is another partner's (Microsoft writes the billing partner's tenant id on every line):
    (line, column, reason) of the first MAX_ERRORS, and the total. Read only when usage_seen saw one."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM usage_seen WHERE foreign_partner)")
        if not cursor.fetchone()[0]:
            return [], 0
        cursor.execute(f"""
            SELECT line, left(btrim(partner_id), 60), count(*) OVER () FROM usage_stage
            WHERE {_foreign("partner_id")} ORDER BY line LIMIT {MAX_ERRORS}""")
        rows = cursor.fetchall()
    column = label.get("partner_id", "PartnerId")
    tenant = connection.usage_partner_tenant
    found = [{"line": line, "column": column,
              "reason": _("PartnerId “%(value)s” is another partner's: this organisation's is %(tenant)s. Import only "
                          "your own usage file.") % {"value": value, "tenant": tenant}}
             for line, value, _t in rows]
    return found, (rows[0][2] if rows else 0)


def problems(label, where="true"):
    """Every bad line as (line, column, reason), the first MAX_ERRORS, and the total; one scan of usage_stage.
    `label` maps a stage column to the name the file uses for it (CSV or API names)."""

    def name(column):
        return _text(label.get(column, column))

    def q(column):  # the raw value, quoted, for a message
        return f"left(coalesce(t.{column}, ''), 60)"

    def blank(column):
        return f"coalesce(btrim(t.{column}), '') = ''"

    rules = []
    for column in ("customer_id", "entitlement_id"):
        rules.append((column, f"t.{column} IS NULL", f"{name(column)} || {_text(_(' is missing.'))}"))
        rules.append((column, f"t.{column} IS NOT NULL AND {blank(column)}",
                      f"{name(column)} || {_text(_(' is empty.'))}"))
        parsed = "cu" if column == "customer_id" else "eu"
        rules.append((column, f"NOT {blank(column)} AND t.{parsed} IS NULL",
                      f"{name(column)} || ' “' || {q(column)} || {_text(_('” is not a GUID.'))}"))
    rules += [
        ("usage_date", "t.usage_date IS NULL", f"{name('usage_date')} || {_text(_(' is missing.'))}"),
        ("usage_date", f"t.usage_date IS NOT NULL AND {blank('usage_date')}",
         f"{name('usage_date')} || {_text(_(' is empty.'))}"),
        ("usage_date", f"NOT {blank('usage_date')} AND t.du_d IS NULL AND NOT coalesce(t.du_far, false)",
         f"{name('usage_date')} || ' “' || {q('usage_date')} || "
         f"{_text(_('” is not a date such as 2026-12-01 or 12/1/2026.'))}"),
        ("usage_date", "coalesce(t.du_far, false)",
         f"{name('usage_date')} || ' “' || {q('usage_date')} || "
         f"{_text(_('” is not a usage date: it is before 2000 or after next month.'))}"),
        ("quantity", "t.quantity IS NULL", f"{name('quantity')} || {_text(_(' is missing.'))}"),
        ("quantity", f"t.quantity IS NOT NULL AND {blank('quantity')}", f"{name('quantity')} || {_text(_(' is empty.'))}"),
        ("quantity", f"NOT {blank('quantity')} AND btrim(t.quantity) !~ '{NUMBER_RE}'",
         f"{name('quantity')} || ' “' || {q('quantity')} || {_text(_('” is not a number.'))}"),
        ("quantity", f"CASE WHEN btrim(t.quantity) ~ '{NUMBER_RE}' THEN abs(btrim(t.quantity)::numeric) >= 1e20 END",
         f"{name('quantity')} || {_text(_(' is too large (at most 20 digits before the decimal point).'))}"),
        ("quantity", f"CASE WHEN btrim(t.quantity) ~ '{NUMBER_RE}' THEN btrim(t.quantity)::numeric < 0 END",
         f"{name('quantity')} || ' “' || {q('quantity')} || "
         f"{_text(_('” is negative: usage is a quantity of 0 or more.'))}"),
        ("meter_id", f"{blank('meter_id')} AND ({blank('product_id')} OR {blank('sku_id')})",
         f"{name('meter_id')} || {_text(_(' is empty (and no ProductId and SkuId name the meter).'))}"),
    ]
    for column in (*_IDS, "meter_id"):
        rules.append((column, f"length(btrim(t.{column})) > 64",
                      f"{name(column)} || {_text(_(' is longer than 64 characters.'))}"))
    for column, limit in _MS_NUMBERS.items():
        rules.append((column, f"NOT {blank(column)} AND btrim(t.{column}) !~ '{NUMBER_RE}'",
                      f"{name(column)} || ' “' || {q(column)} || {_text(_('” is not a number.'))}"))
        rules.append((column, f"CASE WHEN btrim(t.{column}) ~ '{NUMBER_RE}' "
                                f"THEN abs(btrim(t.{column})::numeric) >= {limit} END",
                      f"{name(column)} || {_text(_(' is too large.'))}"))
    for column in _MS_CURRENCIES:
        rules.append((column, f"length(btrim(t.{column})) > 3",
                      f"{name(column)} || ' “' || {q(column)} || {_text(_('” is not a currency code.'))}"))
    rules.append(("ms_exchange_rate_date", f"NOT {blank('ms_exchange_rate_date')} AND t.dx_d IS NULL",
                  f"{name('ms_exchange_rate_date')} || ' “' || {q('ms_exchange_rate_date')} || "
                  f"{_text(_('” is not a date.'))}"))
    # A cheap test first, true for every good line (one regular expression over the numbers joined, the dates and
    # GUIDs from their tables, lengths): the rules above run only on the lines it does not vouch for.
    any_bad = f"NOT coalesce({_surely_good()}, false)"
    checks = ", ".join(f"({n}, {name(column)}, CASE WHEN {condition} THEN {reason} END)"
                       for n, (column, condition, reason) in enumerate(rules))
    sql = f"""
        SELECT c.line, c.col, c.reason, count(*) OVER () FROM (SELECT t.* FROM (
            SELECT s.*, k.cu, k.eu, du.d AS du_d, du.far AS du_far, dx.d AS dx_d
            FROM usage_stage s
            JOIN usage_keys k ON k.ct = coalesce(s.customer_id, '') AND k.et = coalesce(s.entitlement_id, '')
            LEFT JOIN usage_dates du ON du.v = s.usage_date
            LEFT JOIN usage_dates dx ON dx.v = s.ms_exchange_rate_date
            WHERE {where}
        ) t WHERE {any_bad}) t CROSS JOIN LATERAL (
            SELECT t.line, col, reason, n FROM (VALUES {checks}) v(n, col, reason) WHERE reason IS NOT NULL) c
        ORDER BY c.line, c.n LIMIT {MAX_ERRORS}"""
    with connection.cursor() as cursor:
        cursor.execute(sql)
        rows = cursor.fetchall()
    return [{"line": line, "column": column, "reason": reason} for line, column, reason, _t in rows], \
        (rows[0][3] if rows else 0)


def suspect():
    """Cheap signs that some line may be bad, read from the small tables of `prepare`: a pair that is not two GUIDs,
    a date that does not parse, a number spelled NaN or Infinity (PostgreSQL reads those). Without them the write
    itself checks the rest (numbers by their cast, lengths, NOT NULL), and the rules run only if it fails."""
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT EXISTS (SELECT 1 FROM usage_keys WHERE cu IS NULL OR eu IS NULL)
                OR EXISTS (SELECT 1 FROM usage_dates WHERE d IS NULL)
                OR EXISTS (SELECT 1 FROM usage_seen WHERE odd)""")
        return cursor.fetchone()[0]


def _number_re(digits, *, required=False):
    number = rf"[+-]?[0-9]{{1,{digits}}}(\.[0-9]*)?"
    return f"({number})" if required else f"({number})?"


def _surely_good():
    """A condition true only of lines no rule of `problems` finds bad (a line it rejects is checked rule by rule)."""
    numbers = {"quantity": 20, **{c: {"1e20": 20, "1e10": 10, "1000": 3, "10": 1}[limit]
                                    for c, limit in _MS_NUMBERS.items()}}
    joined = " || '|' || ".join(f"coalesce(t.{c}, '')" for c in numbers)
    pattern = "^" + r"\|".join(_number_re(d, required=c == "quantity") for c, d in numbers.items()) + "$"
    lengths = " AND ".join([*(f"coalesce(length(t.{c}), 0) <= 64" for c in (*_IDS, "meter_id")),
                            *(f"coalesce(length(t.{c}), 0) <= 3" for c in _MS_CURRENCIES)])
    return (f"t.cu IS NOT NULL AND t.eu IS NOT NULL AND t.du_d IS NOT NULL "
            f"AND (t.dx_d IS NOT NULL OR t.ms_exchange_rate_date IS NULL OR t.ms_exchange_rate_date = '') "
            f"AND ({joined}) ~ '{pattern}' AND t.quantity !~ '^\\s*-' AND {lengths} "
            f"AND (btrim(t.meter_id) <> '' OR (btrim(t.product_id) <> '' AND btrim(t.sku_id) <> ''))")


def closed_month_changes(organisation_id, label):
    """Lines that would add or change a row of a closed (invoiced) month: (line, column, reason) and the total."""
    closed = ClosedUsageMonth._meta.db_table
    table = UsageRecord._meta.db_table
    if not has_closed_months(organisation_id):
        return [], 0
    key = " AND ".join(f"r.{c} = {TYPED[c]}" for c in KEY_COLUMNS)
    changed = (f"({', '.join(_compared('r.', c) for c in INPUT_COLUMNS)}) IS DISTINCT FROM "
               f"({', '.join(_typed_compared(c) for c in INPUT_COLUMNS)})")
    sql = f"""
        SELECT s.line, %(col)s, CASE WHEN r.id IS NULL THEN %(added)s ELSE %(changed)s END
               || to_char(du.d, 'YYYY-MM') || %(tail)s, count(*) OVER ()
        {_JOINS}
        JOIN {closed} cm ON cm.organisation_id = %(org)s AND cm.month = date_trunc('month', du.d)::date
        LEFT JOIN {table} r ON {key}
        WHERE k.sub_id IS NOT NULL AND (r.id IS NULL OR {changed})
        ORDER BY s.line LIMIT {MAX_ERRORS}"""
    with connection.cursor() as cursor:
        cursor.execute(sql, {"org": organisation_id, "col": label.get("usage_date", "UsageDate"),
                             "added": _("This line would add usage to "), "changed": _("This line would change usage of "),
                             "tail": _(", a month already invoiced (closed): it can no longer change.")})
        rows = cursor.fetchall()
    return [{"line": line, "column": column, "reason": reason} for line, column, reason, _t in rows], \
        (rows[0][3] if rows else 0)


def duplicates(label):
    """Lines whose natural key (EntitlementId, UsageDate, MeterId, ResourceURI, ChargeType, BenefitId) repeats an
    earlier line's: only looked for when the write found such a repeat."""
    key = ", ".join(TYPED[c] for c in ("azure_subscription_id", "usage_date", "meter_id", "resource_uri",
                                        "charge_type", "benefit_id"))
    sql = f"""
        SELECT line, first, count(*) OVER () FROM (
            SELECT s.line, first_value(s.line) OVER (PARTITION BY {key} ORDER BY s.line) AS first
            {_JOINS} WHERE k.sub_id IS NOT NULL) d
        WHERE line <> first ORDER BY line LIMIT {MAX_ERRORS}"""
    with connection.cursor() as cursor:
        cursor.execute(sql, {"org": 0})
        rows = cursor.fetchall()
    column = label.get("meter_id", "MeterId")
    found = [{"line": line, "column": column,
              "reason": _("Duplicate of line %(first)s: the same EntitlementId, UsageDate, MeterId, ResourceURI, "
                          "ChargeType and BenefitId.") % {"first": first}} for line, first, _t in rows]
    return found, (rows[0][2] if rows else 0)
