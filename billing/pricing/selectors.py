"""Reads of billing.pricing, for the pages and the API alike. Price lists and exchange rates are reference data shared by
every organisation: reads are not scoped to an organisation, only role-checked once (Perm.VIEW_PRICING; the Partner
Center download routes also need Perm.VIEW_PRICE_SHEET_API, checked by their views). `price_on` and `fx_rate_on` are
the engine's reads (rating), with no actor.
"""

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.permissions import Perm, require

from ..errors import FxRatesNotFound, MeterNotFound, PriceListNotFound
from ..models import ExchangeRate, PriceList, PriceSheetRow, PricingImport
from .loader import FX_COLUMNS, SHEET_COLUMNS
from .rules import month_parse, view_parse

TIMELINES = ("current", "history", "future")
DIFF_CHANGES = ("added", "removed", "changed")


def _check(actor):
    require(actor, Perm.VIEW_PRICING)


def _month_of(on_date) -> date:
    day = on_date.date() if hasattr(on_date, "date") and callable(on_date.date) else on_date
    return day.replace(day=1)


# ---------------------------------------------------------------- the engine's reads


def price_on(*, market, view, product_id, sku_id, meter_id=None, on_date) -> list[PriceSheetRow]:
    """The tiers pricing `product_id`/`sku_id` (and `meter_id`, matched within MeterIds) in `market` and `view` at
    `on_date` (a date: its start of day UTC, or an aware datetime): the rows whose effective range covers that
    instant, from the price list of the instant's month, or, when that month has none, the latest earlier month's.
    Ordered by PricingTierRangeMin (an untiered meter: one row); [] when nothing prices it."""
    from datetime import UTC, datetime, time

    at = on_date if isinstance(on_date, datetime) else datetime.combine(on_date, time.min, tzinfo=UTC)
    price_list = (PriceList.objects.filter(market=str(market).upper(), view=view, month__lte=_month_of(at))
                  .order_by("-month").first())
    if price_list is None:
        return []
    rows = PriceSheetRow.objects.filter(price_list=price_list, product_id=product_id, sku_id=sku_id,
                                        effective_start__lte=at, effective_end__gte=at)
    if meter_id:
        rows = rows.filter(meter_ids__icontains=str(meter_id))
    rows = list(rows.order_by("-effective_start", "tier_min"))
    if not rows:
        return []
    latest = rows[0].effective_start  # a newer row starting inside an older one's range wins
    return sorted((r for r in rows if r.effective_start == latest), key=lambda r: (r.tier_min is not None,
                                                                                   r.tier_min or 0))


def fx_rate_on(*, currency, on_date) -> Decimal | None:
    """USD per one unit of `currency` for a charge dated `on_date`: the rate of that calendar month (domain.md
    §3.4.2), None when it is not imported. USD is 1."""
    if currency == "USD":
        return Decimal(1)
    rate = ExchangeRate.objects.filter(currency=currency, month=_month_of(on_date)).first()
    return rate.usd_per_unit if rate else None


# ---------------------------------------------------------------- price lists


def price_list_list(*, actor, market=None, view=None) -> QuerySet:
    """Every price list version (market, view, month), newest month first; filtered by `market` / `view`."""
    _check(actor)
    rows = PriceList.objects.all()
    if market:
        rows = rows.filter(market=str(market).strip().upper())
    if view:
        rows = rows.filter(view=view_parse(view))
    return rows.order_by("market", "view", "-month")


def price_list_get(*, actor, market, view, month) -> PriceList:
    """The price list of `market`, `view` and `month` (date or YYYYMM / YYYY-MM); 404 PriceListNotFound."""
    _check(actor)
    found = PriceList.objects.filter(market=str(market).strip().upper(), view=view_parse(view),
                                     month=month_parse(month)).first()
    if found is None:
        raise PriceListNotFound()
    return found


def price_list_for_timeline(*, actor, market, view, timeline="current", month=None) -> PriceList:
    """Partner Center's `timeline`: `current` is this month's list (or, when this month has none yet, the latest
    earlier one), `history` the list of `month` (required), `future` next month's when it was published. 404
    PriceListNotFound when there is none; 400 for an unknown timeline or a history without month."""
    from django.utils.translation import gettext as _

    from core.errors import InvalidInput

    _check(actor)
    view = view_parse(view)
    timeline = str(timeline or "current").strip().lower()
    if timeline not in TIMELINES:
        raise InvalidInput(_("timeline must be current, history or future."), field="timeline")
    this_month = timezone.now().date().replace(day=1)
    rows = PriceList.objects.filter(market=str(market).strip().upper(), view=view)
    if timeline == "history":
        if not month:
            raise InvalidInput(_("month (YYYYMM) is required with timeline=history."), field="month")
        found = rows.filter(month=month_parse(month)).first()
    elif timeline == "future":
        found = rows.filter(month__gt=this_month).order_by("month").first()
    else:
        found = rows.filter(month__lte=this_month).order_by("-month").first()
    if found is None:
        raise PriceListNotFound()
    return found


def meter_search(*, actor, price_list, product="", sku="", meter="", region="", tag="", q="") -> QuerySet:
    """Rows of `price_list` matching every filter given (case-insensitive substrings): `product` in ProductId or
    ProductTitle, `sku` in SkuId or SkuTitle, `meter` in MeterIds, SkuTitle or MeterType, `region` in SkuTitle or
    SkuDescription (where Microsoft names the region), `tag` in Tags, `q` in any of those. Ordered by product id,
    SKU id, start date, tier (the keys of keyset paging: product_id, sku_id, effective_start, id)."""
    _check(actor)
    rows = PriceSheetRow.objects.filter(price_list=price_list)
    filters = {
        "product": ("product_id", "product_title"),
        "sku": ("sku_id", "sku_title"),
        "meter": ("meter_ids", "sku_title", "meter_type"),
        "region": ("sku_title", "sku_description"),
        "tag": ("tags",),
        "q": ("product_id", "product_title", "sku_id", "sku_title", "meter_ids", "meter_type", "tags"),
    }
    given = {"product": product, "sku": sku, "meter": meter, "region": region, "tag": tag, "q": q}
    for name, value in given.items():
        value = (value or "").strip()
        if value:
            condition = Q()
            for column in filters[name]:
                condition |= Q(**{f"{column}__icontains": value})
            rows = rows.filter(condition)
    return rows.order_by("product_id", "sku_id", "effective_start", "id")


def meter_tiers(*, actor, price_list, product_id, sku_id) -> list[PriceSheetRow]:
    """Every row of one product/SKU in `price_list` (its tiers, for each effective period), by start date and tier;
    404 MeterNotFound when there are none."""
    _check(actor)
    rows = list(PriceSheetRow.objects.filter(price_list=price_list, product_id=product_id, sku_id=sku_id)
                .order_by("effective_start", "tier_min"))
    if not rows:
        raise MeterNotFound()
    return rows


def meter_history(*, actor, market, view, product_id, sku_id) -> list[dict]:
    """The price of one product/SKU in every month's list of `market` and `view`, oldest first: one dict per
    (month, effective start, tier) with `month` (date), `effective_start`, `effective_end`, `tier_min`, `tier_max`,
    `unit_price`, `unit_of_measure`. 404 MeterNotFound when no month has it."""
    _check(actor)
    rows = list(PriceSheetRow.objects.filter(price_list__market=str(market).strip().upper(),
                                             price_list__view=view_parse(view), product_id=product_id, sku_id=sku_id)
                .order_by("price_list__month", "effective_start", "tier_min")
                .values("price_list__month", "effective_start", "effective_end", "tier_min", "tier_max",
                        "unit_price", "unit_of_measure", "product_title", "sku_title", "currency"))
    if not rows:
        raise MeterNotFound()
    for row in rows:
        row["month"] = row.pop("price_list__month")
    return rows


# ---------------------------------------------------------------- month-to-month differences

_DIFF_SQL = """
WITH o AS (
    SELECT DISTINCT ON (product_id, sku_id, coalesce(tier_min, -1)) product_id, sku_id, tier_min, unit_price,
           product_title, sku_title, unit_of_measure, meter_ids
    FROM {table} WHERE price_list_id = %(old)s ORDER BY product_id, sku_id, coalesce(tier_min, -1), effective_start DESC
), n AS (
    SELECT DISTINCT ON (product_id, sku_id, coalesce(tier_min, -1)) product_id, sku_id, tier_min, unit_price,
           product_title, sku_title, unit_of_measure, meter_ids
    FROM {table} WHERE price_list_id = %(new)s ORDER BY product_id, sku_id, coalesce(tier_min, -1), effective_start DESC
), d AS (
    SELECT coalesce(n.product_id, o.product_id) AS product_id, coalesce(n.sku_id, o.sku_id) AS sku_id,
           coalesce(n.tier_min, o.tier_min) AS tier_min,
           coalesce(n.product_title, o.product_title) AS product_title, coalesce(n.sku_title, o.sku_title) AS sku_title,
           coalesce(n.unit_of_measure, o.unit_of_measure) AS unit_of_measure,
           coalesce(n.meter_ids, o.meter_ids) AS meter_ids,
           trim_scale(o.unit_price) AS old_price, trim_scale(n.unit_price) AS new_price,
           CASE WHEN o.product_id IS NULL THEN 'added' WHEN n.product_id IS NULL THEN 'removed' ELSE 'changed' END
               AS change,
           CASE WHEN o.unit_price > 0 AND n.unit_price IS NOT NULL
                THEN round((n.unit_price - o.unit_price) * 100 / o.unit_price, 2) END AS change_percent
    FROM o FULL JOIN n ON o.product_id = n.product_id AND o.sku_id = n.sku_id
                      AND coalesce(o.tier_min, -1) = coalesce(n.tier_min, -1)
    WHERE o.product_id IS NULL OR n.product_id IS NULL OR o.unit_price <> n.unit_price
)
"""
_DIFF_ORDER = {
    "product": "product_id, sku_id, tier_min NULLS FIRST",
    "change": "change_percent ASC NULLS LAST, product_id, sku_id, tier_min NULLS FIRST",
    "-change": "change_percent DESC NULLS LAST, product_id, sku_id, tier_min NULLS FIRST",
}
_DIFF_FIELDS = ("productId", "skuId", "tierMin", "productTitle", "skuTitle", "unitOfMeasure", "meterIds", "oldPrice",
                "newPrice", "change", "changePercent")


def diff_counts(old_id, new_id) -> dict:
    """{"added": n, "removed": n, "changed": n} between two price lists (by ids)."""
    with connection.cursor() as cursor:
        cursor.execute(_DIFF_SQL.format(table=PriceSheetRow._meta.db_table)
                       + "SELECT change, count(*) FROM d GROUP BY change", {"old": old_id, "new": new_id})
        counts = dict(cursor.fetchall())
    return {change: counts.get(change, 0) for change in DIFF_CHANGES}


def diff_rows(old_id, new_id, *, change=None, order="product", offset=0, limit=100) -> list[dict]:
    """The meters (product, SKU, tier) added, removed or whose price changed from list `old_id` to `new_id`, each
    as a dict of _DIFF_FIELDS (prices as Decimal, changePercent rounded to 2 decimals, None when the old price is
    0); a meter's price in a month is its row with the latest start date. `change` filters one kind; `order` is
    product, change or -change."""
    where = "WHERE change = %(change)s" if change else ""
    with connection.cursor() as cursor:
        cursor.execute(_DIFF_SQL.format(table=PriceSheetRow._meta.db_table)
                       + f"SELECT product_id, sku_id, tier_min, product_title, sku_title, unit_of_measure, meter_ids, "
                         f"old_price, new_price, change, change_percent FROM d {where} "
                         f"ORDER BY {_DIFF_ORDER[order]} OFFSET %(offset)s LIMIT %(limit)s",
                       {"old": old_id, "new": new_id, "change": change, "offset": offset, "limit": limit})
        return [dict(zip(_DIFF_FIELDS, row, strict=True)) for row in cursor.fetchall()]


def price_list_diff(*, actor, market, view, from_month, to_month, change=None, order="product", offset=0,
                    limit=100) -> tuple[dict, list[dict]]:
    """The comparison of two months' lists of `market` and `view`: (counts {added, removed, changed}, the rows asked
    for, see diff_rows). 404 PriceListNotFound when either month has no list; 400 for an unknown change or order."""
    from django.utils.translation import gettext as _

    from core.errors import InvalidInput

    old = price_list_get(actor=actor, market=market, view=view, month=from_month)
    new = price_list_get(actor=actor, market=market, view=view, month=to_month)
    if change and change not in DIFF_CHANGES:
        raise InvalidInput(_("change must be added, removed or changed."), field="change")
    if order not in _DIFF_ORDER:
        raise InvalidInput(_("orderBy must be product, change or -change."), field="orderBy")
    return diff_counts(old.pk, new.pk), diff_rows(old.pk, new.pk, change=change, order=order, offset=offset,
                                                  limit=limit)


# ---------------------------------------------------------------- downloads (CSV in Microsoft's columns)

_SHEET_SELECT = """
SELECT product_title, product_id, sku_id, sku_title, publisher, sku_description, unit_of_measure, term_duration,
       market, currency, trim_scale(unit_price)::text, coalesce(trim_scale(tier_min)::text, ''),
       coalesce(trim_scale(tier_max)::text, ''),
       to_char(effective_start AT TIME ZONE 'UTC', 'FMMM/FMDD/YYYY FMHH12:MI:SS AM'),
       to_char(effective_end AT TIME ZONE 'UTC', 'FMMM/FMDD/YYYY FMHH12:MI:SS AM'),
       meter_ids, meter_type, tags
FROM {table} WHERE price_list_id = %s ORDER BY product_id, sku_id, effective_start, tier_min NULLS FIRST
"""


def _csv_header(columns):
    return (",".join(f'"{name}"' for name in columns) + "\r\n").encode("utf-8")


def _copy_out(sql, params) -> Iterator[bytes]:
    """Stream `sql`'s rows as CSV (every field quoted, CRLF), chunk by chunk from PostgreSQL's COPY TO STDOUT: the
    rows never sit in memory together."""
    with connection.cursor() as cursor, cursor.cursor.copy(
            f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, FORCE_QUOTE *)", params) as copy:
        for chunk in copy:
            yield bytes(chunk)


def price_sheet_csv(*, actor, price_list) -> Iterator[bytes]:
    """Price list `price_list` as Microsoft's CSV (quoted header, every field quoted, dates as 2/1/2019 12:00:00 AM,
    empty tier bounds empty), as an iterator of byte chunks streamed from the database."""
    _check(actor)
    table = PriceSheetRow._meta.db_table

    def generate():
        yield _csv_header(SHEET_COLUMNS)
        yield from _copy_out(_SHEET_SELECT.format(table=table), [price_list.pk])

    return generate()


def fx_rate_list(*, actor, month=None, currency=None) -> QuerySet:
    """Exchange rates, newest month first then by currency; filtered by `month` (date or YYYYMM) and `currency`."""
    _check(actor)
    rows = ExchangeRate.objects.all()
    if month:
        rows = rows.filter(month=month_parse(month))
    if currency:
        rows = rows.filter(currency=str(currency).strip().upper())
    return rows.order_by("-month", "currency")


def fx_months(*, actor) -> list[date]:
    """The months that have exchange rates, newest first."""
    _check(actor)
    return list(ExchangeRate.objects.order_by("-month").values_list("month", flat=True).distinct())


def fx_rates_csv(*, actor, month) -> Iterator[bytes]:
    """The exchange rates of `month` (date or YYYYMM) as Microsoft's CSV `"CurrencyCode","USDPerUnit","Month"` (Month
    as YYYYMM), streamed; 404 FxRatesNotFound when the month has none. The check runs before the first chunk."""
    _check(actor)
    month = month_parse(month)
    if not ExchangeRate.objects.filter(month=month).exists():
        raise FxRatesNotFound()
    table = ExchangeRate._meta.db_table
    sql = (f"SELECT currency, trim_scale(usd_per_unit)::text, to_char(month, 'YYYYMM') FROM {table} "
           f"WHERE month = %s ORDER BY currency")

    def generate():
        yield _csv_header(FX_COLUMNS)
        yield from _copy_out(sql, [month])

    return generate()


# ---------------------------------------------------------------- imports


def import_list(*, actor, kind=None) -> QuerySet:
    """The imports of price sheets and FX files, newest first (`kind`: price_sheet or fx_rates)."""
    _check(actor)
    rows = PricingImport.objects.select_related("price_list")
    if kind:
        rows = rows.filter(kind=kind)
    return rows.order_by("-created_at", "-id")


def import_get(*, actor, public_id) -> PricingImport:
    """One import by its public id (malformed or unknown: 404 1000)."""
    import uuid

    from core.errors import NotFound

    _check(actor)
    try:
        return PricingImport.objects.select_related("price_list").get(public_id=uuid.UUID(str(public_id)))
    except (PricingImport.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
