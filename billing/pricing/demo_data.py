"""The demo price lists and exchange rates: generated, deterministic, in Microsoft's exact file formats.

`make run` loads them (billing/demo.py); the files under billing/data/ are this module's output for two fixed
months, shipped so that a person can try the import pages with a real-looking file. Regenerate them with

    python -m billing.pricing.demo_data --month 2026-12 --out billing/data

The prices are this project's own invention (loosely shaped like public Azure list prices, so the numbers look
plausible); the columns, the quoting, the dates, the tiers and the tags follow Microsoft's price sheet
(docs/billing.md, "Price lists"). Two consecutive months are generated from one seed: the later month adds a few
meters, removes a few and changes some prices by a few percent, as Microsoft's monthly updates do.

Nothing here touches the database: it only writes text.
"""

import argparse
import csv
import gzip
import hashlib
import io
import random
import sys
import uuid
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

HEADER = ["ProductTitle", "ProductId", "SkuId", "SkuTitle", "Publisher", "SkuDescription", "UnitOfMeasure",
          "TermDuration", "Market", "Currency", "UnitPrice", "PricingTierRangeMin", "PricingTierRangeMax",
          "EffectiveStartDate", "EffectiveEndDate", "MeterIds", "MeterType", "Tags"]
FX_HEADER = ["CurrencyCode", "USDPerUnit", "Month"]
CONSUMPTION = "azure_consumption"
RESERVATIONS = "azure_reservations"
VIEWS = (CONSUMPTION, RESERVATIONS)
# The markets of the demo partners' customers (customers/demo.py). Azure plan prices are one global USD list
# (domain.md §3.3): every market's sheet has the same prices, only the Market column differs.
MARKETS = ("US", "FR", "DE", "PL")
FX_CURRENCIES = ("USD", "EUR", "GBP", "CAD")
OPEN_END = "11/30/9999 11:59:59 PM"  # how Microsoft writes "no end date"
MAX_TIER = "9223372036854780000"  # how Microsoft writes the open top of the last tier
SEED = 20261201
MEDIA = Path(__file__).resolve().parents[1] / "data"

# (region, price factor against US East)
REGIONS = [
    ("US East", Decimal("1.00")), ("US West 2", Decimal("1.00")), ("US Central", Decimal("1.04")),
    ("CA Central", Decimal("1.06")), ("EU West", Decimal("1.08")), ("EU North", Decimal("1.04")),
    ("UK South", Decimal("1.09")), ("DE West Central", Decimal("1.15")), ("FR Central", Decimal("1.12")),
    ("PL Central", Decimal("1.13")),
]
AI_REGIONS = ["US East", "US East 2", "SE Central", "FR Central", "CA East"]
NAMESPACE = uuid.UUID("6d2f3c1e-8a4b-4f0e-9b7a-1c2d3e4f5a6b")


@dataclass(frozen=True)
class Row:
    product_title: str
    product_id: str
    sku_id: str
    sku_title: str
    description: str
    unit: str
    price: Decimal
    meter_type: str
    tags: str
    term: str = ""
    tier_min: str = ""
    tier_max: str = ""
    publisher: str = "Microsoft"
    start: date = date(2024, 3, 1)
    end: date | None = None

    @property
    def key(self):
        return (self.product_id, self.sku_id, self.tier_min, self.term)


def _product_id(title):
    """A 12-character product id in Microsoft's style (DZH318Z0xxxx), stable for a title."""
    alphabet = "0123456789BCDFGHJKLMNPQRSTVWXZ"
    digest = hashlib.sha256(title.encode()).digest()
    return "DZH318Z0" + "".join(alphabet[b % len(alphabet)] for b in digest[:4])


def _sku_id(number):
    alphabet = "0123456789ABCDEFGHJKLMNPQRSTVWXYZ"
    text = ""
    for _ in range(4):
        number, digit = divmod(number, len(alphabet))
        text = alphabet[digit] + text
    return text


def _price(value, places=6):
    return Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)


def _text(value):
    """A price as Microsoft prints it: no exponent, no trailing zeros, at least one digit."""
    text = format(value.normalize(), "f")
    return text if "." not in text else text.rstrip("0").rstrip(".") or "0"


class _Catalog:
    """Collects the rows of one view, numbering SKUs per product."""

    def __init__(self):
        self.rows = []
        self._skus = {}

    def sku(self, product_title, sku_title, term=""):
        """Each reservation term is a SKU of its own, so no two rows share (ProductId, SkuId, tier, start)."""
        product_id = _product_id(product_title)
        skus = self._skus.setdefault(product_id, {})
        if (sku_title, term) not in skus:
            skus[(sku_title, term)] = _sku_id(len(skus) + 1)
        return product_id, skus[(sku_title, term)]

    def add(self, product_title, sku_title, region, unit, price, *, meter, tags, tiers=None, term="",
            publisher="Microsoft"):
        """One meter; `tiers` is [(min, max or None, price)] for a tiered meter."""
        title = f"{sku_title} - {region}" if region else sku_title
        product_id, sku_id = self.sku(product_title, title, term)
        description = f"{product_title} {sku_title}" + (f" in {region}" if region else "")
        if tiers:
            for low, high, tier_price in tiers:
                self.rows.append(Row(product_title, product_id, sku_id, title, description, unit, _price(tier_price),
                                     meter, tags, term=term, tier_min=str(low),
                                     tier_max=MAX_TIER if high is None else str(high), publisher=publisher))
        else:
            self.rows.append(Row(product_title, product_id, sku_id, title, description, unit, _price(price), meter,
                                 tags, term=term, publisher=publisher))


def _regional(base, factor, rng):
    """A regional price: the base times the region's factor, with a little noise as real lists have."""
    return base * factor * (Decimal(1) + Decimal(rng.randint(-15, 15)) / Decimal(1000))


def consumption_rows(rng):
    cat = _Catalog()
    tags = "Azure,Consumption"
    # Virtual machines: (product, [(size, vCPUs)], price of 2 vCPUs per hour, Windows licence per 2 vCPUs)
    families = [
        ("Virtual Machines Dv5 Series", [("D2 v5", 2), ("D4 v5", 4), ("D8 v5", 8), ("D16 v5", 16)], "0.096"),
        ("Virtual Machines Ev5 Series", [("E2 v5", 2), ("E4 v5", 4), ("E8 v5", 8)], "0.126"),
        ("Virtual Machines Fsv2 Series", [("F2s v2", 2), ("F4s v2", 4), ("F8s v2", 8)], "0.0846"),
        ("Virtual Machines BS Series", [("B1s", 1), ("B2s", 2), ("B2ms", 2)], "0.0416"),
    ]
    for product, sizes, per_two in families:
        for region, factor in REGIONS:
            for size, cpus in sizes:
                base = Decimal(per_two) * cpus / 2 if not size.startswith("B") else {
                    "B1s": Decimal("0.0104"), "B2s": Decimal("0.0416"), "B2ms": Decimal("0.0832")}[size]
                cat.add(product, size, region, "1 Hour", _regional(base, factor, rng), meter="Compute Hours",
                        tags=tags)
                if region in ("US East", "EU West", "FR Central", "UK South") and not size.startswith("B"):
                    windows = base + Decimal("0.092") * cpus / 2
                    cat.add(f"{product} Windows", size, region, "1 Hour", _regional(windows, factor, rng),
                            meter="Compute Hours", tags=tags)
    # Spot: the same sizes at a fraction of the price, in a few regions.
    for region, factor in REGIONS[:5]:
        for size, cpus in [("D2 v5", 2), ("D4 v5", 4), ("D8 v5", 8), ("E4 v5", 4)]:
            base = Decimal("0.096" if size.startswith("D") else "0.126") * cpus / 2
            spot = base * Decimal(rng.randint(11, 24)) / Decimal(100)
            cat.add("Virtual Machines Spot", f"{size} Spot", region, "1 Hour", _regional(spot, factor, rng),
                    meter="Spot Compute Hours", tags=tags)
    # Storage: hot block blobs are tiered by GB stored per month; the rest are flat.
    for region, factor in REGIONS:
        hot = Decimal("0.0208") * factor
        cat.add("General Block Blob v2", "Hot LRS", region, "1 GB/Month", None, meter="Hot LRS Data Stored",
                tags=tags, tiers=[(0, 51200, hot), (51201, 512000, hot * Decimal("0.96")),
                                  (512001, None, hot * Decimal("0.92"))])
        cat.add("General Block Blob v2", "Cool LRS", region, "1 GB/Month", Decimal("0.0152") * factor,
                meter="Cool LRS Data Stored", tags=tags)
        cat.add("General Block Blob v2", "Archive LRS", region, "1 GB/Month", Decimal("0.00099") * factor,
                meter="Archive LRS Data Stored", tags=tags)
        for disk, price in [("P10 LRS", "19.71"), ("P20 LRS", "38.01"), ("P30 LRS", "135.17")]:
            cat.add("Premium SSD Managed Disks", disk, region, "1/Month", Decimal(price) * factor,
                    meter=f"{disk} Disk", tags=tags)
    for region, factor in REGIONS[:4]:
        cat.add("General Block Blob v2", "Hot LRS Write Operations", region, "10K", Decimal("0.065") * factor,
                meter="Hot LRS Write Operations", tags=tags)
    # Bandwidth: internet egress, tiered by GB per month (the first 100 GB are free), per routing zone.
    for zone, factor in [("Zone 1", Decimal("1.00")), ("Zone 2", Decimal("1.38")), ("Zone 3", Decimal("2.08"))]:
        cat.add("Bandwidth", "Standard Data Transfer Out", zone, "1 GB", None, meter="Data Transfer Out",
                tags=tags, tiers=[(0, 100, "0"), (101, 10340, Decimal("0.087") * factor),
                                  (10341, 51300, Decimal("0.083") * factor), (51301, 153700, Decimal("0.07") * factor),
                                  (153701, None, Decimal("0.05") * factor)])
    for zone, price in [("Intra Continent", "0.02"), ("Inter Continent", "0.05")]:
        cat.add("Bandwidth", "Inter-Region Data Transfer", zone, "1 GB", Decimal(price),
                meter="Inter-Region Data Transfer Out", tags=tags)
    # SQL Database: vCore compute per hour, storage per GB-month, DTU databases per day.
    for region, factor in REGIONS:
        for cores in (2, 4, 8):
            cat.add("SQL Database Single General Purpose - Compute Gen5", f"{cores} vCore", region, "1 Hour",
                    _regional(Decimal("0.2520") * cores / 2, factor, rng), meter="vCore", tags=tags)
        cat.add("SQL Database Single General Purpose - Storage", "General Purpose Data Stored", region,
                "1 GB/Month", Decimal("0.115") * factor, meter="Data Stored", tags=tags)
    for region, factor in REGIONS[:5]:
        for tier, price in [("S0", "0.4839"), ("S1", "0.9678"), ("S2", "2.4194")]:
            cat.add("SQL Database Single Standard", tier, region, "1/Day", Decimal(price) * factor, meter="DTUs",
                    tags=tags)
    # App Service plans.
    for region, factor in REGIONS:
        for plan, price in [("B1", "0.075"), ("S1", "0.10"), ("P1 v3", "0.245")]:
            cat.add("Azure App Service", f"{plan} App", region, "1 Hour", _regional(Decimal(price), factor, rng),
                    meter=f"{plan} App", tags=tags)
    # Azure OpenAI-style token meters: per 1,000 tokens.
    models = [("gpt-4o Input", "0.0025"), ("gpt-4o Output", "0.01"), ("gpt-4o-mini Input", "0.00015"),
              ("gpt-4o-mini Output", "0.0006"), ("text-embedding-3-large", "0.00013"),
              ("gpt-4o Batch Input", "0.00125")]
    for region in AI_REGIONS:
        factor = Decimal("1.00") if region.startswith("US") else Decimal("1.10")
        for model, price in models:
            cat.add("Azure OpenAI", f"{model} Tokens", region, "1K", Decimal(price) * factor,
                    meter=f"{model} Tokens", tags=tags)
    # Log ingestion, tiered by GB per month.
    for region, factor in REGIONS[:6]:
        ingest = Decimal("2.76") * factor
        cat.add("Log Analytics", "Analytics Logs Data Ingestion", region, "1 GB", None, meter="Data Ingestion",
                tags=tags, tiers=[(0, 5, "0"), (6, 102400, ingest), (102401, None, ingest * Decimal("0.9"))])
    # Third-party software that Microsoft resells on the Azure plan: publisher Microsoft, tagged ThirdParty.
    third = [
        ("Red Hat Enterprise Linux", "RHEL 1-4 vCPU VM License", "0.06"),
        ("Red Hat Enterprise Linux", "RHEL 5+ vCPU VM License", "0.13"),
        ("SUSE Linux Enterprise Server", "SLES Priority 1-2 vCPU VM Support", "0.10"),
        ("SUSE Linux Enterprise Server", "SLES Priority 3+ vCPU VM Support", "0.125"),
        ("Ubuntu Pro", "Ubuntu Pro 1-8 vCPU VM", "0.01"),
        ("SQL Server Enterprise", "SQL Server Enterprise 4 vCPU VM License", "1.50"),
    ]
    for product, sku, price in third:
        cat.add(product, sku, "", "1 Hour", Decimal(price), meter="Software License", tags="ThirdParty,Consumption")
    return cat


def reservation_rows(rng):
    """Reserved instances: the price of the whole term (Microsoft's reservation rows), partner discount included
    (domain.md §3.3.2), so below 8,760 or 26,280 hours of pay-as-you-go."""
    cat = _Catalog()
    tags = "Azure,Reservation"
    sizes = [("D2 v5", "0.096"), ("D4 v5", "0.192"), ("D8 v5", "0.384"), ("D16 v5", "0.768"), ("E2 v5", "0.126"),
             ("E4 v5", "0.252"), ("E8 v5", "0.504"), ("F4s v2", "0.169")]
    for region, factor in REGIONS[:5] + [REGIONS[7], REGIONS[8]]:
        for size, hourly in sizes:
            for term, hours, discount in [("P1Y", 8760, "0.59"), ("P3Y", 26280, "0.38")]:
                total = Decimal(hourly) * hours * Decimal(discount) * factor
                cat.add("Reserved VM Instance", size, region, "1 Hour", _regional(total, Decimal(1), rng).quantize(
                    Decimal("0.01")), meter="Reservation", tags=tags, term=term)
    for region, factor in REGIONS[:4]:
        for cores in (2, 4, 8):
            for term, hours, discount in [("P1Y", 8760, "0.67"), ("P3Y", 26280, "0.45")]:
                total = Decimal("0.2520") * cores / 2 * hours * Decimal(discount) * factor
                cat.add("SQL Database Reserved vCore", f"General Purpose Gen5 {cores} vCore", region, "1 Hour",
                        total.quantize(Decimal("0.01")), meter="Reservation", tags=tags, term=term)
    return cat


def _month_start(month):
    return date(month.year, month.month, 1)


def previous_month(month):
    return date(month.year - 1, 12, 1) if month.month == 1 else date(month.year, month.month - 1, 1)


def _moved(price, percent):
    """`price` moved by `percent`, kept to cents when it was in cents (reservations)."""
    places = 2 if price >= 1 and price == price.quantize(Decimal("0.01")) else 6
    return _price(price * (1 + percent / 100), places)


def _changes(rows, month, rng):
    """The later month from the earlier one: prices of some meters move a few percent from the 1st of the month,
    a few meters end, a few start (on a day of the month, not always the 1st)."""
    by_meter = {}
    for row in rows:
        by_meter.setdefault((row.product_id, row.sku_id, row.term), []).append(row)
    meters = list(by_meter)  # in the order of the list
    picks = rng.sample(meters, len(meters) // 10)
    removed = set(picks[: max(2, len(meters) // 60)])
    changed = set(picks[len(removed):])
    start = _month_start(month)
    result = []
    for meter in meters:
        if meter in removed:
            continue
        tiers = by_meter[meter]
        if meter in changed:
            percent = Decimal(rng.choice([-5, -4, -3, -2, 2, 3, 4, 5, 6, 8])) + Decimal(rng.randint(0, 9)) / 10
            tiers = [replace(row, price=_moved(row.price, percent), start=start) for row in tiers]
        result.extend(tiers)
    return result, removed


def _added(cat, month, rng, kind):
    """New meters of the later month (numbered after the catalog's SKUs): a new VM size and new model tokens, as
    Microsoft adds them."""
    known = len(cat.rows)
    day = _month_start(month).replace(day=3)
    if kind == CONSUMPTION:
        for region, factor in REGIONS[:6]:
            cat.add("Virtual Machines Dv6 Series", "D2 v6", region, "1 Hour", _regional(Decimal("0.101"), factor, rng),
                    meter="Compute Hours", tags="Azure,Consumption")
            cat.add("Virtual Machines Dv6 Series", "D4 v6", region, "1 Hour", _regional(Decimal("0.202"), factor, rng),
                    meter="Compute Hours", tags="Azure,Consumption")
        for region in AI_REGIONS[:3]:
            cat.add("Azure OpenAI", "gpt-4.1 Input Tokens", region, "1K", Decimal("0.002"), meter="gpt-4.1 Input Tokens",
                    tags="Azure,Consumption")
            cat.add("Azure OpenAI", "gpt-4.1 Output Tokens", region, "1K", Decimal("0.008"),
                    meter="gpt-4.1 Output Tokens", tags="Azure,Consumption")
    else:
        for region, factor in REGIONS[:3]:
            for term, hours, discount in [("P1Y", 8760, "0.59"), ("P3Y", 26280, "0.38")]:
                total = Decimal("0.101") * hours * Decimal(discount) * factor
                cat.add("Reserved VM Instance", "D2 v6", region, "1 Hour", total.quantize(Decimal("0.01")),
                        meter="Reservation", tags="Azure,Reservation", term=term)
    return [replace(row, start=day) for row in cat.rows[known:]]


def sheets(month):
    """{view: (rows of the month before `month`, rows of `month`)}: the same seed gives the same lists."""
    result = {}
    for view, build in ((CONSUMPTION, consumption_rows), (RESERVATIONS, reservation_rows)):
        rng = random.Random(f"{SEED}-{view}")
        catalog = build(rng)
        earlier = list(catalog.rows)
        later, _removed = _changes(earlier, month, rng)
        later = later + _added(catalog, month, rng, view)
        result[view] = (earlier, later)
    return result


def _date_text(day):
    """Microsoft's date format: month/day/year without leading zeros, 12-hour clock."""
    return f"{day.month}/{day.day}/{day.year} 12:00:00 AM"


def price_sheet_csv(rows, market):
    """The CSV text of a sheet, every field quoted, CRLF line ends, as Microsoft serves it."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(HEADER)
    for row in rows:
        consumption = row.term == ""
        writer.writerow([
            row.product_title, row.product_id, row.sku_id, row.sku_title, row.publisher, row.description, row.unit,
            "payG-1" if consumption else row.term, market, "USD", _text(row.price), row.tier_min, row.tier_max,
            _date_text(row.start), OPEN_END if row.end is None else _date_text(row.end),
            str(uuid.uuid5(NAMESPACE, f"{row.product_id}/{row.sku_id}")), row.meter_type, row.tags,
        ])
    return out.getvalue()


# USD per unit of each currency, for the earlier and the later month.
FX = {"USD": ("1", "1"), "EUR": ("1.0842117", "1.0795316"), "GBP": ("1.2718844", "1.2803391"),
      "CAD": ("0.7312406", "0.7268859")}


def fx_csv(month, later):
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(FX_HEADER)
    for code in FX_CURRENCIES:
        writer.writerow([code, FX[code][1 if later else 0], f"{month.year}{month.month:02d}"])
    return out.getvalue()


def files(month):
    """{file name: bytes} of every demo file for `month` and the month before it."""
    month = _month_start(month)
    months = (previous_month(month), month)
    out = {}
    for view, pair in sheets(month).items():
        for which, rows in zip(months, pair, strict=True):
            for market in MARKETS:
                name = f"pricesheet-{market}-{view}-{which:%Y%m}.csv.gz"
                # mtime=0: the same content gives the same bytes, so regenerating changes nothing in git.
                out[name] = gzip.compress(price_sheet_csv(rows, market).encode("utf-8-sig"), mtime=0)
    for index, which in enumerate(months):
        out[f"fxrates-{which:%Y%m}.csv"] = fx_csv(which, later=index == 1).encode()
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description="Write the demo price sheets and exchange rates.")
    parser.add_argument("--month", required=True, help="the later month, YYYY-MM (the month before is written too)")
    parser.add_argument("--out", default=str(MEDIA))
    args = parser.parse_args(argv)
    year, month = (int(part) for part in args.month.split("-"))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, content in files(date(year, month, 1)).items():
        (out / name).write_bytes(content)
        sys.stdout.write(f"{out / name}\n")


if __name__ == "__main__":
    main()
