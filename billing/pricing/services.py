"""Writes of billing.pricing: importing a price sheet and an exchange-rate file (docs/billing.md, "Price lists and
exchange rates"). Both are all or nothing, streamed (billing.pricing.loader) and audited with who and the SHA-256."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.permissions import Perm, require
from core.audit import audit_record
from core.errors import InvalidInput
from core.money import CURRENCIES

from ..errors import FxRateAlreadySet, FxRatesInvalid
from ..models import ExchangeRate, ImportKind, PriceList, PriceSheetRow, PriceSheetView, PricingImport
from . import loader
from .loader import FX_COLUMNS, FileProblem, datetime_parts_sql, datetime_sql, number_sql, problems_summary
from .messages import import_message
from .rules import month_parse, next_month, sold_markets, view_parse
from .sheet_load import partition_name, write_rows

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
            written, count, sha = write_rows(stream, price_list.pk, market=market, new=existing is None, sha=sha,
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
            **diff,
        }
        report["message"] = import_message(report)
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
    message = loader.sql_message
    checks = [
        ("SELECT line, 'CurrencyCode' AS col, {reason} AS reason FROM fx_typed "
         "WHERE NOT (code = ANY(%s)) OR code IS NULL",
         message(_("CurrencyCode “%(value)s” is not an ISO 4217 currency code."), value="btrim(currency)"),
         [currencies]),
        ("SELECT line, 'USDPerUnit', {reason} FROM fx_typed WHERE rate IS NULL",
         message(_("USDPerUnit “%(value)s” is not a number."), value="left(usd_per_unit, 40)"), []),
        ("SELECT line, 'USDPerUnit', {reason} FROM fx_typed WHERE rate <= 0 OR rate >= 1e10",
         message(_("USDPerUnit must be more than 0 (and below 10^10).")), []),
        ("SELECT line, 'Month', {reason} FROM fx_typed WHERE d_month IS NULL",
         message(_("Month “%(value)s” is not a month such as 202612 (a bare year needs the month given to the "
                   "import)."), value="btrim(month)"), []),
        ("SELECT line, 'Month', {reason} FROM fx_typed WHERE d_month > %s",
         message(_("This month is in the future beyond next month.")), [limit_month]),
        ("SELECT line, 'CurrencyCode', {reason} FROM ("
         "  SELECT line, first_value(line) OVER w AS first_line, row_number() OVER w AS n FROM fx_typed "
         "  WHERE d_month IS NOT NULL WINDOW w AS (PARTITION BY code, d_month ORDER BY line)) d WHERE n > 1",
         message(_("Duplicate of line %(first)s: one rate per currency and month."), first="first_line"), []),
    ]
    sql = " UNION ALL ".join(f"({query.format(reason=reason[0])})" for query, reason, _params in checks)
    return loader.fetch_problems(sql, [value for _query, reason, params in checks for value in reason[1] + params])


def _fx_conflicts():
    """Lines whose (currency, month) already has a different rate: rates are never changed once set."""
    table = ExchangeRate._meta.db_table
    reason, params = loader.sql_message(
        _("The rate of this currency is already set to %(rate)s for %(month)s and is never changed."),
        rate="trim_scale(e.usd_per_unit)", month="to_char(e.month, 'YYYY-MM')")
    sql = (f"SELECT t.line, 'USDPerUnit' AS col, {reason} AS reason "
           f"FROM fx_typed t JOIN {table} e ON e.currency = t.code AND e.month = t.d_month "
           f"WHERE e.usd_per_unit <> t.rate")
    return loader.fetch_problems(sql, params)


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
            raise FxRatesInvalid(problems_summary(
                ngettext("%(count)s bad line in the exchange-rate file", "%(count)s bad lines in the exchange-rate file",
                         total) % {"count": total}, problems[0], total), data=problems)
        conflicts, total = _fx_conflicts()
        if total:
            raise FxRateAlreadySet(problems_summary(
                ngettext("%(count)s rate differs from a rate already set", "%(count)s rates differ from rates already "
                         "set", total) % {"count": total}, conflicts[0], total), data=conflicts)
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
        }
        report["message"] = import_message(report)
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
