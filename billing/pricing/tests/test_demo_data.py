"""The demo price lists: Microsoft's format, sound tiers, realistic changes between the months, and the shipped
files are exactly what the generator writes (so they never drift from it)."""

import csv
import gzip
import io
from collections import Counter
from datetime import date
from decimal import Decimal

import pytest

from billing.pricing import demo_data

MONTH = date(2026, 12, 1)


def _read(content):
    if content[:2] == b"\x1f\x8b":
        content = gzip.decompress(content)
    text = content.decode("utf-8-sig")
    return text, list(csv.DictReader(io.StringIO(text)))


@pytest.fixture(scope="module")
def files():
    return demo_data.files(MONTH)


def test_the_header_is_microsofts_quoted_header(files):
    text, _rows = _read(files["pricesheet-US-azure_consumption-202612.csv.gz"])
    assert text.split("\r\n", 1)[0] == (
        '"ProductTitle","ProductId","SkuId","SkuTitle","Publisher","SkuDescription","UnitOfMeasure","TermDuration",'
        '"Market","Currency","UnitPrice","PricingTierRangeMin","PricingTierRangeMax","EffectiveStartDate",'
        '"EffectiveEndDate","MeterIds","MeterType","Tags"')
    raw = gzip.decompress(files["pricesheet-US-azure_consumption-202612.csv.gz"])
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM, as Microsoft's downloads


def test_every_file_of_both_months_markets_and_views(files):
    expected = {f"pricesheet-{m}-{v}-{month}.csv.gz" for m in demo_data.MARKETS for v in demo_data.VIEWS
                for month in ("202611", "202612")} | {"fxrates-202611.csv", "fxrates-202612.csv"}
    assert set(files) == expected


@pytest.mark.parametrize("view", demo_data.VIEWS)
@pytest.mark.parametrize("month", ["202611", "202612"])
def test_rows_are_well_formed(files, view, month):
    _text, rows = _read(files[f"pricesheet-FR-{view}-{month}.csv.gz"])
    assert 100 <= len(rows) <= 600
    keys = Counter((r["ProductId"], r["SkuId"], r["PricingTierRangeMin"], r["EffectiveStartDate"]) for r in rows)
    assert max(keys.values()) == 1, "a duplicate (ProductId, SkuId, tier min, start date)"
    for row in rows:
        assert row["Market"] == "FR" and row["Currency"] == "USD" and row["Publisher"] == "Microsoft"
        assert Decimal(row["UnitPrice"]) >= 0 and "E" not in row["UnitPrice"]
        assert row["EffectiveEndDate"] == "11/30/9999 11:59:59 PM"
        assert row["EffectiveStartDate"].endswith(" 12:00:00 AM")
        assert len(row["ProductId"]) == 12 and len(row["SkuId"]) == 4
        assert row["TermDuration"] == ("payG-1" if view == "azure_consumption" else row["TermDuration"])
        if view == "azure_reservations":
            assert row["TermDuration"] in ("P1Y", "P3Y") and "Reservation" in row["Tags"]


def test_tiers_are_contiguous_and_end_at_microsofts_maximum(files):
    _text, rows = _read(files["pricesheet-US-azure_consumption-202612.csv.gz"])
    tiers = {}
    for row in rows:
        if row["PricingTierRangeMin"]:
            tiers.setdefault((row["ProductId"], row["SkuId"]), []).append(row)
    assert len(tiers) >= 15
    products = {rows[0]["ProductTitle"] for rows in tiers.values()}
    assert {"General Block Blob v2", "Bandwidth"} <= products
    for meter_rows in tiers.values():
        meter_rows.sort(key=lambda r: int(r["PricingTierRangeMin"]))
        assert meter_rows[0]["PricingTierRangeMin"] == "0"
        assert meter_rows[-1]["PricingTierRangeMax"] == "9223372036854780000"
        for low, high in zip(meter_rows, meter_rows[1:], strict=False):
            assert int(high["PricingTierRangeMin"]) == int(low["PricingTierRangeMax"]) + 1
            assert Decimal(low["UnitPrice"]) == 0 or Decimal(high["UnitPrice"]) <= Decimal(low["UnitPrice"])


def test_the_list_covers_the_services_a_partner_sells(files):
    _text, rows = _read(files["pricesheet-US-azure_consumption-202612.csv.gz"])
    titles = " ".join(r["ProductTitle"] + " " + r["SkuTitle"] for r in rows)
    for word in ("Virtual Machines", "Blob", "Bandwidth", "SQL Database", "Azure OpenAI", "Tokens", "Spot"):
        assert word in titles
    assert sum("ThirdParty" in r["Tags"] for r in rows) >= 3
    assert {r["UnitOfMeasure"] for r in rows} >= {"1 Hour", "1 GB/Month", "1 GB", "1K"}


def test_the_later_month_adds_removes_and_changes_a_few_percent(files):
    _t, before = _read(files["pricesheet-US-azure_consumption-202611.csv.gz"])
    _t, after = _read(files["pricesheet-US-azure_consumption-202612.csv.gz"])

    def by_key(rows):
        return {(r["ProductId"], r["SkuId"], r["PricingTierRangeMin"]): Decimal(r["UnitPrice"]) for r in rows}

    old, new = by_key(before), by_key(after)
    added, removed = new.keys() - old.keys(), old.keys() - new.keys()
    changed = {k: (new[k] - old[k]) / old[k] * 100 for k in old.keys() & new.keys() if old[k] and new[k] != old[k]}
    assert len(added) >= 5 and len(removed) >= 2 and 10 <= len(changed) <= len(old) // 5
    assert all(Decimal(-10) < percent < Decimal(10) and percent != 0 for percent in changed.values())
    starts = {r["EffectiveStartDate"] for r in after if (r["ProductId"], r["SkuId"], r["PricingTierRangeMin"]) in added}
    assert starts == {"12/3/2026 12:00:00 AM"}


def test_exchange_rates_for_both_months(files):
    text, rows = _read(files["fxrates-202612.csv"])
    assert text.startswith('"CurrencyCode","USDPerUnit","Month"\r\n')
    assert [r["CurrencyCode"] for r in rows] == ["USD", "EUR", "GBP", "CAD"]
    assert {r["Month"] for r in rows} == {"202612"}
    assert rows[0]["USDPerUnit"] == "1"
    _text, earlier = _read(files["fxrates-202611.csv"])
    assert earlier[1]["USDPerUnit"] != rows[1]["USDPerUnit"]


def test_the_generator_is_deterministic_and_the_shipped_files_are_its_output(files):
    assert demo_data.files(MONTH) == files
    for name, content in files.items():
        assert (demo_data.MEDIA / name).read_bytes() == content, f"billing/data/{name} is stale: regenerate it"
