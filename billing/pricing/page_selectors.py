"""Reads the Pricing pages need beyond billing.pricing.selectors: a page of meters with their tiers grouped, the
months a market and view have, a meter's price per month as chart series, and exchange-rate tables and history.
Each starts from a selector of billing.pricing.selectors (which checks Perm.VIEW_PRICING) or checks it itself."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Max

from accounts.permissions import Perm, require

from ..models import ExchangeRate, PriceList, PriceSheetRow
from . import selectors
from .rules import month_parse


def region_of(sku_title):
    """The region Microsoft writes at the end of SkuTitle ("D2 v5 - US East"), or "" when there is none."""
    head, sep, tail = (sku_title or "").rpartition(" - ")
    return tail.strip() if sep and head else ""


@dataclass
class Meter:
    """One product/SKU of a price list with the tiers of its latest effective period (`rows`, by tier min)."""

    product_id: str
    sku_id: str
    rows: list = field(default_factory=list)

    @property
    def first(self):
        return self.rows[0]

    @property
    def tiered(self):
        return len(self.rows) > 1 or self.rows[0].tier_min is not None

    @property
    def region(self):
        return region_of(self.first.sku_title)

    @property
    def name(self):
        """SkuTitle without its region."""
        title = self.first.sku_title or ""
        region = self.region
        return title[: -len(region) - 3] if region else title

    @property
    def tags(self):
        return [tag.strip() for tag in (self.first.tags or "").split(",") if tag.strip()]


def months(*, actor, market, view) -> list[date]:
    """The months that have a price list of `market` and `view`, newest first."""
    return list(selectors.price_list_list(actor=actor, market=market, view=view).values_list("month", flat=True))


def markets(*, actor) -> list[str]:
    """The markets that have at least one price list, alphabetically."""
    require(actor, Perm.VIEW_PRICING)
    return sorted(set(PriceList.objects.values_list("market", flat=True)))


def meter_page(*, actor, price_list, filters, page=1, per_page=50) -> tuple[int, list[Meter]]:
    """(number of meters matching `filters` (billing.pricing.selectors.meter_search's), the meters of page `page`
    with their tiers). Two queries: the page of (ProductId, SkuId) keys, then their rows."""
    rows = selectors.meter_search(actor=actor, price_list=price_list, **filters)
    keys = rows.values("product_id", "sku_id").distinct().order_by("product_id", "sku_id")
    total = keys.count()
    start = max(page - 1, 0) * per_page
    chosen = [(k["product_id"], k["sku_id"]) for k in keys[start:start + per_page]]
    if not chosen:
        return total, []
    products = {product for product, _sku in chosen}
    found = (PriceSheetRow.objects.filter(price_list=price_list, product_id__in=products,
                                          sku_id__in={sku for _p, sku in chosen})
             .order_by("product_id", "sku_id", "-effective_start", "tier_min"))
    meters = {key: Meter(*key) for key in chosen}
    latest = {}
    for row in found:
        key = (row.product_id, row.sku_id)
        if key not in meters:
            continue
        # The tiers of the latest effective period: a row starting later replaces the earlier period.
        if latest.setdefault(key, row.effective_start) == row.effective_start:
            meters[key].rows.append(row)
    for meter in meters.values():
        meter.rows.sort(key=lambda r: (r.tier_min is not None, r.tier_min or 0))
    return total, [meters[key] for key in chosen]


def _tier_label(tier_min, tier_max):
    if tier_min is None:
        return ""
    low = f"{tier_min.normalize():f}"
    if tier_max is None or tier_max >= Decimal("9e18"):
        return f"≥ {low}"
    return f"{low} – {tier_max.normalize():f}"


def meter_chart(history) -> dict:
    """billing.pricing.selectors.meter_history's rows as chart data: one label per month ("2026-12"), one series
    per tier ("0 – 51200", or the meter's unit when untiered), the price in force at the end of each month (its row
    with the latest start date), as text (Decimal, never a float)."""
    month_labels = sorted({row["month"] for row in history})
    tiers = sorted({row["tier_min"] for row in history}, key=lambda t: (t is not None, t or 0))
    values = {}
    bounds = {}
    for row in history:  # oldest start first: a later start overwrites
        values[(row["month"], row["tier_min"])] = row["unit_price"]
        bounds[row["tier_min"]] = row["tier_max"]
    unit = history[-1]["unit_of_measure"] if history else ""
    series = []
    for tier in tiers:
        label = _tier_label(tier, bounds[tier]) or unit
        series.append({"label": label, "values": [
            None if values.get((month, tier)) is None else f"{values[(month, tier)].normalize():f}"
            for month in month_labels]})
    return {"labels": [f"{m:%Y-%m}" for m in month_labels], "series": series,
            "unit": history[-1]["currency"] if history else "USD", "stepped": False}


def meter_months(history) -> list[dict]:
    """The history as a table: one line per month and tier with its price and the change from the previous month
    (percent, rounded to 2 decimals; None for the first month or a zero price)."""
    latest = {}
    for row in history:
        latest[(row["month"], row["tier_min"])] = row
    previous = {}
    lines = []
    for (month, tier), row in sorted(latest.items(), key=lambda kv: (kv[0][0], kv[0][1] is not None, kv[0][1] or 0)):
        before = previous.get(tier)
        change = None
        if before is not None and before["unit_price"]:
            change = ((row["unit_price"] - before["unit_price"]) * 100 / before["unit_price"]).quantize(Decimal("0.01"))
        lines.append({"month": month, "tier": _tier_label(tier, row["tier_max"]), "price": row["unit_price"],
                      "start": row["effective_start"], "end": row["effective_end"], "change": change})
        previous[tier] = row
    return lines


def fx_table(*, actor, month) -> list[dict]:
    """The rates of `month` with the previous month's rate of each currency and the change in percent."""
    month = month_parse(month)
    rates = list(selectors.fx_rate_list(actor=actor, month=month))
    earlier = ExchangeRate.objects.filter(month__lt=month).aggregate(m=Max("month"))["m"]
    before = {r.currency: r for r in ExchangeRate.objects.filter(month=earlier)} if earlier else {}
    table = []
    for rate in rates:
        old = before.get(rate.currency)
        change = None
        if old is not None and old.usd_per_unit:
            change = ((rate.usd_per_unit - old.usd_per_unit) * 100 / old.usd_per_unit).quantize(Decimal("0.01"))
        table.append({"currency": rate.currency, "rate": rate.usd_per_unit.normalize(),
                      "per_usd": (1 / rate.usd_per_unit).quantize(Decimal("0.000001")),
                      "previous": old.usd_per_unit.normalize() if old else None, "change": change})
    return table


def fx_currencies(*, actor) -> list[str]:
    require(actor, Perm.VIEW_PRICING)
    return sorted(set(ExchangeRate.objects.values_list("currency", flat=True)))


def fx_chart(*, actor, currency) -> dict:
    """The history of one currency's rate (USD per unit), oldest month first, as chart data."""
    rates = list(selectors.fx_rate_list(actor=actor, currency=currency).order_by("month"))
    return {"labels": [f"{r.month:%Y-%m}" for r in rates],
            "series": [{"label": f"USD / {currency}", "values": [f"{r.usd_per_unit.normalize():f}" for r in rates]}],
            "unit": "USD", "stepped": False}
