"""/v1/products and /v1/customers/{id}/products: every route, each error code, and Microsoft's samples.

Microsoft's published examples (tests/fixtures/partnercenter) are compared field by field. The customer-scoped articles have
mislabelled examples (api reference §8.3): the "SKUs by customer" example is the product
(get-customer-product-azure-plan), the "availabilities by customer" example is the SKU
(get-customer-sku-azure-plan) and the "products by customer" example lists SKUs; each is compared
with the route that answers that resource here.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.choices import Role
from accounts.models import Country
from azureplan.choices import AZURE_PLAN_PRODUCT_ID, LEGACY_AZURE_PRODUCT_ID
from azureplan.models import Availability
from core.testing import assert_error, assert_has_fields, request_path
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
SAMPLE_CUSTOMER = "65543400-f8b0-4783-8530-6d35ab8c6801"  # the customer id of Microsoft's request examples
PLAN = f"/v1/products/{AZURE_PLAN_PRODUCT_ID}"
LEGACY = f"/v1/products/{LEGACY_AZURE_PRODUCT_ID}"
PLAN_US = "DZH318Z0BPS6:0001:DZH318Z0BML6"


def assert_same_as_sample(expected, actual, object_type):
    """Field by field and in the same order as Microsoft prints it, plus our `attributes` at the end."""
    assert actual["attributes"] == {"objectType": object_type}
    body = {key: value for key, value in actual.items() if key != "attributes"}
    assert list(body) == list(expected)
    for key, value in expected.items():
        assert body[key] == value, key


@pytest.fixture
def agent(make_user):
    return make_user(Role.SALES_AGENT, email="agent@a.example.com")


@pytest.fixture
def api(api_client_for, agent):
    return api_client_for(agent)


@pytest.fixture
def customer(org):
    return CustomerFactory(organisation=org, tenant_id=SAMPLE_CUSTOMER)


def plan_availability(code):
    return Availability.objects.get(sku__product_id=AZURE_PLAN_PRODUCT_ID, country_id=code)


# ---------------------------------------------------------------- /v1/products


class TestProducts:
    def test_list_microsoft_azure(self, api):
        response = api.get("/v1/products", {"country": "US", "targetView": "MicrosoftAzure"})
        assert response.status_code == 200, response.json()
        body = response.json()
        assert body["totalCount"] == 2 and body["attributes"] == {"objectType": "Collection"}
        assert body["links"] == {"self": {"uri": "/products?country=US&targetView=MicrosoftAzure", "method": "GET",
                                          "headers": []}}
        assert "continuationToken" not in body and "next" not in body["links"]  # unpaged
        plan, legacy = body["items"]
        assert plan["id"] == AZURE_PLAN_PRODUCT_ID and plan["title"] == "Microsoft Azure plan"
        assert legacy["id"] == LEGACY_AZURE_PRODUCT_ID and "localizedAttributes" not in legacy
        assert plan["attributes"] == legacy["attributes"] == {"objectType": "Product"}
        assert plan["links"]["skus"]["uri"] == "/products/DZH318Z0BPS6/skus?country=US"

    def test_microsoft_request_as_is(self, api, samples):
        path = request_path("list-products-microsoftazure.request.http")
        body = api.get(f"/v1{path}").json()
        assert [p["id"] for p in body["items"]] == [AZURE_PLAN_PRODUCT_ID, LEGACY_AZURE_PRODUCT_ID]
        assert_has_fields(samples("get-product-vm-reservation.response.json"), body["items"][0])
        assert_has_fields(samples("list-products-azure-reservations.response.normalized.json"), body)

    def test_query_names_and_values_in_any_case(self, api):
        body = api.get("/v1/products?COUNTRY=fr&targetview=microsoftazure&TargetSegment=Commercial").json()
        assert body["totalCount"] == 2
        assert body["items"][0]["links"]["self"]["uri"] == "/products/DZH318Z0BPS6?country=FR"
        assert api.get("/v1/products?country=US&targetView=MicrosoftAzure&reservationScope=AzurePlan").status_code == 200

    def test_other_partner_center_views_and_china_are_empty(self, api):
        for query in ("country=US&targetView=OnlineServices", "country=CN&targetView=MicrosoftAzure"):
            body = api.get(f"/v1/products?{query}").json()
            assert (body["totalCount"], body["items"]) == (0, []), query

    @pytest.mark.parametrize(("query", "status", "code", "field"), [
        ("targetView=MicrosoftAzure", 400, 800002, "country"),
        ("country=&targetView=MicrosoftAzure", 400, 800002, "country"),
        ("country=USA&targetView=MicrosoftAzure", 400, 800002, "country"),
        ("country=XX&targetView=MicrosoftAzure", 400, 800002, "country"),
        ("country=US", 400, 800002, "targetView"),
        ("country=US&targetView=", 400, 800002, "targetView"),
        ("country=US&targetView=Office", 403, 400036, None),
        ("country=US&targetView=MicrosoftAzure&targetSegment=education", 403, 400030, None),
        ("country=US&targetView=MicrosoftAzure&targetSegment=government", 403, 400030, None),
        ("country=US&targetView=MicrosoftAzure&targetSegment=nonsense", 403, 400030, None),
        ("country=US&targetView=MicrosoftAzure&reservationScope=Shared", 400, 800002, "reservationScope"),
    ])
    def test_list_errors(self, api, query, status, code, field):
        body = assert_error(api.get(f"/v1/products?{query}"), status, code, field)
        if code == 400036:
            assert body["errorName"] == "TargetViewNotAllowed" and "MicrosoftAzure" in body["description"]
        if code == 400030:
            assert body["errorName"] == "TargetSegmentNotAllowed" and "commercial" in body["description"]

    def test_get_product_matches_microsoft_sample(self, api, samples):
        response = api.get(PLAN, {"country": "US"})
        assert response.status_code == 200
        assert_same_as_sample(samples("get-customer-product-azure-plan.response.json"), response.json(), "Product")

    def test_get_product_errors(self, api):
        assert_error(api.get("/v1/products/NOPE0000NOPE", {"country": "US"}), 404, 400013)
        body = assert_error(api.get(PLAN, {"country": "CN"}), 404, 400013)
        assert body["errorName"] == "ProductNotFound" and "CN" in body["description"]
        assert_error(api.get(PLAN), 400, 800002, "country")
        assert api.get(f"/v1/products/{AZURE_PLAN_PRODUCT_ID.lower()}", {"country": "us"}).json()["id"] == \
            AZURE_PLAN_PRODUCT_ID


class TestSkus:
    def test_list_skus_matches_microsoft_sample(self, api, samples):
        # Microsoft's "products by customer" example lists the two SKUs, with ?targetSegment=Commercial in the links.
        expected = {item["productId"]: item for item in samples("list-customer-products-microsoftazure.response.json")
                    ["items"]}
        for product in (AZURE_PLAN_PRODUCT_ID, LEGACY_AZURE_PRODUCT_ID):
            response = api.get(f"/v1/products/{product}/skus", {"country": "US", "targetSegment": "Commercial"})
            assert response.status_code == 200
            body = response.json()
            assert body["totalCount"] == 1 and body["attributes"] == {"objectType": "Collection"}
            assert_same_as_sample(expected[product], body["items"][0], "Sku")

    def test_microsoft_request_as_is(self, api, samples):
        body = api.get("/v1" + request_path("list-skus-azure-plan-product.request.http")).json()
        assert [s["id"] for s in body["items"]] == ["0001"]
        assert body["links"]["self"]["uri"] == "/products/DZH318Z0BPS6/skus?country=US"
        assert body["items"][0]["links"]["availabilities"]["uri"] == \
            "/products/DZH318Z0BPS6/skus/0001/availabilities?country=US"
        # The VM reservation SKU of the same article has the same properties (their values differ).
        assert set(samples("list-skus-vm-reservation.response.normalized.json")["items"][0]) <= set(body["items"][0])

    def test_get_sku_matches_microsoft_sample(self, api, samples):
        response = api.get(f"{PLAN}/skus/0001", {"country": "US"})
        assert response.status_code == 200
        assert_same_as_sample(samples("get-customer-sku-azure-plan.response.json"), response.json(), "Sku")

    def test_errors(self, api):
        assert_error(api.get(f"{PLAN}/skus/0002", {"country": "US"}), 404, 400018)
        assert_error(api.get("/v1/products/NOPE/skus/0001", {"country": "US"}), 404, 400013)
        assert_error(api.get("/v1/products/NOPE/skus", {"country": "US"}), 404, 400013)
        assert_error(api.get(f"{PLAN}/skus/0001", {"country": "CN"}), 404, 400013)
        assert_error(api.get(f"{PLAN}/skus"), 400, 800002, "country")
        assert_error(api.get(f"{PLAN}/skus/0001"), 400, 800002, "country")
        assert_error(api.get(f"{PLAN}/skus", {"country": "US", "targetSegment": "nonprofit"}), 403, 400030)


class TestAvailabilities:
    def test_list(self, api, samples):
        response = api.get(f"{PLAN}/skus/0001/availabilities", {"country": "US"})
        assert response.status_code == 200
        body = response.json()
        expected = samples("list-availabilities-vm-reservation.response.normalized.json")
        expected["items"][0]["terms"] = []  # a reservation has a 1-year term; the Azure plan has none
        assert_has_fields(expected, body)
        assert body["links"]["self"]["uri"] == "/products/DZH318Z0BPS6/skus/0001/availabilities?country=US"
        (item,) = body["items"]
        assert item["id"] == "DZH318Z0BML6" and item["catalogItemId"] == PLAN_US
        assert (item["productId"], item["skuId"]) == (AZURE_PLAN_PRODUCT_ID, "0001")
        assert item["defaultCurrency"] == {"code": "USD", "symbol": "$"}
        assert (item["segment"], item["country"], item["isPurchasable"], item["isRenewable"]) == \
            ("commercial", "US", True, False)
        assert item["terms"] == []
        assert item["product"]["id"] == AZURE_PLAN_PRODUCT_ID and item["sku"]["id"] == "0001"
        assert item["product"]["attributes"] == {"objectType": "Product"}
        assert item["links"] == {"self": {"uri": "/products/DZH318Z0BPS6/skus/0001/availabilities/DZH318Z0BML6"
                                                 "?country=US", "method": "GET", "headers": []}}
        assert item["attributes"] == {"objectType": "Availability"}
        assert list(item)[-1] == "attributes"

    def test_country_currency_and_the_legacy_offer(self, api):
        item = api.get(f"{PLAN}/skus/0001/availabilities", {"country": "gb"}).json()["items"][0]
        assert item["defaultCurrency"] == {"code": "GBP", "symbol": "£"} and item["country"] == "GB"
        assert item["id"] == plan_availability("GB").availability_id
        legacy = api.get(f"{LEGACY}/skus/MS-AZR-0145P/availabilities", {"country": "US"}).json()["items"][0]
        assert legacy["isPurchasable"] is False
        assert legacy["catalogItemId"].startswith("9DEA7946-EC2C-441E-9FFD-E3B275F7E838:MS-AZR-0145P:")

    def test_get_one(self, api, samples):
        response = api.get(f"{PLAN}/skus/0001/availabilities/DZH318Z0BML6", {"country": "US"})
        assert response.status_code == 200
        body = response.json()
        expected = samples("get-availability-vm-reservation.response.normalized.json") | {"terms": []}
        assert_has_fields(expected, body)
        assert body["catalogItemId"] == PLAN_US and body["attributes"] == {"objectType": "Availability"}

    def test_errors(self, api):
        fr = plan_availability("FR").availability_id
        assert_error(api.get(f"{PLAN}/skus/0001/availabilities/DZH318Z0XXXX", {"country": "US"}), 404, 400019)
        body = assert_error(api.get(f"{PLAN}/skus/0001/availabilities/{fr}", {"country": "US"}), 404, 400019)
        assert body["errorName"] == "AvailabilityNotFound"
        assert_error(api.get(f"{PLAN}/skus/0009/availabilities", {"country": "US"}), 404, 400018)
        assert_error(api.get(f"{PLAN}/skus/0009/availabilities/DZH318Z0BML6", {"country": "US"}), 404, 400018)
        assert_error(api.get("/v1/products/NOPE/skus/0001/availabilities", {"country": "US"}), 404, 400013)
        assert_error(api.get(f"{PLAN}/skus/0001/availabilities"), 400, 800002, "country")
        assert_error(api.get(f"{PLAN}/skus/0001/availabilities", {"country": "US", "targetSegment": "education"}),
                     403, 400030)


# ---------------------------------------------------------------- /v1/customers/{id}/products


class TestCustomerScoped:
    def test_products_of_the_customers_country(self, api, customer, samples):
        path = request_path("list-customer-products-microsoftazure.request.http")
        assert path == f"/customers/{SAMPLE_CUSTOMER}/products?targetView=MicrosoftAzure"
        response = api.get(f"/v1{path}")
        assert response.status_code == 200
        body = response.json()
        assert [p["id"] for p in body["items"]] == [AZURE_PLAN_PRODUCT_ID, LEGACY_AZURE_PRODUCT_ID]
        assert body["links"]["self"]["uri"] == path
        assert body["items"][0]["links"]["self"]["uri"] == "/products/DZH318Z0BPS6?country=US"

    def test_product_matches_microsoft_sample(self, api, customer, samples):
        path = request_path("get-customer-product-azure-plan.request.http")
        assert path == f"/customers/{SAMPLE_CUSTOMER}/products/DZH318Z0BPS6"
        response = api.get(f"/v1{path}")
        assert response.status_code == 200
        assert_same_as_sample(samples("get-customer-product-azure-plan.response.json"), response.json(), "Product")

    def test_sku_matches_microsoft_sample(self, api, customer, samples):
        response = api.get(f"/v1/customers/{SAMPLE_CUSTOMER}/products/DZH318Z0BPS6/skus/0001")
        assert response.status_code == 200
        assert_same_as_sample(samples("get-customer-sku-azure-plan.response.json"), response.json(), "Sku")
        # Microsoft's request for that example names the availabilities route: here it lists the availabilities.
        path = request_path("get-customer-sku-azure-plan.request.http")
        body = api.get(f"/v1{path}").json()
        assert [item["catalogItemId"] for item in body["items"]] == [PLAN_US]
        assert body["items"][0]["sku"] == response.json()

    def test_skus_and_availabilities(self, api, customer):
        base = f"/v1/customers/{SAMPLE_CUSTOMER}/products/DZH318Z0BPS6"
        skus = api.get(f"{base}/skus").json()
        assert [s["id"] for s in skus["items"]] == ["0001"]
        assert skus["links"]["self"]["uri"] == f"/customers/{SAMPLE_CUSTOMER}/products/DZH318Z0BPS6/skus"
        availability = api.get(f"{base}/skus/0001/availabilities/DZH318Z0BML6").json()
        assert availability["catalogItemId"] == PLAN_US and availability["country"] == "US"
        legacy = api.get(f"/v1/customers/{SAMPLE_CUSTOMER}/products/{LEGACY_AZURE_PRODUCT_ID}/skus/MS-AZR-0145P"
                         "/availabilities").json()
        assert [item["isPurchasable"] for item in legacy["items"]] == [False]

    def test_the_country_is_the_customers(self, api, org):
        french = CustomerFactory(organisation=org, country=Country.objects.get(code="FR"), state="")
        base = f"/v1/customers/{french.tenant_id}/products"
        # a country in the query is not the customer's: it is ignored
        item = api.get(f"{base}/DZH318Z0BPS6/skus/0001/availabilities?country=US").json()["items"][0]
        assert (item["country"], item["defaultCurrency"]["code"]) == ("FR", "EUR")
        assert item["id"] == plan_availability("FR").availability_id
        assert_error(api.get(f"{base}/DZH318Z0BPS6/skus/0001/availabilities/DZH318Z0BML6"), 404, 400019)
        assert api.get(f"{base}/DZH318Z0BPS6").json()["links"]["self"]["uri"] == "/products/DZH318Z0BPS6?country=FR"

    def test_a_customer_in_china(self, api, org):
        chinese = CustomerFactory(organisation=org, country=Country.objects.get(code="CN"), state="")
        base = f"/v1/customers/{chinese.tenant_id}/products"
        assert api.get(base, {"targetView": "MicrosoftAzure"}).json()["items"] == []
        assert_error(api.get(f"{base}/DZH318Z0BPS6"), 404, 400013)
        assert_error(api.get(f"{base}/DZH318Z0BPS6/skus"), 404, 400013)

    def test_errors(self, api, customer):
        base = f"/v1/customers/{SAMPLE_CUSTOMER}/products"
        assert_error(api.get(base), 400, 800002, "targetView")
        assert_error(api.get(base, {"targetView": "Nope"}), 403, 400036)
        assert_error(api.get(base, {"targetView": "MicrosoftAzure", "targetSegment": "education"}), 403, 400030)
        assert_error(api.get(f"{base}/NOPE"), 404, 400013)
        assert_error(api.get(f"{base}/DZH318Z0BPS6/skus/0002"), 404, 400018)
        assert_error(api.get(f"{base}/DZH318Z0BPS6/skus/0002/availabilities"), 404, 400018)
        assert_error(api.get(f"{base}/DZH318Z0BPS6/skus/0001/availabilities/NOPE"), 404, 400019)

    @pytest.mark.parametrize("suffix", ["products?targetView=MicrosoftAzure", "products/DZH318Z0BPS6",
                                        "products/DZH318Z0BPS6/skus", "products/DZH318Z0BPS6/skus/0001",
                                        "products/DZH318Z0BPS6/skus/0001/availabilities",
                                        "products/DZH318Z0BPS6/skus/0001/availabilities/DZH318Z0BML6"])
    def test_foreign_unknown_and_malformed_customers_are_404(self, api, other_org, suffix):
        foreign = CustomerFactory(organisation=other_org)
        for customer_id in (foreign.tenant_id, "00000000-0000-0000-0000-000000000000", "not-a-guid"):
            assert_error(api.get(f"/v1/customers/{customer_id}/{suffix}"), 404, 1000)


# ---------------------------------------------------------------- roles, authentication, queries


@pytest.mark.parametrize("url", [
    "/v1/products?country=US&targetView=MicrosoftAzure", f"{PLAN}?country=US", f"{PLAN}/skus?country=US",
    f"{PLAN}/skus/0001?country=US", f"{PLAN}/skus/0001/availabilities?country=US",
    f"{PLAN}/skus/0001/availabilities/DZH318Z0BML6?country=US",
    f"/v1/customers/{SAMPLE_CUSTOMER}/products?targetView=MicrosoftAzure",
    f"/v1/customers/{SAMPLE_CUSTOMER}/products/DZH318Z0BPS6/skus/0001",
])
def test_roles_and_authentication(url, make_user, api_client_for, customer):
    for role in (Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, Role.SALES_AGENT):
        client = api_client_for(make_user(role))
        assert client.get(url).status_code == 200, role
    for role in (Role.BILLING_ADMIN, Role.HELPDESK_AGENT, Role.USER_MANAGEMENT_ADMIN):
        body = assert_error(api_client_for(make_user(role)).get(url), 403, 2032)
        assert "Admin agent" in body["description"] and "Sales agent" in body["description"]
    assert_error(APIClient().get(url), 401, 800001)


def test_lists_take_a_fixed_number_of_queries(api, customer):
    for url in ("/v1/products?country=US&targetView=MicrosoftAzure", f"{PLAN}/skus?country=US",
                f"{PLAN}/skus/0001/availabilities?country=US",
                f"/v1/customers/{SAMPLE_CUSTOMER}/products?targetView=MicrosoftAzure"):
        api.get(url)  # warm up (token look-up caches)
        with CaptureQueriesContext(connection) as queries:
            assert api.get(url).status_code == 200
        assert len(queries) <= 8, (url, [q["sql"] for q in queries])


def test_schema_documents_the_catalog_routes(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operations = {op["operationId"] for path in schema["paths"].values() for op in path.values()
                  if isinstance(op, dict) and "operationId" in op}
    assert {"products_list", "products_retrieve", "products_skus_list", "products_skus_retrieve",
            "products_skus_availabilities_list", "products_skus_availabilities_retrieve", "customers_products_list",
            "customers_products_retrieve", "customers_products_skus_list", "customers_products_skus_retrieve",
            "customers_products_skus_availabilities_list",
            "customers_products_skus_availabilities_retrieve"} <= operations
