"""/v1/customers/{id}/carts, checkout and /orders: the Azure plan bought through the API, each refusal with its
Partner Center code (and nothing written), and Microsoft's samples replayed where they apply.

Microsoft's cart example (create-cart.request.normalized.json) has no Azure plan line: the test body keeps its
shape with the Azure plan line of api reference §9.3 in place of its lines. Provisioning runs in the Celery
task at commit; `db` tests never commit, so they call ordering_services.order_provision directly (or run the commit
callbacks with django_capture_on_commit_callbacks).
"""

import threading
import uuid

import pytest
from django.db import connection, transaction

from accounts.choices import Role, Tier
from accounts.models import Country
from azureplan.choices import AZURE_PLAN_PRODUCT_ID, LEGACY_AZURE_PRODUCT_ID
from azureplan.models import Availability, AzurePlan, AzureSubscription, Cart, Order, RoleAssignment
from azureplan.ordering import services as ordering_services
from core.errors import InvalidInput
from core.models import IdempotencyRecord
from core.testing import assert_error, assert_has_fields
from customers.tests.factories import CustomerFactory

from ..factories import AZURE_PLAN_US, buyable_customer

pytestmark = pytest.mark.django_db
AZURE_PLAN_LINE = {"id": 0, "catalogItemId": AZURE_PLAN_US, "quantity": 1, "billingCycle": "one_time"}
# Properties of Microsoft's example lines that an Azure plan line has no value for (no term, no provisioning
# context, no renewal): left out when the samples' shapes are compared with ours.
NOT_FOR_AZURE_PLAN = {"termDuration", "provisioningContext", "renewsTo", "ProvisioningContext"}


def without(value, keys=NOT_FOR_AZURE_PLAN):
    if isinstance(value, dict):
        return {k: without(v, keys) for k, v in value.items() if k not in keys}
    if isinstance(value, list):
        return [without(v, keys) for v in value]
    return value


def cart_body(load=None, **line):
    """Microsoft's create-cart request with the Azure plan line (§9.3) in place of its six lines."""
    body = load("create-cart.request.normalized.json") if load else {"lineItems": [{}]}
    body["lineItems"] = [{**AZURE_PLAN_LINE, **line}]
    return body


def state():
    """Everything a refused request must leave as it was."""
    return (list(Cart.objects.order_by("pk").values_list("pk", "status", "version")),
            list(Order.objects.order_by("pk").values_list("pk", "status")),
            list(AzurePlan.objects.order_by("pk").values_list("pk", "status", "version")),
            AzureSubscription.objects.count(), RoleAssignment.objects.count())


@pytest.fixture
def agent(make_user):
    return make_user(Role.SALES_AGENT, Role.ADMIN_AGENT, email="agent@a.example.com")


@pytest.fixture
def api(api_client_for, agent):
    return api_client_for(agent)


@pytest.fixture
def customer(org):
    return buyable_customer(org)


def carts_url(customer):
    return f"/v1/customers/{customer.tenant_id}/carts"


def orders_url(customer):
    return f"/v1/customers/{customer.tenant_id}/orders"


def create_cart(api, customer, **line):
    response = api.post(carts_url(customer), cart_body(**line), format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def checkout(api, customer, cart_id, **headers):
    return api.post(f"{carts_url(customer)}/{cart_id}/checkout", **headers)


# ---------------------------------------------------------------- the happy path


def test_cart_checkout_provision_matches_partner_center(api, customer, agent, samples):
    response = api.post(carts_url(customer), cart_body(samples), format="json", HTTP_MS_REQUESTID=str(uuid.uuid4()))
    assert response.status_code == 201, response.json()
    cart = response.json()
    assert response["Location"] == f"/v1/customers/{customer.tenant_id}/carts/{cart['id']}"
    assert list(cart) == ["id", "creationTimestamp", "lastModifiedTimestamp", "expirationTimestamp", "lastModifiedUser",
                          "lineItems", "status", "links", "attributes"]
    assert cart["status"] == "Active" and cart["lastModifiedUser"] == str(agent.public_id)
    assert cart["lineItems"] == [{"id": 0, "catalogItemId": AZURE_PLAN_US, "friendlyName": "", "quantity": 1,
                                  "currencyCode": "USD", "billingCycle": "one_time", "participants": [],
                                  "orderGroup": "0"}]
    assert cart["links"]["self"] == {"uri": f"/customers/{customer.tenant_id}/carts/{cart['id']}", "method": "GET",
                                     "headers": []}
    assert cart["attributes"]["objectType"] == "Cart" and cart["attributes"]["etag"]
    expected = samples("create-cart.response.json")
    expected["lineItems"] = expected["lineItems"][:1]
    assert_has_fields(without(expected), cart)
    assert api.get(cart["links"]["self"]["uri"].replace("/customers", "/v1/customers")).json() == cart

    key = str(uuid.uuid4())
    response = checkout(api, customer, cart["id"], HTTP_MS_REQUESTID=key)
    assert response.status_code == 201, response.json()
    result = response.json()
    assert result["orderErrors"] == [] and result["attributes"] == {"objectType": "CartCheckoutResult"}
    (order,) = result["orders"]
    assert order["status"] == "pending" and order["billingCycle"] == "one_time" and order["currencyCode"] == "USD"
    assert order["referenceCustomerId"] == str(customer.tenant_id) and len(order["alternateId"]) == 12
    (line,) = order["lineItems"]
    assert line["offerId"] == AZURE_PLAN_US and line["quantity"] == 1 and "subscriptionId" not in line
    assert "partnerIdOnRecord" not in line and "errorReason" not in order
    assert order["links"]["provisioningStatus"]["uri"] == \
        f"/customers/{customer.tenant_id}/orders/{order['id']}/provisioningstatus"
    assert order["attributes"]["objectType"] == "Order" and order["attributes"]["etag"]
    assert_has_fields(without(samples("checkout-cart.response.normalized.json")["orders"][1]), order)
    assert api.get(cart["links"]["self"]["uri"].replace("/customers", "/v1/customers")).json()["status"] == "Ordered"

    # A retry with the same MS-RequestId replays the answer; a new checkout of the cart is refused.
    replay = checkout(api, customer, cart["id"], HTTP_MS_REQUESTID=key)
    assert replay.status_code == 201 and replay["Idempotency-Replayed"] == "true" and replay.json() == result
    before = state()
    assert_error(checkout(api, customer, cart["id"], HTTP_MS_REQUESTID=str(uuid.uuid4())), 400, 800065)
    assert_error(checkout(api, customer, cart["id"]), 400, 800065)
    assert state() == before and Order.objects.count() == 1

    # Provisioning (the Celery task's work) completes the order: plan active, one Azure subscription, AOBO Owner.
    ordering_services.order_provision(Order.objects.get(public_id=order["id"]).pk)
    plan = AzurePlan.objects.get(customer=customer)
    assert plan.status == "active"
    sub = AzureSubscription.objects.get(plan=plan)
    owner = RoleAssignment.objects.get(azure_subscription=sub)
    assert (owner.role_id, owner.principal_type, owner.partner_id) == ("Owner", "partner_admin_agents",
                                                                        agent.organisation_id)

    done = api.get(f"{orders_url(customer)}/{order['id']}").json()
    assert done["status"] == "completed" and done["attributes"]["etag"] != order["attributes"]["etag"]
    (line,) = done["lineItems"]
    assert line["subscriptionId"] == str(plan.public_id)
    assert line["links"]["subscription"]["uri"] == f"/customers/{customer.tenant_id}/subscriptions/{plan.public_id}"
    assert line["links"]["sku"]["uri"] == "/products/DZH318Z0BPS6/skus/0001?country=US"
    assert_has_fields(samples("get-order.response.json"), done)
    assert api.get(f"{orders_url(customer)}/{done['alternateId']}").json()["id"] == done["id"]

    status = api.get(f"{orders_url(customer)}/{order['id']}/provisioningstatus").json()
    assert status["totalCount"] == 1 and status["attributes"] == {"objectType": "Collection"}
    assert status["items"][0]["status"] == "fulfilled"
    assert status["items"][0]["quantityProvisioningInformation"] == [{"quantity": 1, "status": "fulfilled"}]
    assert status["items"][0]["attributes"] == {"objectType": "OrderLineItemProvisioningStatus"}
    assert_has_fields(samples("get-order-provisioning-status.response.json"), status)

    orders = api.get(orders_url(customer)).json()
    assert [o["id"] for o in orders["items"]] == [order["id"]] and "next" not in orders["links"]
    assert_has_fields(samples("list-orders.response.normalized.json")["items"][0], orders["items"][0])
    assert api.get(orders_url(customer), {"billingType": "One_Time"}).json()["totalCount"] == 1
    assert api.get(orders_url(customer), {"BILLINGTYPE": "monthly"}).json()["totalCount"] == 0
    assert_error(api.get(orders_url(customer), {"billingType": "weekly"}), 400, 800002, "billingType")

    entitlements = api.get(f"/v1/customers/{customer.tenant_id}/subscriptions/{plan.public_id}/azureEntitlements")
    (entitlement,) = entitlements.json()["items"]
    assert entitlement["id"] == str(sub.subscription_id) and entitlement["pecEligible"] is True
    roles = api.get(f"/v1/customers/{customer.tenant_id}/subscriptions/{plan.public_id}/azureEntitlements/"
                    f"{sub.subscription_id}/roleAssignments").json()["items"]
    assert [(r["roleName"], r["principalType"]) for r in roles] == [("Owner", "partner_admin_agents")]


def test_the_provisioning_task_runs_at_commit(api, customer, django_capture_on_commit_callbacks):
    cart = create_cart(api, customer)
    with django_capture_on_commit_callbacks(execute=True):
        # As the .NET SDK sends it (checkout-cart.request.http): Content-Type application/json, Content-Length 0.
        response = api.post(f"{carts_url(customer)}/{cart['id']}/checkout", data="", content_type="application/json",
                            HTTP_MS_REQUESTID="4fa6dad6-a89f-4875-8247-8294a10ae1cf")
    assert response.status_code == 201
    order = api.get(f"{orders_url(customer)}/{response.json()['orders'][0]['id']}").json()
    assert order["status"] == "completed" and order["lineItems"][0]["subscriptionId"]


def test_order_without_cart_from_microsoft_request(api, customer, samples):
    body = samples("create-order.request.json")  # PascalCase, as the .NET SDK sends it
    body["LineItems"][0].update(OfferId=AZURE_PLAN_US, FriendlyName=None)
    key = str(uuid.uuid4())
    response = api.post(orders_url(customer), body, format="json", HTTP_MS_REQUESTID=key)
    assert response.status_code == 201, response.json()
    order = response.json()
    assert response["Location"] == f"/v1/customers/{customer.tenant_id}/orders/{order['id']}"
    assert order["status"] == "pending" and order["lineItems"][0]["offerId"] == AZURE_PLAN_US
    assert_has_fields(samples("create-order.response.json"), order)
    again = api.post(orders_url(customer), body, format="json", HTTP_MS_REQUESTID=key)
    assert again.json() == order and Order.objects.count() == 1
    # The same order again, with a new request id, is a second plan.
    before = state()
    assert_error(api.post(orders_url(customer), body, format="json"), 403, 800066)
    assert state() == before


def test_put_replaces_the_lines_and_honours_if_match(api, customer, samples):
    cart = create_cart(api, customer)
    url = f"{carts_url(customer)}/{cart['id']}"
    body = samples("update-cart.request.normalized.json")  # PascalCase, the whole cart
    body["LineItems"][0].update(CatalogItemId=AZURE_PLAN_US.lower(), Quantity=2, FriendlyName="")
    before = state()
    assert_error(api.put(url, body, format="json", HTTP_IF_MATCH=cart["attributes"]["etag"]), 400, 800009)
    assert state() == before
    body["LineItems"][0].update(Quantity=1, CatalogItemId=AZURE_PLAN_US)
    response = api.put(url, body, format="json", HTTP_IF_MATCH=f'"{cart["attributes"]["etag"]}"')
    assert response.status_code == 200, response.json()
    updated = response.json()
    assert updated["id"] == cart["id"] and updated["attributes"]["etag"] != cart["attributes"]["etag"]
    assert_has_fields(without(samples("update-cart.response.normalized.json")), updated)
    before = state()
    assert_error(api.put(url, body, format="json", HTTP_IF_MATCH=cart["attributes"]["etag"]), 412, 2055)
    assert state() == before
    assert checkout(api, customer, cart["id"]).status_code == 201
    assert_error(api.put(url, body, format="json"), 400, 800065)


# ---------------------------------------------------------------- refusals


def test_unknown_cart_is_800008(api, customer):
    for cart_id in (uuid.uuid4(), "not-a-cart"):
        url = f"{carts_url(customer)}/{cart_id}"
        assert_error(api.get(url), 404, 800008)
        assert_error(api.put(url, cart_body(), format="json"), 404, 800008)
        assert_error(api.post(f"{url}/checkout"), 404, 800008)
    # A cart of another customer of the same partner is not this customer's cart.
    cart = create_cart(api, buyable_customer(customer.organisation))
    assert_error(api.get(f"{carts_url(customer)}/{cart['id']}"), 404, 800008)


def test_unknown_order_is_20000(api, customer):
    for order_id in (uuid.uuid4(), "abcdefabcdef", "nope"):
        assert_error(api.get(f"{orders_url(customer)}/{order_id}"), 404, 20000)
        assert_error(api.get(f"{orders_url(customer)}/{order_id}/provisioningstatus"), 404, 20000)


def test_no_relationship_is_20002(api, customer, make_user, api_client_for):
    from accounts.actors import actor_for_user
    from customers.services import relationship_remove

    relationship_remove(actor=actor_for_user(make_user(Role.GLOBAL_ADMIN, email="ga2@a.example.com")),
                        customer=customer)
    cart = create_cart(api, customer)
    before = state()
    assert_error(checkout(api, customer, cart["id"]), 403, 20002)
    assert_error(api.post(orders_url(customer), {"lineItems": [{"offerId": AZURE_PLAN_US, "quantity": 1}]},
                          format="json"), 403, 20002)
    assert state() == before


def test_no_mca_is_13605(api, org):
    customer = CustomerFactory(organisation=org)
    cart = create_cart(api, customer)
    before = state()
    body = assert_error(checkout(api, customer, cart["id"]), 403, 13605)
    assert "Microsoft Customer Agreement" in body["description"]
    assert_error(api.post(orders_url(customer), {"lineItems": [{"offerId": AZURE_PLAN_US, "quantity": 1}]},
                          format="json"), 403, 13605)
    assert state() == before


@pytest.mark.parametrize(("line", "status", "code", "field"), [
    ({"quantity": 2}, 400, 800009, "quantity"),
    ({"quantity": 0}, 400, 800009, "quantity"),
    ({"quantity": None}, 400, 800009, "quantity"),
    ({"friendlyName": "x" * 129}, 400, 800009, "friendlyName"),
    ({"billingCycle": "monthly"}, 400, 800009, "billingCycle"),
    ({"catalogItemId": "NOPE00000000:0001:DZH318Z0BML6"}, 404, 400013, "catalogItemId"),
    ({"catalogItemId": "DZH318Z0BPS6:0009:DZH318Z0BML6"}, 404, 400018, "catalogItemId"),
    ({"catalogItemId": "DZH318Z0BPS6:0001:NOPE00000000"}, 404, 400019, "catalogItemId"),
    ({"catalogItemId": "DZH318Z0BPS6"}, 400, 800002, "catalogItemId"),
    ({"catalogItemId": None}, 400, 800002, "catalogItemId"),
    ({"quantity": "many"}, 400, 800002, "lineItems[0].quantity"),
    ({"participants": [{"key": "additional_transaction_reseller", "value": "5357563"}]}, 400, 800002,
     "lineItems[0].participants"),
])
def test_bad_lines_create_nothing(api, customer, line, status, code, field):
    before = state()
    body = assert_error(api.post(carts_url(customer), cart_body(**line), format="json"), status, code, field)
    if code == 800009:
        assert body["parameters"]["lineItem"] == 0
    order_line = {"offerId": line.get("catalogItemId", AZURE_PLAN_US), "quantity": line.get("quantity", 1),
                  "friendlyName": line.get("friendlyName")}
    if "participants" not in line and "billingCycle" not in line:
        assert_error(api.post(orders_url(customer), {"lineItems": [order_line]}, format="json"), status, code)
    assert state() == before


def test_empty_or_malformed_carts(api, customer):
    before = state()
    for body in ({}, {"lineItems": []}, {"lineItems": None}):
        assert_error(api.post(carts_url(customer), body, format="json"), 400, 800002, "lineItems")
    assert_error(api.post(carts_url(customer), [1, 2], format="json"), 400, 800002)
    assert_error(api.post(carts_url(customer), "{not json", content_type="application/json"), 400, 800002)
    assert state() == before


def test_legacy_azure_offer_is_800009(api, customer):
    legacy = Availability.objects.get(sku__product_id=LEGACY_AZURE_PRODUCT_ID, country_id="US")
    before = state()
    body = cart_body(catalogItemId=legacy.catalog_item_id, billingCycle="monthly")
    body = assert_error(api.post(carts_url(customer), body, format="json"), 400, 800009, "catalogItemId")
    assert body["parameters"]["cartErrorCode"] == 500600 and "DZH318Z0BPS6" in body["description"]
    assert state() == before


@pytest.mark.parametrize("country", ["CN", "FR"])
def test_a_country_where_it_is_not_sold_is_800070(api, org, country):
    customer = buyable_customer(org, country=Country.objects.get(code=country))
    before = state()
    assert_error(api.post(carts_url(customer), cart_body(), format="json"), 400, 800070, "catalogItemId")
    assert state() == before
    if country == "FR":  # the French availability is what a French customer buys
        french = Availability.objects.get(sku__product_id=AZURE_PLAN_PRODUCT_ID, country_id="FR")
        cart = create_cart(api, customer, catalogItemId=french.catalog_item_id)
        assert cart["lineItems"][0]["currencyCode"] == "EUR"


def test_second_plan_is_800066(api, customer):
    first = create_cart(api, customer)
    second = create_cart(api, customer)
    assert checkout(api, customer, first["id"]).status_code == 201
    before = state()
    body = assert_error(checkout(api, customer, second["id"]), 403, 800066)
    assert body["errorName"] == "SubscriptionLimitExceeded"
    assert state() == before
    assert api.get(f"{carts_url(customer)}/{second['id']}").json()["status"] == "Active"


class TestIndirectProvider:
    @pytest.fixture
    def provider(self, make_org):
        return make_org(tier=Tier.INDIRECT_PROVIDER, country=Country.objects.get(code="US"))

    @pytest.fixture
    def reseller(self, make_org, provider):
        return make_org(tier=Tier.INDIRECT_RESELLER, provider=provider, country=Country.objects.get(code="US"))

    @pytest.fixture
    def api(self, api_client_for, make_user, provider):
        return api_client_for(make_user(Role.SALES_AGENT, Role.ADMIN_AGENT, organisation=provider,
                                        email="agent@provider.example.com"))

    def test_names_its_reseller_in_participants(self, api, provider, reseller, make_org, samples):
        customer = buyable_customer(provider)
        stranger = make_org(tier=Tier.INDIRECT_RESELLER, provider=make_org(tier=Tier.INDIRECT_PROVIDER))
        before = state()
        assert_error(api.post(carts_url(customer), cart_body(), format="json"), 400, 800009, "participants")
        foreign = [{"key": "transaction_reseller", "value": stranger.partner_id}]
        assert_error(api.post(carts_url(customer), cart_body(participants=foreign), format="json"), 400, 800009,
                     "participants")
        assert_error(api.post(orders_url(customer), {"lineItems": [{"offerId": AZURE_PLAN_US, "quantity": 1,
                                                                    "partnerIdOnRecord": stranger.partner_id}]},
                              format="json"), 400, 800009, "participants")
        assert state() == before

        # Microsoft's indirect example, with the Azure plan line and the provider's own reseller.
        body = samples("create-cart-indirect-participants.request.json")
        participants = [{"key": "transaction_reseller", "value": reseller.partner_id}]
        body["lineItems"] = [{**AZURE_PLAN_LINE, "participants": participants}]
        response = api.post(carts_url(customer), body, format="json")
        assert response.status_code == 201, response.json()
        cart = response.json()
        assert cart["lineItems"][0]["participants"] == participants
        assert cart["lineItems"][0]["orderGroup"] == reseller.partner_id
        order = checkout(api, customer, cart["id"]).json()["orders"][0]
        assert order["lineItems"][0]["partnerIdOnRecord"] == reseller.partner_id
        assert AzurePlan.objects.get(customer=customer).reseller == reseller

    def test_two_resellers_in_one_order_places_nothing(self, api, provider, reseller, make_org):
        other = make_org(tier=Tier.INDIRECT_RESELLER, provider=provider, country=Country.objects.get(code="US"))
        customer = buyable_customer(provider)
        before = state()
        lines = [{"lineItemNumber": n, "offerId": AZURE_PLAN_US, "quantity": 1, "partnerIdOnRecord": r.partner_id}
                 for n, r in enumerate((reseller, other))]
        assert_error(api.post(orders_url(customer), {"lineItems": lines}, format="json"), 400, 800002, "lineItems")
        assert state() == before


def test_service_order_create_with_two_resellers_rolls_back(make_org, make_user, actor_of,
                                                            django_capture_on_commit_callbacks):
    """ordering_services.order_create: the one-reseller-per-order refusal comes before the commit, so no order, plan or
    provisioning task is left behind."""
    provider = make_org(tier=Tier.INDIRECT_PROVIDER, country=Country.objects.get(code="US"))
    resellers = [make_org(tier=Tier.INDIRECT_RESELLER, provider=provider, country=Country.objects.get(code="US"))
                 for _ in range(2)]
    actor = actor_of(make_user(Role.SALES_AGENT, organisation=provider, email="s@provider.example.com"))
    customer = buyable_customer(provider)
    items = [{"catalog_item_id": AZURE_PLAN_US, "quantity": 1, "reseller": r.partner_id} for r in resellers]
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(InvalidInput) as exc:
        ordering_services.order_create(actor=actor, customer=customer, items=items)
    assert exc.value.code == 800002 and callbacks == []
    assert not Order.objects.exists() and not AzurePlan.objects.exists()


def test_roles(api_client_for, make_user, customer):
    helpdesk = api_client_for(make_user(Role.HELPDESK_AGENT, email="hd@a.example.com"))
    before = state()
    assert_error(helpdesk.post(carts_url(customer), cart_body(), format="json"), 403, 2032)
    assert_error(helpdesk.get(orders_url(customer)), 403, 2032)
    assert state() == before


@pytest.mark.django_db(transaction=True)
def test_a_checkout_running_at_the_same_moment_is_800064(make_user, api_client_for):
    agent = make_user(Role.SALES_AGENT, email="race@a.example.com")
    api = api_client_for(agent)
    customer = buyable_customer(agent.organisation)
    cart = create_cart(api, customer)
    locked, release = threading.Event(), threading.Event()

    def hold():  # another request checking the cart out: it holds the cart's row lock
        try:
            with transaction.atomic():
                Cart.objects.select_for_update().get(public_id=cart["id"])
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert locked.wait(10)
        body = assert_error(checkout(api, customer, cart["id"]), 409, 800064)
        assert body["isRetryable"] is True
    finally:
        release.set()
        thread.join(10)
    assert not Order.objects.exists() and Cart.objects.get(public_id=cart["id"]).status == "Active"
    assert not IdempotencyRecord.objects.exists()
    assert checkout(api, customer, cart["id"]).status_code == 201
