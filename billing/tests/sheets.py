"""Price sheets and FX files for the tests, written the way Microsoft serves them."""

HEADER = ["ProductTitle", "ProductId", "SkuId", "SkuTitle", "Publisher", "SkuDescription", "UnitOfMeasure",
          "TermDuration", "Market", "Currency", "UnitPrice", "PricingTierRangeMin", "PricingTierRangeMax",
          "EffectiveStartDate", "EffectiveEndDate", "MeterIds", "MeterType", "Tags"]
OPEN_END = "11/30/9999 11:59:59 PM"
MAX_TIER = "9223372036854780000"
VM_METER = "9cb0bde8-bc0c-4914-841b-b2a8cb5a4b3d"
STORAGE_METER = "3a6a1b7c-0b4f-4c55-9d3c-5f0f3ad0c1e2"


def row(product_id="DZH318Z0BQ4X", sku_id="003C", price="0.096", tier_min="", tier_max="",
        start="12/1/2026 12:00:00 AM", end=OPEN_END, market="US", currency="USD", meter=VM_METER,
        product_title="Virtual Machines Dv3 Series", sku_title="D2 v3 - US East", tags="Azure,Consumption",
        unit="1 Hour", description="Virtual Machines Dv3 Series D2 v3 US East"):
    return [product_title, product_id, sku_id, sku_title, "Microsoft", description, unit, "payG-1", market, currency,
            price, tier_min, tier_max, start, end, meter, unit, tags]


def storage_tiers(prices=("0.0184", "0.0177", "0.0170"), start="12/1/2026 12:00:00 AM", sku_id="0016"):
    bounds = [("0", "51200"), ("51200", "512000"), ("512000", MAX_TIER)]
    return [row(product_id="DZH318Z0BNVX", sku_id=sku_id, price=price, tier_min=low, tier_max=high, start=start,
                meter=STORAGE_METER, product_title="Storage Hot LRS", sku_title="Hot LRS - US West",
                unit="1 GB/Month", description="Hot block blob data stored, US West", tags="Azure,Consumption")
            for price, (low, high) in zip(prices, bounds, strict=True)]


def csv_text(rows, *, header=HEADER, quoted=True, bom=False, newline="\r\n"):
    def line(values):
        if quoted:
            return ",".join('"' + str(v).replace('"', '""') + '"' for v in values)
        return ",".join('"' + str(v) + '"' if "," in str(v) else str(v) for v in values)  # as csv's QUOTE_MINIMAL

    text = newline.join([line(header), *(line(r) for r in rows)]) + newline
    return ("\ufeff" if bom else "") + text


def sheet(rows=None, **kwargs) -> bytes:
    rows = rows if rows is not None else [row(), *storage_tiers()]
    return csv_text(rows, **kwargs).encode("utf-8")


def fx(rows, *, quoted=True) -> bytes:
    return csv_text(rows, header=["CurrencyCode", "USDPerUnit", "Month"], quoted=quoted).encode("utf-8")
