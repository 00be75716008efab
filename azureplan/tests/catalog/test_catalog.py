"""The catalog data (azureplan/data/catalog.json, loaded by a migration) and the catalog selectors."""

import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.choices import Role
from accounts.models import Country
from accounts.regions import DATA_FILE as REGIONS_FILE
from azureplan.catalog import selectors as catalog_selectors
from azureplan.catalog.loader import DATA_FILE, load_current_catalog, read_catalog
from azureplan.choices import AZURE_PLAN_PRODUCT_ID, LEGACY_AZURE_PRODUCT_ID
from azureplan.errors import (
    AvailabilityNotFound,
    OfferNotAvailableInCountry,
    ProductNotFound,
    SkuNotFound,
    TargetSegmentNotAllowed,
    TargetViewNotAllowed,
)
from azureplan.models import Availability, OfferComparison, Sku
from core.errors import InvalidInput, PermissionDenied

pytestmark = pytest.mark.django_db

PLAN_US = "DZH318Z0BPS6:0001:DZH318Z0BML6"


def plan_availability(code):
    return Availability.objects.get(sku__product_id=AZURE_PLAN_PRODUCT_ID, sku__sku_id="0001", country_id=code)


# ---------------------------------------------------------------- the data


def test_azure_plan_is_sold_in_us_with_the_published_availability_id():
    availability = plan_availability("US")
    assert availability.availability_id == "DZH318Z0BML6"
    assert availability.catalog_item_id == PLAN_US
    assert (availability.currency, availability.currency_symbol) == ("USD", "$")
    assert availability.segment == "commercial" and availability.is_purchasable and not availability.is_renewable
    sku = availability.sku
    assert (sku.title, sku.description) == ("Microsoft Azure plan", "Microsoft Azure plan (MS-AZR-0017G)")
    assert (sku.minimum_quantity, sku.maximum_quantity, sku.is_trial) == (1, 1, False)
    assert sku.supported_billing_cycles == ["one_time"]
    assert sku.purchase_prerequisites == ["MicrosoftCustomerAgreement"]
    assert sku.product.product_type == {"id": "Azure", "displayName": "Azure",
                                        "subType": {"id": "Azure", "displayName": "Azure"}}


def test_azure_plan_is_not_sold_in_china_and_everywhere_else_in_the_markets():
    assert not Availability.objects.filter(country_id="CN").exists()
    regions = json.loads(REGIONS_FILE.read_text(encoding="utf-8"))
    every = {c["code"] for r in regions["regions"] for c in r["countries"]}
    sold = set(Availability.objects.filter(sku__product_id=AZURE_PLAN_PRODUCT_ID).values_list("country_id", flat=True))
    assert sold == every - {"CN"}
    assert "China" in read_catalog()["source"]  # the assumption is written down next to the data


def test_every_availability_has_its_country_currency_and_a_stable_12_character_id():
    rows = list(Availability.objects.select_related("country", "sku"))
    assert len(rows) == 2 * (Country.objects.count() - 1)
    for row in rows:
        assert row.currency == row.country.currency, row
        assert row.currency_symbol, row
        assert len(row.availability_id) == 12 and row.availability_id.isalnum() and row.availability_id.isupper()
    ids = [row.availability_id for row in rows]
    assert len(set(ids)) == len(ids)
    assert plan_availability("FR").currency == "EUR" and plan_availability("GB").currency == "GBP"
    assert plan_availability("BR").currency == "BRL"


def test_the_legacy_offer_is_in_the_catalog_but_not_purchasable():
    sku = Sku.objects.get(product_id=LEGACY_AZURE_PRODUCT_ID, sku_id="MS-AZR-0145P")
    assert sku.title == "Microsoft Azure"
    assert sku.supported_billing_cycles == ["monthly"]
    assert sku.purchase_prerequisites == ["MicrosoftCloudAgreement"]
    assert sku.dynamic_attributes["unitType"] == "Usage-based"
    assert sku.availabilities.count() > 200
    assert not sku.availabilities.filter(is_purchasable=True).exists()


def test_comparison_rows_are_data_from_the_domain_table():
    rows = list(OfferComparison.objects.all())
    assert [r.aspect for r in rows] == ["Ordering", "Billing period", "Invoice", "Pricing", "Partner margin",
                                        "Reconciliation", "Reserved instances", "Spending budget"]
    assert all(r.aspect_fr and r.legacy_fr and r.azure_plan_fr and r.source_url.startswith("https://") for r in rows)
    assert rows[1].legacy.startswith("Month starting") and rows[1].azure_plan == "Calendar month"


def test_load_catalog_is_idempotent_and_follows_the_file(tmp_path, capsys):
    before = list(Availability.objects.order_by("pk").values_list("pk", "availability_id", "currency"))
    call_command("load_catalog")
    assert "2 products, 2 SKUs, 482 availabilities, 8 comparison rows loaded." in capsys.readouterr().out
    assert list(Availability.objects.order_by("pk").values_list("pk", "availability_id", "currency")) == before

    # A country removed from the file stops being sold; a changed id is applied.
    data = read_catalog()
    countries = data["products"][0]["skus"][0]["availabilities"]["countries"]
    del countries["FR"]
    countries["DE"] = "DZH318Z0TEST"
    data["comparison"] = data["comparison"][:2]
    changed = tmp_path / "catalog.json"
    changed.write_text(json.dumps(data), encoding="utf-8")
    call_command("load_catalog", file=str(changed))
    assert not Availability.objects.filter(sku__product_id=AZURE_PLAN_PRODUCT_ID, country_id="FR").exists()
    assert plan_availability("DE").availability_id == "DZH318Z0TEST"
    assert OfferComparison.objects.count() == 2
    load_current_catalog()
    assert plan_availability("FR") and plan_availability("DE").availability_id != "DZH318Z0TEST"
    assert OfferComparison.objects.count() == 8


def test_load_catalog_refuses_an_unknown_country_and_changes_nothing(tmp_path):
    from django.core.management.base import CommandError

    data = read_catalog()
    countries = data["products"][0]["skus"][0]["availabilities"]["countries"]
    countries["US"] = "DZH318Z0CHNG"
    countries["ZZ"] = "DZH318Z0ZZZZ"
    bad = tmp_path / "catalog.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(CommandError, match="ZZ"):
        call_command("load_catalog", file=str(bad))
    assert plan_availability("US").availability_id == "DZH318Z0BML6"


def test_data_file_is_the_shipped_one():
    assert DATA_FILE.name == "catalog.json" and DATA_FILE.parent.name == "data"


# ---------------------------------------------------------------- selectors


def test_product_list_for_microsoft_azure():
    products = catalog_selectors.product_list(country="us", target_view="microsoftazure")
    assert [p.id for p in products] == [AZURE_PLAN_PRODUCT_ID, LEGACY_AZURE_PRODUCT_ID]
    assert catalog_selectors.product_list(country="US", target_view="MicrosoftAzure", target_segment="Commercial")
    assert catalog_selectors.product_list(country="US", target_view="OnlineServices") == []  # a view not sold here
    assert catalog_selectors.product_list(country="CN", target_view="MicrosoftAzure") == []


@pytest.mark.parametrize(("kwargs", "error", "field"), [
    ({"country": None, "target_view": "MicrosoftAzure"}, InvalidInput, "country"),
    ({"country": "", "target_view": "MicrosoftAzure"}, InvalidInput, "country"),
    ({"country": "USA", "target_view": "MicrosoftAzure"}, InvalidInput, "country"),
    ({"country": "XX", "target_view": "MicrosoftAzure"}, InvalidInput, "country"),
    ({"country": "US", "target_view": None}, InvalidInput, "targetView"),
    ({"country": "US", "target_view": "Nonsense"}, TargetViewNotAllowed, None),
    ({"country": "US", "target_view": "MicrosoftAzure", "target_segment": "education"}, TargetSegmentNotAllowed, None),
])
def test_product_list_errors(kwargs, error, field):
    with pytest.raises(error) as info:
        catalog_selectors.product_list(**kwargs)
    if field:
        assert info.value.code == 800002 and info.value.field == field
    assert info.value.code in (800002, 400036, 400030)


def test_get_product_sku_availability_and_their_errors():
    assert catalog_selectors.product_get(product_id="dzh318z0bps6", country="US").id == AZURE_PLAN_PRODUCT_ID
    assert [s.sku_id for s in catalog_selectors.sku_list(product_id=AZURE_PLAN_PRODUCT_ID, country="FR")] == ["0001"]
    sku = catalog_selectors.sku_get(product_id=AZURE_PLAN_PRODUCT_ID, sku_id="0001", country="US")
    assert sku.title == "Microsoft Azure plan"
    rows = catalog_selectors.availability_list(product_id=AZURE_PLAN_PRODUCT_ID, sku_id="0001", country="US")
    assert [r.catalog_item_id for r in rows] == [PLAN_US]
    row = catalog_selectors.availability_get(product_id=AZURE_PLAN_PRODUCT_ID, sku_id="0001", availability_id="dzh318z0bml6",
                                     country="US")
    assert row.catalog_item_id == PLAN_US

    with pytest.raises(ProductNotFound) as info:
        catalog_selectors.product_get(product_id="NOPE", country="US")
    assert (info.value.status, info.value.code) == (404, 400013)
    with pytest.raises(ProductNotFound):
        catalog_selectors.product_get(product_id=AZURE_PLAN_PRODUCT_ID, country="CN")  # not sold there
    with pytest.raises(SkuNotFound) as info:
        catalog_selectors.sku_get(product_id=AZURE_PLAN_PRODUCT_ID, sku_id="0002", country="US")
    assert (info.value.status, info.value.code) == (404, 400018)
    with pytest.raises(AvailabilityNotFound) as info:
        catalog_selectors.availability_get(product_id=AZURE_PLAN_PRODUCT_ID, sku_id="0001", availability_id="DZH318Z0XXXX",
                                   country="US")
    assert (info.value.status, info.value.code) == (404, 400019)
    fr = plan_availability("FR").availability_id
    with pytest.raises(AvailabilityNotFound):  # France's id asked for the United States
        catalog_selectors.availability_get(product_id=AZURE_PLAN_PRODUCT_ID, sku_id="0001", availability_id=fr, country="US")
    with pytest.raises(TargetSegmentNotAllowed):
        catalog_selectors.availability_list(product_id=AZURE_PLAN_PRODUCT_ID, sku_id="0001", country="US",
                                    target_segment="government")


def test_availability_by_catalog_item_id():
    assert catalog_selectors.availability_by_catalog_item_id(PLAN_US, "US").catalog_item_id == PLAN_US
    assert catalog_selectors.availability_by_catalog_item_id(PLAN_US.lower(), Country.objects.get(code="US")).pk
    legacy = Availability.objects.get(sku__sku_id="MS-AZR-0145P", country_id="US")
    found = catalog_selectors.availability_by_catalog_item_id(legacy.catalog_item_id, "US")
    assert found == legacy and not found.is_purchasable  # the caller refuses it
    plan = plan_availability("FR")

    cases = [
        ("DZH318Z0BPS6:0001", InvalidInput, 800002),
        ("", InvalidInput, 800002),
        ("NOPE:0001:DZH318Z0BML6", ProductNotFound, 400013),
        ("DZH318Z0BPS6:0009:DZH318Z0BML6", SkuNotFound, 400018),
        ("DZH318Z0BPS6:0001:DZH318Z0XXXX", AvailabilityNotFound, 400019),
        (plan.catalog_item_id, OfferNotAvailableInCountry, 800070),  # France's catalog item for a US customer
    ]
    for item, error, code in cases:
        with pytest.raises(error) as info:
            catalog_selectors.availability_by_catalog_item_id(item, "US")
        assert info.value.code == code, item
        assert info.value.field == "catalogItemId" or code != 800002
    with pytest.raises(OfferNotAvailableInCountry):
        catalog_selectors.availability_by_catalog_item_id(PLAN_US, "CN")


def test_selectors_check_the_role_when_given_an_actor(make_user, actor_of):
    billing = actor_of(make_user(Role.BILLING_ADMIN, email="billing@a.example.com"))
    agent = actor_of(make_user(Role.SALES_AGENT, email="sales@a.example.com"))
    assert catalog_selectors.product_list(actor=agent, country="US", target_view="MicrosoftAzure")
    with pytest.raises(PermissionDenied) as info:
        catalog_selectors.product_list(actor=billing, country="US", target_view="MicrosoftAzure")
    assert "Admin agent" in str(info.value.description) and "Sales agent" in str(info.value.description)
    with pytest.raises(PermissionDenied):
        catalog_selectors.catalog_for_country(actor=billing, country="US")


def test_catalog_page_selector_in_a_few_queries(make_user, actor_of):
    agent = actor_of(make_user(Role.SALES_AGENT, email="sales@a.example.com"))
    with CaptureQueriesContext(connection) as queries:
        products = catalog_selectors.catalog_for_country(actor=agent, country="US")
        [sku.availability.catalog_item_id for product in products for sku in product.sold_skus]
    assert len(queries) <= 5
    assert [p.id for p in products] == [AZURE_PLAN_PRODUCT_ID, LEGACY_AZURE_PRODUCT_ID]
    assert products[0].sold_skus[0].availability.catalog_item_id == PLAN_US


def test_where_the_azure_plan_is_sold_search(make_user, actor_of):
    agent = actor_of(make_user(Role.SALES_AGENT, email="sales@a.example.com"))
    every = catalog_selectors.azure_plan_availability(actor=agent)
    assert len(every) == Country.objects.count() - 1
    assert [a.country_id for a in catalog_selectors.azure_plan_availability(actor=agent, search="germ")] == ["DE"]
    assert [a.country_id for a in catalog_selectors.azure_plan_availability(actor=agent, search="allem")] == ["DE"]  # French
    french = {a.country_id for a in catalog_selectors.azure_plan_availability(actor=agent, search="fra")}
    assert {"FR", "GF", "PF"} <= french and "ZA" not in french  # "Africa" does not start a word with "fra"
    assert [a.country_id for a in catalog_selectors.azure_plan_availability(actor=agent, search="nz")] == ["NZ"]
    assert "US" in [a.country_id for a in catalog_selectors.azure_plan_availability(actor=agent, search="states")]
    assert catalog_selectors.azure_plan_availability(actor=agent, search="china") == []
    assert [c.code for c in catalog_selectors.countries_without_azure_plan()] == ["CN"]
