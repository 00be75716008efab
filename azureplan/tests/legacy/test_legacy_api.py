"""The REST API of legacy Azure (MS-AZR-0145P) subscriptions and their transition to the Azure plan: the customer's
subscriptions (shaped like Microsoft's get-subscription-legacy-azure sample), Partner Center's product upgrades
(eligibility, start, status: the product-upgrade-* samples) and the extensions (retry, imports, batches). Every
refusal is checked for its code and for nothing having changed."""

import uuid

import pytest

from accounts.actors import actor_for_user
from accounts.choices import Role, Tier
from azureplan.models import (
    AzurePlan,
    AzureSubscription,
    LegacyImport,
    LegacySubscription,
    ProductUpgrade,
    ProductUpgradeLine,
)
from core.models import Job
from core.testing import assert_error
from customers.tests.factories import CustomerFactory

from ..factories import buyable_customer, legacy_csv, legacy_estate

pytestmark = pytest.mark.django_db

UPGRADES = "/v1/productUpgrades"
IMPORTS = "/v1/legacySubscriptions/imports"
BATCHES = "/v1/productUpgrades/batches"


def state():
    """Everything a refused request must leave as it was."""
    return (list(LegacySubscription.objects.order_by("pk").values_list("pk", "status", "version", "friendly_name")),
            list(ProductUpgrade.objects.order_by("pk").values_list("pk", "status")),
            list(ProductUpgradeLine.objects.order_by("pk").values_list("pk", "status")),
            AzurePlan.objects.count(), AzureSubscription.objects.count(), LegacyImport.objects.count(),
            list(Job.objects.order_by("pk").values_list("pk", "status", "done")))


@pytest.fixture
def admin(make_user):
    return make_user(Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, email="admin@a.example.com")


@pytest.fixture
def actor(admin):
    return actor_for_user(admin, request_id="test")


@pytest.fixture
def api(api_client_for, admin):
    return api_client_for(admin)


@pytest.fixture
def customer(org):
    return buyable_customer(org)


@pytest.fixture
def estate(actor, customer):
    legacy_estate(actor, customer, 2)
    return list(LegacySubscription.objects.filter(customer=customer).order_by("created_date", "id"))


@pytest.fixture
def foreign(other_org, make_user):
    """Partner B's customer with a transitioned legacy estate and a batch."""
    from azureplan.legacy import services as legacy_services

    user = make_user(Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, organisation=other_org, email="b@b.example.com")
    b_actor = actor_for_user(user, request_id="b")
    b_customer = buyable_customer(other_org)
    legacy_estate(b_actor, b_customer, 1)
    upgrade = legacy_services.upgrade_start(actor=b_actor, customer=b_customer)
    b_second = buyable_customer(other_org)
    legacy_estate(b_actor, b_second, 1, names=["Other"])
    batch = legacy_services.batch_start(actor=b_actor, customers=[b_second]).job
    return {"customer": b_customer, "upgrade": upgrade, "batch": batch}


def request_body(customer, family="azure"):
    return {"customerId": str(getattr(customer, "tenant_id", customer)), "productFamily": family}


def start(api, customer, capture, **headers):
    with capture(execute=True):
        response = api.post(UPGRADES, request_body(customer, "Azure"), format="json", **headers)
    assert response.status_code == 202, response.content
    return response


def upgrade_id(response):
    location = response["Location"]
    assert location.startswith("productUpgrades/")
    return location.split("/", 1)[1]


# ---------------------------------------------------------------- GET/PATCH /v1/customers/{id}/subscriptions


class TestSubscriptions:
    def test_legacy_subscriptions_are_listed_as_the_sample(self, api, customer, estate, samples):
        sample = samples("get-subscription-legacy-azure.response.json")
        body = api.get(f"/v1/customers/{customer.tenant_id}/subscriptions").json()
        assert body["totalCount"] == 2 and body["attributes"] == {"objectType": "Collection"}
        item = body["items"][0]
        assert list(item) == [*[k for k in sample if k not in ("links", "orderId", "attributes")], "partnerId",
                              "links", "orderId", "attributes"]
        legacy = estate[0]
        assert item["id"] == str(legacy.public_id) and item["entitlementId"] == str(legacy.entitlement_id)
        assert {k: item[k] for k in ("offerId", "offerName", "quantity", "unitType", "status", "autoRenewEnabled",
                                     "billingType", "contractType", "partnerId")} == {
            "offerId": "MS-AZR-0145P", "offerName": "Microsoft Azure", "quantity": 1, "unitType": "Usage-based",
            "status": "active", "autoRenewEnabled": False, "billingType": "usage", "contractType": "subscription",
            "partnerId": ""}
        assert item["friendlyName"] == "Legacy 1" and item["orderId"] == str(legacy.order_id)
        assert item["creationDate"].startswith("2019-05-10T00:00:00")
        assert item["effectiveStartDate"] == "2019-05-10T00:00:00Z"
        assert item["commitmentEndDate"] == "9999-12-10T00:00:00Z"
        assert item["links"]["offer"] == {"uri": "/offers/MS-AZR-0145P?country=US", "method": "GET", "headers": []}
        assert item["links"]["self"]["uri"] == f"/customers/{customer.tenant_id}/subscriptions/{legacy.public_id}"
        assert item["attributes"]["objectType"] == "Subscription" and item["attributes"]["etag"]
        # One legacy subscription by its id: the same shape.
        one = api.get(f"/v1/customers/{customer.tenant_id}/subscriptions/{legacy.public_id}")
        assert one.status_code == 200 and one.json() == item

    def test_after_the_transition_the_plan_and_the_moved_legacy_are_listed(
            self, api, customer, estate, django_capture_on_commit_callbacks):
        start(api, customer, django_capture_on_commit_callbacks)
        items = api.get(f"/v1/customers/{customer.tenant_id}/subscriptions").json()["items"]
        plan = AzurePlan.objects.get(customer=customer)
        assert [i["offerId"] for i in items] == [plan.offer_id, "MS-AZR-0145P", "MS-AZR-0145P"]
        moved = items[1]
        legacy = LegacySubscription.objects.get(public_id=moved["id"])
        assert moved["status"] == "suspended" and moved["azurePlanId"] == str(plan.public_id)
        assert moved["azureSubscriptionId"] == str(legacy.entitlement_id) and moved["transitionedAt"]

    def test_the_list_costs_the_same_queries_for_more_subscriptions(self, api, actor, customer, estate,
                                                                   django_assert_max_num_queries):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        url = f"/v1/customers/{customer.tenant_id}/subscriptions"
        with CaptureQueriesContext(connection) as few:
            assert len(api.get(url).json()["items"]) == 2
        legacy_estate(actor, customer, 6, names=[f"More {i}" for i in range(6)])
        with django_assert_max_num_queries(len(few.captured_queries)):
            assert len(api.get(url).json()["items"]) == 8

    def test_filters_apply_to_legacy_subscriptions(self, api, customer, estate):
        base = f"/v1/customers/{customer.tenant_id}/subscriptions"
        items = api.get(base, {"order_id": str(estate[1].order_id)}).json()["items"]
        assert [i["id"] for i in items] == [str(estate[1].public_id)]
        assert api.get(base, {"mpn_id": "1234567"}).json()["items"] == []
        assert api.get(base, {"order_id": "not-an-order"}).json()["items"] == []

    def test_indirect_reseller_of_record_is_the_partner_id(self, make_org, make_user, api_client_for):
        provider = make_org(name="Provider", tier=Tier.INDIRECT_PROVIDER)
        reseller = make_org(name="Reseller", tier=Tier.INDIRECT_RESELLER, provider=provider)
        user = make_user(Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, organisation=provider)
        customer = buyable_customer(provider, reseller=reseller)
        legacy_estate(actor_for_user(user), customer, 1, reseller=reseller.partner_id)
        api = api_client_for(user)
        base = f"/v1/customers/{customer.tenant_id}/subscriptions"
        assert [i["partnerId"] for i in api.get(base).json()["items"]] == [reseller.partner_id]
        assert len(api.get(base, {"mpn_id": reseller.partner_id}).json()["items"]) == 1
        assert api.get(base, {"mpn_id": "0000000"}).json()["items"] == []

    def test_rename_with_a_partial_or_a_full_body(self, api, customer, estate):
        url = f"/v1/customers/{customer.tenant_id}/subscriptions/{estate[0].public_id}"
        response = api.patch(url, {"FriendlyName": "  Renamed  "}, format="json")
        assert response.status_code == 200, response.content
        assert response.json()["friendlyName"] == "Renamed"
        body = response.json()
        body["friendlyName"] = "Again"
        response = api.patch(url, body, format="json", HTTP_IF_MATCH=body["attributes"]["etag"])
        assert response.status_code == 200 and response.json()["friendlyName"] == "Again"
        assert LegacySubscription.objects.get(pk=estate[0].pk).friendly_name == "Again"

    def test_refused_patches_change_nothing(self, api, api_client_for, make_user, customer, estate):
        url = f"/v1/customers/{customer.tenant_id}/subscriptions/{estate[0].public_id}"
        etag = api.get(url).json()["attributes"]["etag"]
        api.patch(url, {"friendlyName": "Changed"}, format="json")
        before = state()
        assert_error(api.patch(url, {"status": "suspended"}, format="json"), 400, 800096, "status")
        assert_error(api.patch(url, {"friendlyName": ""}, format="json"), 400, 800002, "friendlyName")
        assert_error(api.patch(url, {"friendlyName": "x" * 129}, format="json"), 400, 800002, "friendlyName")
        assert_error(api.patch(url, {}, format="json"), 400, 800002)
        assert_error(api.patch(url, {"friendlyName": "Stale"}, format="json", HTTP_IF_MATCH=etag), 412, 2055)
        sales = api_client_for(make_user(Role.SALES_AGENT, email="sales@a.example.com"))
        assert_error(sales.patch(url, {"friendlyName": "By sales"}, format="json"), 403, 2032)
        unknown = f"/v1/customers/{customer.tenant_id}/subscriptions/{uuid.uuid4()}"
        assert_error(api.get(unknown), 404, 20003)
        assert_error(api.patch(unknown, {"friendlyName": "x"}, format="json"), 404, 20003)
        # The same status as it is (a GET-modify-PATCH round trip) is not a change.
        assert api.patch(url, {"status": "active", "friendlyName": "Changed"}, format="json").status_code == 200
        assert state() == before

    def test_a_moved_legacy_subscription_cannot_be_renamed(self, api, customer, estate,
                                                           django_capture_on_commit_callbacks):
        start(api, customer, django_capture_on_commit_callbacks)
        url = f"/v1/customers/{customer.tenant_id}/subscriptions/{estate[0].public_id}"
        before = state()
        assert_error(api.patch(url, {"friendlyName": "Too late"}, format="json"), 400, 800002, "friendlyName")
        assert_error(api.patch(url, {"status": "active"}, format="json"), 400, 800096, "status")
        assert state() == before


# ---------------------------------------------------------------- POST /v1/productUpgrades/eligibility


class TestEligibility:
    def test_eligible_as_the_sample(self, api, customer, estate, samples):
        sample = samples("product-upgrade-eligibility.response.json")
        request = samples("product-upgrade-eligibility.request.json")
        request["customerId"] = str(customer.tenant_id)
        response = api.post(f"{UPGRADES}/eligibility", request, format="json")
        assert response.status_code == 200, response.content
        body = response.json()
        assert set(body) == set(sample) | {"attributes"}
        assert body == {"customerId": str(customer.tenant_id), "isEligible": True, "productFamily": "azure",
                        "attributes": {"objectType": "ProductUpgradesEligibility"}}

    def test_the_route_name_is_matched_in_any_case_as_in_the_samples(self, api, customer, estate):
        # Microsoft's sample request line: POST https://api.partnercenter.microsoft.com/v1/productupgrades/eligibility
        response = api.post("/v1/productupgrades/eligibility", request_body(customer, "azure"), format="json")
        assert response.status_code == 200, response.content
        assert response.json()["isEligible"] is True
        assert api.post("/v1/PRODUCTUPGRADES/eligibility", request_body(customer, "azure"),
                        format="json").status_code == 200

    def test_not_eligible_says_why(self, api, customer, org, estate, django_capture_on_commit_callbacks):
        empty = buyable_customer(org)
        body = api.post(f"{UPGRADES}/eligibility", request_body(empty, "AZURE"), format="json").json()
        assert body["isEligible"] is False and "no active legacy Azure" in body["reason"]
        assert "upgradeId" not in body
        no_mca = CustomerFactory(organisation=org)
        body = api.post(f"{UPGRADES}/eligibility", request_body(no_mca), format="json").json()
        assert body["isEligible"] is False and "Microsoft Customer Agreement" in body["reason"]
        # An open upgrade (its task not run yet) is named.
        response = api.post(UPGRADES, request_body(customer), format="json")
        assert response.status_code == 202
        body = api.post(f"{UPGRADES}/eligibility", request_body(customer), format="json").json()
        assert body["isEligible"] is False and body["upgradeId"] == upgrade_id(response)

    def test_bad_requests(self, api, customer, estate, other_org):
        before = state()
        url = f"{UPGRADES}/eligibility"
        assert_error(api.post(url, request_body(customer, "office"), format="json"), 400, 800002, "productFamily")
        assert_error(api.post(url, {"customerId": str(customer.tenant_id)}, format="json"), 400, 800002,
                     "productFamily")
        assert_error(api.post(url, {"customerId": "not-a-guid", "productFamily": "azure"}, format="json"), 400,
                     900118, "customerId")
        assert_error(api.post(url, {"productFamily": "azure"}, format="json"), 400, 800002, "customerId")
        assert_error(api.post(url, [1], format="json"), 400, 800002)
        assert_error(api.post(url, request_body(CustomerFactory(organisation=other_org)), format="json"), 404, 1000)
        assert_error(api.post(url, request_body(uuid.uuid4()), format="json"), 404, 1000)
        assert state() == before


# ---------------------------------------------------------------- POST /v1/productUpgrades and its status


class TestUpgrade:
    def test_start_answers_202_and_location_and_the_status_is_the_sample(
            self, api, customer, estate, samples, django_capture_on_commit_callbacks):
        request = samples("create-product-upgrade.request.json")
        request["customerId"] = str(customer.tenant_id)
        with django_capture_on_commit_callbacks(execute=True):
            response = api.post(UPGRADES, request, format="json")
        assert response.status_code == 202 and response.content == b""
        upgrade = ProductUpgrade.objects.get(customer=customer)
        assert response["Location"] == f"productUpgrades/{upgrade.public_id}"
        sample = samples("product-upgrade-status.response.json")
        status_request = samples("product-upgrade-status.request.normalized.json")
        status_request["customerId"] = str(customer.tenant_id)
        response = api.post(f"{UPGRADES}/{upgrade.public_id}/status", status_request, format="json")
        assert response.status_code == 200, response.content
        body = response.json()
        assert set(body) == set(sample) | {"attributes"}
        assert list(body["lineItems"][0]) == list(sample["lineItems"][0])
        assert {k: body[k] for k in ("id", "status", "productFamily")} == {
            "id": str(upgrade.public_id), "status": "Completed", "productFamily": "Azure"}
        assert body["attributes"] == {"objectType": "ProductUpgradesStatus"}
        plan = AzurePlan.objects.get(customer=customer)
        assert [(li["sourceProduct"], li["targetProduct"], li["status"]) for li in body["lineItems"]] == [
            ({"id": str(legacy.public_id), "name": "AzureSubscription"},
             {"id": str(plan.public_id), "name": "Microsoft Azure plan"}, "Completed") for legacy in estate]
        assert all(li["upgradedDate"] for li in body["lineItems"])
        # GET is the same (extension).
        assert api.get(f"{UPGRADES}/{upgrade.public_id}/status").json() == body

    def test_a_retry_with_the_same_request_id_replays_and_starts_nothing_more(
            self, api, customer, estate, django_capture_on_commit_callbacks):
        key = str(uuid.uuid4())
        first = start(api, customer, django_capture_on_commit_callbacks, HTTP_MS_REQUESTID=key)
        with django_capture_on_commit_callbacks(execute=True):
            again = api.post(UPGRADES, request_body(customer, "Azure"), format="json", HTTP_MS_REQUESTID=key)
        assert again.status_code == 202 and again["Location"] == first["Location"]
        assert again["Idempotency-Replayed"] == "true"
        assert ProductUpgrade.objects.filter(customer=customer).count() == 1
        before = state()
        other = api.post(UPGRADES, request_body(customer, "azure"), format="json", HTTP_MS_REQUESTID=key)
        assert_error(other, 409, 990001)
        assert state() == before

    def test_not_eligible_is_refused_with_its_code(self, api, org, customer, estate,
                                                    django_capture_on_commit_callbacks):
        empty = buyable_customer(org)
        before = state()
        assert_error(api.post(UPGRADES, request_body(empty), format="json"), 403, 900108)
        assert_error(api.post(UPGRADES, request_body(CustomerFactory(organisation=org)), format="json"), 403, 900120)
        assert state() == before
        response = api.post(UPGRADES, request_body(customer), format="json")  # its task not run: still pending
        assert response.status_code == 202
        before = state()
        body = assert_error(api.post(UPGRADES, request_body(customer), format="json"), 409, 900109)
        assert body["parameters"]["upgradeId"] == upgrade_id(response)
        assert state() == before

    def test_bad_requests_change_nothing(self, api, customer, estate, other_org):
        before = state()
        assert_error(api.post(UPGRADES, request_body(customer, "Office"), format="json"), 400, 800002, "productFamily")
        assert_error(api.post(UPGRADES, {"customerId": "123", "productFamily": "azure"}, format="json"), 400, 900118)
        assert_error(api.post(UPGRADES, request_body(CustomerFactory(organisation=other_org)), format="json"), 404,
                     1000)
        assert_error(api.post(UPGRADES, b"{not json", content_type="application/json"), 400, 800002)
        assert state() == before

    def test_roles_and_tiers(self, make_org, make_user, api_client_for):
        provider = make_org(name="Provider", tier=Tier.INDIRECT_PROVIDER)
        reseller = make_org(name="Reseller", tier=Tier.INDIRECT_RESELLER, provider=provider)
        customer = buyable_customer(provider, reseller=reseller)
        legacy_estate(actor_for_user(make_user(Role.GLOBAL_ADMIN, organisation=provider)), customer, 1,
                      reseller=reseller.partner_id)
        reseller_api = api_client_for(make_user(Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, organisation=reseller))
        before = state()
        assert_error(reseller_api.post(UPGRADES, request_body(customer), format="json"), 403, 900123)
        body = reseller_api.post(f"{UPGRADES}/eligibility", request_body(customer), format="json").json()
        assert body["isEligible"] is False and "indirect reseller" in body["reason"]
        assert_error(reseller_api.post(BATCHES, {"customerIds": [str(customer.tenant_id)]}, format="json"), 403, 900123)
        assert state() == before

    def test_status_refusals(self, api, org, customer, estate, foreign, django_capture_on_commit_callbacks):
        upgrade = upgrade_id(start(api, customer, django_capture_on_commit_callbacks))
        other = buyable_customer(org)
        before = state()
        url = f"{UPGRADES}/{upgrade}/status"
        assert_error(api.post(f"{UPGRADES}/{uuid.uuid4()}/status", request_body(customer), format="json"), 404, 900106)
        assert_error(api.post(f"{UPGRADES}/not-an-id/status", request_body(customer), format="json"), 404, 900106)
        assert_error(api.get(f"{UPGRADES}/{uuid.uuid4()}/status"), 404, 900106)
        assert_error(api.post(url, request_body(other), format="json"), 400, 900111)
        assert_error(api.post(url, request_body(customer, "office"), format="json"), 400, 800002, "productFamily")
        assert_error(api.post(url, {"customerId": "x"}, format="json"), 400, 900118)
        assert_error(api.post(url, {}, format="json"), 400, 800002, "customerId")
        # Partner B's upgrade is not found, with its customer or ours.
        b_url = f"{UPGRADES}/{foreign['upgrade'].public_id}/status"
        assert_error(api.post(b_url, request_body(foreign["customer"]), format="json"), 404, 900106)
        assert_error(api.post(b_url, request_body(customer), format="json"), 404, 900106)
        assert_error(api.get(b_url), 404, 900106)
        assert_error(api.post(url, request_body(foreign["customer"]), format="json"), 404, 1000)
        assert state() == before

    def test_a_failed_line_is_reported_then_retried(self, api, actor, customer, django_capture_on_commit_callbacks):
        legacy_estate(actor, customer, 2, names=["Fine", "x" * 70])
        long_one = LegacySubscription.objects.get(customer=customer, friendly_name="x" * 70)
        upgrade = upgrade_id(start(api, customer, django_capture_on_commit_callbacks))
        body = api.get(f"{UPGRADES}/{upgrade}/status").json()
        assert body["status"] == "Failed"
        failed = [li for li in body["lineItems"] if li["status"] == "Failed"]
        assert [li["sourceProduct"]["id"] for li in failed] == [str(long_one.public_id)]
        assert failed[0]["errorDetails"]["code"] == "800002" and "64" in failed[0]["errorDetails"]["description"]
        assert failed[0]["upgradedDate"] is None and failed[0]["targetProduct"]["id"] is None
        # Bad retries change nothing.
        before = state()
        retry = f"{UPGRADES}/{upgrade}/retry"
        assert_error(api.post(retry, {"subscriptionIds": ["nope"]}, format="json"), 400, 800002, "subscriptionIds[0]")
        assert_error(api.post(retry, {"subscriptionIds": [str(uuid.uuid4())]}, format="json"), 400, 800002)
        assert_error(api.post(retry, {"subscriptionIds": []}, format="json"), 400, 800002, "subscriptionIds")
        assert_error(api.post(f"{UPGRADES}/{uuid.uuid4()}/retry", {}, format="json"), 404, 900106)
        assert state() == before
        # Rename it to fit, then retry that line.
        url = f"/v1/customers/{customer.tenant_id}/subscriptions/{long_one.public_id}"
        assert api.patch(url, {"friendlyName": "Short now"}, format="json").status_code == 200
        with django_capture_on_commit_callbacks(execute=True):
            response = api.post(retry, {"subscriptionIds": [str(long_one.public_id)]}, format="json")
        assert response.status_code == 202, response.content
        assert response["Location"] == f"productUpgrades/{upgrade}/status"
        body = api.get(f"{UPGRADES}/{upgrade}/status").json()
        assert body["status"] == "Completed" and {li["status"] for li in body["lineItems"]} == {"Completed"}
        assert AzureSubscription.objects.filter(plan__customer=customer).count() == 2
        before = state()
        assert_error(api.post(retry, {}, format="json"), 400, 900110)
        assert state() == before


# ---------------------------------------------------------------- /v1/legacySubscriptions/imports (extension)


class TestImports:
    def test_raw_csv_then_the_same_file_again(self, api, customer):
        content = legacy_csv([(customer, uuid.uuid4(), "One"), (customer, uuid.uuid4(), "Two")])
        response = api.post(f"{IMPORTS}?fileName=estate.csv", content, content_type="text/csv")
        assert response.status_code == 201, response.content
        body = response.json()
        record = LegacyImport.objects.get()
        assert body == {"id": str(record.public_id), "fileName": "estate.csv", "rows": 2, "added": 2,
                        "alreadyPresent": 0, "createdDate": body["createdDate"], "repeated": False,
                        "attributes": {"objectType": "LegacySubscriptionImport"}}
        assert LegacySubscription.objects.filter(customer=customer).count() == 2
        again = api.post(IMPORTS, content, content_type="text/csv; charset=utf-8")
        assert again.status_code == 200, again.content
        assert again.json()["repeated"] is True and again.json()["added"] == 0 and again.json()["id"] == body["id"]
        assert LegacySubscription.objects.count() == 2 and LegacyImport.objects.count() == 1
        listed = api.get(IMPORTS).json()
        assert [i["id"] for i in listed["items"]] == [body["id"]] and "repeated" not in listed["items"][0]

    def test_multipart_and_json(self, api, customer):
        from django.core.files.uploadedfile import SimpleUploadedFile

        upload = SimpleUploadedFile("legacy.csv", legacy_csv([(customer, uuid.uuid4(), "One")]), "text/csv")
        response = api.post(IMPORTS, {"file": upload}, format="multipart")
        assert response.status_code == 201, response.content
        assert response.json()["fileName"] == "legacy.csv" and response.json()["added"] == 1
        text = legacy_csv([(customer, uuid.uuid4(), "Two")]).decode()
        response = api.post(IMPORTS, {"FileName": "two.csv", "Content": text}, format="json")
        assert response.status_code == 201, response.content
        assert response.json()["fileName"] == "two.csv"
        assert LegacySubscription.objects.filter(customer=customer).count() == 2

    def test_bad_rows_are_each_reported_and_nothing_is_imported(self, api, customer, other_org):
        foreign_customer = CustomerFactory(organisation=other_org)
        content = legacy_csv([(customer, uuid.uuid4(), "Good"), ("nope", uuid.uuid4(), "Bad customer"),
                              (foreign_customer, uuid.uuid4(), "Foreign"), (customer, "x", "Bad id"),
                              (customer, uuid.uuid4(), "Bad date", "", "yesterday")])
        before = state()
        body = assert_error(api.post(IMPORTS, content, content_type="text/csv"), 400, 800002)
        assert body["errorName"] == "LegacyImportInvalid"
        assert [(row["line"], row["field"]) for row in body["data"]] == [
            (3, "customerId"), (4, "customerId"), (5, "subscriptionId"), (6, "createdDate")]
        assert all(row["reason"] for row in body["data"])
        assert_error(api.post(IMPORTS, b"", content_type="text/csv"), 400, 800002)
        assert_error(api.post(IMPORTS, b"\xff\xfe bad", content_type="text/csv"), 400, 800002)
        assert_error(api.post(IMPORTS, {"fileName": "x.csv"}, format="json"), 400, 800002, "content")
        assert_error(api.post(IMPORTS, {}, format="multipart"), 400, 800002, "file")
        response = api.post(IMPORTS, b"a,b", content_type="text/plain")
        assert response.status_code == 415 and response.json()["code"] == 990004
        assert state() == before

    def test_a_json_body_over_the_upload_limit_is_the_envelope(self, api, customer, settings):
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
        content = legacy_csv([(customer, uuid.uuid4(), f"Name {i}") for i in range(30)]).decode()
        before = state()
        assert_error(api.post(IMPORTS, {"content": content}, format="json"), 400, 800002, "content")
        assert state() == before
        # The same file as text/csv or multipart is read whatever its size (up to the import's 20 MB).
        assert api.post(IMPORTS, content.encode(), content_type="text/csv").status_code == 201

    def test_a_billing_admin_may_not_import(self, api_client_for, make_user, customer):
        billing = api_client_for(make_user(Role.BILLING_ADMIN, email="billing@a.example.com"))
        before = state()
        content = legacy_csv([(customer, uuid.uuid4(), "One")])
        assert_error(billing.post(IMPORTS, content, content_type="text/csv"), 403, 2032)
        assert state() == before
        assert billing.get(IMPORTS).status_code == 200


# ---------------------------------------------------------------- /v1/productUpgrades/batches (extension)


class TestBatches:
    def test_a_batch_runs_and_reports(self, api, org, actor, customer, estate, django_capture_on_commit_callbacks):
        second = buyable_customer(org)
        legacy_estate(actor, second, 1, names=["y" * 70])
        skipped = buyable_customer(org)  # no legacy estate
        body = {"customerIds": [str(customer.tenant_id), str(second.tenant_id), str(skipped.tenant_id),
                                str(customer.tenant_id)]}
        with django_capture_on_commit_callbacks(execute=True):
            response = api.post(BATCHES, body, format="json")
        assert response.status_code == 202, response.content
        job = Job.objects.get(kind="legacy_azure_transition")
        assert response["Location"] == f"/v1/productUpgrades/batches/{job.public_id}"
        started = response.json()
        assert started["id"] == str(job.public_id) and started["totalCustomers"] == 2
        assert [s["customerId"] for s in started["skipped"]] == [str(skipped.tenant_id)]
        assert started["skipped"][0]["code"] == 900108
        batch = api.get(f"{BATCHES}/{job.public_id}").json()
        assert {k: batch[k] for k in ("status", "totalCustomers", "customersDone", "customersFailed", "linesMoved",
                                      "linesFailed", "percent")} == {
            "status": "succeeded", "totalCustomers": 2, "customersDone": 2, "customersFailed": 1, "linesMoved": 2,
            "linesFailed": 1, "percent": 100}
        legacy = LegacySubscription.objects.get(customer=second)
        assert batch["failures"] == [{"customerId": str(second.tenant_id), "companyName": second.company_name,
                                      "subscriptionId": str(legacy.public_id), "code": "800002",
                                      "description": batch["failures"][0]["description"]}]
        assert batch["createdDate"] and batch["finishedDate"]
        assert batch["attributes"] == {"objectType": "LegacyTransitionBatch"}
        assert [b["id"] for b in api.get(BATCHES).json()["items"]] == [str(job.public_id)]
        # A finished batch cannot be cancelled.
        before = state()
        assert_error(api.post(f"{BATCHES}/{job.public_id}/cancel", {}, format="json"), 409, 990040)
        assert state() == before

    def test_all_eligible_and_cancel(self, api, org, actor, customer, estate):
        other = buyable_customer(org)
        legacy_estate(actor, other, 1, names=["Other"])
        response = api.post(BATCHES, {"allEligible": True}, format="json")  # tasks not run: customers pending
        assert response.status_code == 202, response.content
        assert response.json()["totalCustomers"] == 2 and response.json()["status"] == "running"
        batch_id = response.json()["id"]
        response = api.post(f"{BATCHES}/{batch_id}/cancel", {}, format="json")
        assert response.status_code == 200, response.content
        assert response.json()["status"] == "cancelled" and response.json()["customersDone"] == 2
        assert set(ProductUpgrade.objects.values_list("status", flat=True)) == {"cancelled"}
        assert LegacySubscription.objects.filter(status="active").count() == 3

    def test_the_same_request_id_gives_one_batch(self, api, customer, estate):
        key = str(uuid.uuid4())
        body = {"customerIds": [str(customer.tenant_id)]}
        first = api.post(BATCHES, body, format="json", HTTP_MS_REQUESTID=key)
        again = api.post(BATCHES, body, format="json", HTTP_MS_REQUESTID=key)
        assert first.status_code == again.status_code == 202 and again["Location"] == first["Location"]
        assert Job.objects.filter(kind="legacy_azure_transition").count() == 1
        assert_error(api.post(BATCHES, {"allEligible": True}, format="json", HTTP_MS_REQUESTID=key), 409, 990001)

    def test_bad_requests_change_nothing(self, api, org, customer, estate, other_org, foreign):
        before = state()
        assert_error(api.post(BATCHES, {}, format="json"), 400, 800002, "customerIds")
        assert_error(api.post(BATCHES, {"customerIds": []}, format="json"), 400, 800002, "customerIds")
        assert_error(api.post(BATCHES, {"customerIds": [str(customer.tenant_id)], "allEligible": True},
                              format="json"), 400, 800002, "customerIds")
        assert_error(api.post(BATCHES, {"customerIds": [str(customer.tenant_id), "bad"]}, format="json"), 400,
                     900118, "customerIds[1]")
        assert_error(api.post(BATCHES, {"customerIds": "not a list"}, format="json"), 400, 800002)
        assert_error(api.post(BATCHES, {"customerIds": [str(customer.tenant_id), str(foreign["customer"].tenant_id)]},
                              format="json"), 404, 1000)
        empty = buyable_customer(org)
        assert_error(api.post(BATCHES, {"customerIds": [str(empty.tenant_id)]}, format="json"), 403, 900108)
        assert state() == before
        b_batch = foreign["batch"].public_id
        assert_error(api.get(f"{BATCHES}/{b_batch}"), 404, 1000)
        assert_error(api.post(f"{BATCHES}/{b_batch}/cancel", {}, format="json"), 404, 1000)
        assert_error(api.get(f"{BATCHES}/not-an-id"), 404, 1000)
        assert_error(api.post(f"{UPGRADES}/{foreign['upgrade'].public_id}/retry", {}, format="json"), 404, 900106)
        assert api.get(BATCHES).json()["items"] == []
        assert state() == before



# ---------------------------------------------------------------- second review


def test_the_location_of_a_started_upgrade_can_be_followed(api, customer, estate, django_capture_on_commit_callbacks):
    response = start(api, customer, django_capture_on_commit_callbacks)
    followed = api.get("/v1/" + response["Location"])
    assert followed.status_code == 200
    assert followed.json()["id"] == upgrade_id(response) and followed.json()["status"] == "Completed"
    assert api.post("/v1/" + response["Location"], {}, format="json").status_code == 405


def test_a_retry_body_that_is_not_an_object_is_refused(api, customer, org, actor, django_capture_on_commit_callbacks):
    legacy_estate(actor, customer, names=["N" * 70])
    response = start(api, customer, django_capture_on_commit_callbacks)
    retry = f"{UPGRADES}/{upgrade_id(response)}/retry"
    assert_error(api.post(retry, [], format="json"), 400, 800002)
    assert ProductUpgrade.objects.get().status == "failed"


def test_a_file_name_longer_than_255_characters_is_refused(api, customer):
    content = legacy_csv([(customer, uuid.uuid4(), "A")])
    assert_error(api.post(f"{IMPORTS}?fileName={'x' * 300}", content, content_type="text/csv"), 400, 800002, "fileName")
    assert_error(api.post(IMPORTS, {"fileName": "z" * 256, "content": content.decode()}, format="json"), 400, 800002)
    assert LegacySubscription.objects.count() == 0
    # (A multipart file's own name is shortened to 255 characters by Django's upload handling, extension kept.)


def test_a_retry_spelling_the_route_in_another_case_replays(api, customer, estate, django_capture_on_commit_callbacks):
    headers = {"HTTP_MS_REQUESTID": "start-once"}
    first = start(api, customer, django_capture_on_commit_callbacks, **headers)
    with django_capture_on_commit_callbacks(execute=True):
        again = api.post("/v1/productupgrades", request_body(customer, "Azure"), format="json", **headers)
    assert again.status_code == 202 and again["Location"] == first["Location"]
    assert again["Idempotency-Replayed"] == "true"
    assert ProductUpgrade.objects.count() == 1
