"""Importing a 200,000-row Azure plan price sheet against a raw COPY of the same file into a plain table (the floor),
and importing the same file again (0 rows written). Targets: import at most 3x the floor, re-import at most 1x. For
comparison (no target), the same import through the checks of a file the direct load refuses (`careful=True`)."""

import os
import tempfile
import time
from datetime import UTC, datetime

ROWS = int(os.environ.get("BENCH_PRICE_ROWS", "200000"))
MAX_RATIO = 3.0  # the import; the re-import's target (1x) is on its result
HEADER = ("ProductTitle,ProductId,SkuId,SkuTitle,Publisher,SkuDescription,UnitOfMeasure,TermDuration,Market,Currency,"
          "UnitPrice,PricingTierRangeMin,PricingTierRangeMax,EffectiveStartDate,EffectiveEndDate,MeterIds,MeterType,"
          "Tags")


def _write_sheet(path, month):
    """ROWS lines as Microsoft serves them: every field quoted, one product in ten with three tiers."""
    start = f"{month.month}/1/{month.year} 12:00:00 AM"
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write("\ufeff" + ",".join(f'"{c}"' for c in HEADER.split(",")) + "\r\n")
        written, product = 0, 0
        while written < ROWS:
            product += 1
            tiers = [("", "")] if product % 10 else [("0", "51200"), ("51200", "512000"), ("512000", "9223372036854780000")]
            for index, (low, high) in enumerate(tiers[: ROWS - written]):
                price = f"{(product % 997) / 1000 + index / 10000:.6f}"
                meter = f"{product:08x}-0000-4000-8000-{index:012x}"
                values = [f"Product {product % 500}", f"DZH318Z{product:05d}", f"{product % 97:04d}",
                          f"SKU {product} - US East", "Microsoft", f"Meter {product} in US East", "1 Hour", "payG-1",
                          "US", "USD", price, low, high, start, "11/30/9999 11:59:59 PM", meter, "1 Hour",
                          "Azure,Consumption"]
                out.write(",".join(f'"{v}"' for v in values) + "\r\n")
                written += 1


def run():
    from django.db import connection, transaction

    from accounts.choices import Role
    from billing.models import PriceList
    from billing.pricing.services import price_sheet_import
    from core.actor import Actor

    month = datetime.now(UTC).date().replace(day=1)
    actor = Actor(organisation_id=0, roles=frozenset(Role), label="bench")
    folder = tempfile.mkdtemp(prefix="bench_price_sheet_")
    path = os.path.join(folder, "sheets.csv")
    _write_sheet(path, month)
    columns = ", ".join(f"{name.lower()} text" for name in HEADER.split(","))

    def floor():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS bench_raw_sheet; CREATE TABLE bench_raw_sheet ({columns})")
            with open(path, "rb") as stream, cursor.cursor.copy(
                    "COPY bench_raw_sheet FROM STDIN WITH (FORMAT csv, HEADER true, ENCODING 'UTF8')") as copy:
                while chunk := stream.read(1 << 20):
                    copy.write(chunk)

    def best(fn, before=None, repeat=3):
        times = []
        for _ in range(repeat):
            if before:
                before()
            started = time.perf_counter()
            fn()
            times.append(time.perf_counter() - started)
        return min(times)

    def do_import(careful=False):
        with open(path, "rb") as stream:
            return price_sheet_import(actor=actor, file=stream, market="US", view="azure_consumption", month=month,
                                      careful=careful)

    def forget():
        PriceList.objects.filter(market="US", view="azure_consumption", month=month).delete()

    floor_seconds = best(floor)
    import_seconds = best(do_import, before=forget)
    careful_seconds = best(lambda: do_import(careful=True), before=forget, repeat=2)
    results = []

    def reimport():
        result = do_import()
        assert result.unchanged and result.rows_written == 0, result.report
    reimport_seconds = best(reimport)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_raw_sheet")
    os.remove(path)
    os.rmdir(folder)
    results.append({"name": f"bench_price_sheet import {ROWS} rows", "seconds": import_seconds,
                    "floor_seconds": floor_seconds, "floor": "raw COPY of the same file into a plain table"})
    results.append({"name": f"bench_price_sheet import {ROWS} rows, checks", "seconds": careful_seconds,
                    "floor_seconds": floor_seconds, "floor": "raw COPY (the careful path: no target)",
                    "max_ratio": None})
    results.append({"name": f"bench_price_sheet re-import {ROWS} rows (0 written)", "seconds": reimport_seconds,
                    "floor_seconds": floor_seconds, "floor": "raw COPY of the same file (target 1x)",
                    "max_ratio": 1.0})
    return results
