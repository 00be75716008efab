"""The usage generator (billing/usage/generator.py): Microsoft's daily rated usage file, from the demo price list."""

import csv
import io
import re
from collections import defaultdict
from datetime import date
from statistics import mean

import pytest

from billing.models import PriceList, PriceSheetRow
from billing.usage.generator import Customer, Partner, Subscription, UsageGenerator, availability_id, meter_catalog

from .factories_usagedata import EARLIER, LATER, demo_consumption_lists

# domain.md §4.3, "Columns in file order", as Microsoft's page lists them.
MICROSOFT_COLUMNS = """PartnerId, PartnerName, CustomerId, CustomerName, CustomerDomainName, CustomerCountry,
MPNID, ResellerMPNID, InvoiceNumber, ProductId, SkuId, AvailabilityId, SkuName, ProductName, PublisherName,
PublisherId, SubscriptionDescription, SubscriptionId, ChargeStartDate, ChargeEndDate, UsageDate, MeterType,
MeterCategory, MeterId, MeterSubCategory, MeterName, MeterRegion, Unit, ResourceLocation, ConsumedService,
ResourceGroup, ResourceURI, ChargeType, UnitPrice, Quantity, UnitType, BillingPreTaxTotal, BillingCurrency,
PricingPreTaxTotal, PricingCurrency, ServiceInfo1, ServiceInfo2, Tags, AdditionalInfo, EffectiveUnitPrice,
PCToBCExchangeRate, PCToBCExchangeRateDate, EntitlementId, EntitlementDescription, PartnerEarnedCreditPercentage,
CreditPercentage, CreditType, BenefitOrderId, BenefitId, BenefitType"""
RATING = ["UnitPrice", "BillingPreTaxTotal", "BillingCurrency", "PricingPreTaxTotal", "PricingCurrency",
          "EffectiveUnitPrice", "PCToBCExchangeRate", "PCToBCExchangeRateDate", "PartnerEarnedCreditPercentage",
          "CreditPercentage", "CreditType"]
PARTNER = Partner(tenant_id="0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0", name="Example Direct Partner", mpn_id="4100001")
FIRST, LAST = date(2026, 11, 1), date(2026, 12, 5)

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def catalog():
    demo_consumption_lists(rates=False)
    return meter_catalog(market="US", months=[EARLIER, LATER])


def customers(count=2):
    return [Customer(tenant_id=f"00000000-0000-4000-8000-{n:012d}", name=f"Customer {n}", domain=f"c{n}.onmicrosoft.com",
                     country="US", plan_id=f"10000000-0000-4000-8000-{n:012d}",
                     subscriptions=(Subscription(f"20000000-0000-4000-8000-{n:012d}", "Production"),
                                    Subscription(f"30000000-0000-4000-8000-{n:012d}", "Development")))
            for n in range(count)]


def generate(catalog, *, seed=7, first=FIRST, last=LAST, who=None, **kwargs) -> bytes:
    out = io.BytesIO()
    UsageGenerator(PARTNER, who or customers(), catalog, seed=seed, **kwargs).write(out, first, last)
    return out.getvalue()


def rows(content: bytes) -> tuple[list[str], list[dict]]:
    text = content.decode("utf-8")
    assert text.startswith("\ufeff")  # the byte-order mark of Partner Center's downloads
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    header = next(reader)
    return header, [dict(zip(header, line, strict=True)) for line in reader]


def test_columns_are_microsofts_in_file_order_with_the_rating_columns_empty(catalog):
    content = generate(catalog)
    header, lines = rows(content)
    assert header == [name.strip() for name in MICROSOFT_COLUMNS.split(",")]
    assert content.count(b"\r\n") == len(lines) + 1  # CRLF line ends, one line per row
    assert len(lines) > 500
    for line in lines:
        assert all(line[name] == "" for name in RATING), line
        assert float(line["Quantity"]) > 0
        assert line["ChargeType"] == "new" and line["SubscriptionDescription"] == "Azure plan"
    november = [line for line in lines if line["UsageDate"] == "11/30/2026"]
    assert {(line["ChargeStartDate"], line["ChargeEndDate"]) for line in november} == {("11/1/2026", "11/30/2026")}
    assert {line["UsageDate"] for line in lines} >= {"11/1/2026", "12/5/2026"}


def test_the_same_seed_gives_the_same_file_and_a_day_is_the_same_in_any_window(catalog):
    assert generate(catalog, seed=7) == generate(catalog, seed=7)
    assert generate(catalog, seed=7) != generate(catalog, seed=8)
    _, whole = rows(generate(catalog, seed=7))
    _, part = rows(generate(catalog, seed=7, first=date(2026, 12, 1)))
    december = [line for line in whole if line["UsageDate"].startswith("12/")]
    assert part == december


def test_weekdays_use_more_than_weekends_and_spot_batches_stop_at_weekends(catalog):
    _, lines = rows(generate(catalog, who=customers(4)))
    by_day = defaultdict(float)
    for line in lines:
        if line["MeterCategory"] == "Cognitive Services":  # people's workload: tokens
            by_day[line["UsageDate"]] += float(line["Quantity"])
    weekday = [q for d, q in by_day.items() if _day(d).weekday() < 5]
    weekend = [q for d, q in by_day.items() if _day(d).weekday() >= 5]
    assert weekend and mean(weekday) > 3 * mean(weekend)
    spot = [line for line in lines if "Spot" in line["SkuName"]]
    assert spot and all(_day(line["UsageDate"]).weekday() < 5 for line in spot)


def test_one_resource_grows_through_the_month(catalog):
    _, lines = rows(generate(catalog))
    series = defaultdict(list)
    for line in lines:
        if line["ResourceURI"].endswith("logs") and line["UsageDate"].startswith("11/"):
            series[line["ResourceURI"]].append((_day(line["UsageDate"]), float(line["Quantity"])))
    assert series
    for points in series.values():
        quantities = [q for _, q in sorted(points)]
        assert len(quantities) == 30 and quantities == sorted(quantities) and quantities[-1] > 1.7 * quantities[0]


def test_spot_and_third_party_meters_and_the_ids_of_the_price_list(catalog):
    _, lines = rows(generate(catalog))
    assert any(line["ProductName"] == "Virtual Machines Spot" for line in lines)
    price_rows = defaultdict(list)
    for month in (EARLIER, LATER):
        price_list = PriceList.objects.get(market="US", view="azure_consumption", month=month)
        for row in PriceSheetRow.objects.filter(price_list=price_list):
            price_rows[(month, row.product_id, row.sku_id)].append(row)
    third_party = set()
    for line in lines:
        day = _day(line["UsageDate"])
        found = price_rows[(day.replace(day=1), line["ProductId"], line["SkuId"])]
        assert found, line  # the meter is priced in the usage month's list
        row = found[0]
        assert line["MeterId"] in row.meter_ids
        assert (line["ProductName"], line["SkuName"], line["Unit"], line["MeterType"], line["PublisherName"]) == (
            row.product_title, row.sku_title, row.unit_of_measure, row.meter_type, row.publisher)
        assert line["AvailabilityId"] == availability_id(row.product_id, row.sku_id)
        assert re.fullmatch(r"DZH318Z0[0-9A-Z]{4}", line["AvailabilityId"])
        if "ThirdParty" in row.tags:
            third_party.add(line["ProductName"])
    assert third_party  # software resold on the plan: no partner earned credit


def test_resources_live_in_several_resource_groups_with_azure_resource_ids(catalog):
    _, lines = rows(generate(catalog))
    groups = {line["ResourceGroup"] for line in lines}
    assert len(groups) >= 4
    for line in lines:
        match = re.fullmatch(r"/subscriptions/([0-9a-f-]{36})/resourceGroups/([\w.-]+)/providers/"
                             r"(Microsoft\.[A-Za-z]+)/[A-Za-z]+/.+", line["ResourceURI"])
        assert match, line["ResourceURI"]
        assert match.group(1) == line["EntitlementId"] and match.group(2) == line["ResourceGroup"]
        assert line["ConsumedService"] == match.group(3) or line["MeterCategory"] == "Bandwidth"


def test_a_subscription_consumes_only_on_the_days_it_exists(catalog):
    who = [Customer(tenant_id="00000000-0000-4000-8000-000000000009", name="Late", domain="late.onmicrosoft.com",
                    country="FR", plan_id="10000000-0000-4000-8000-000000000009",
                    subscriptions=(Subscription("20000000-0000-4000-8000-000000000009", "Short", date(2026, 11, 10),
                                                date(2026, 11, 20)),))]
    _, lines = rows(generate(catalog, who=who))
    days = {_day(line["UsageDate"]) for line in lines}
    assert min(days) == date(2026, 11, 10) and max(days) == date(2026, 11, 20)
    assert {line["CustomerCountry"] for line in lines} == {"FR"}


def test_max_lines_and_more_virtual_machines_for_big_files(catalog):
    small = UsageGenerator(PARTNER, customers(1), catalog, seed=1)
    big = UsageGenerator(PARTNER, customers(1), catalog, seed=1, extra_vms=5)
    assert big.resource_count == small.resource_count + 2 * 5
    out = io.BytesIO()
    assert big.write(out, FIRST, LAST, max_lines=100) == 100
    assert len(rows(out.getvalue())[1]) == 100


def _day(text):
    month, day, year = (int(part) for part in text.split("/"))
    return date(year, month, day)
