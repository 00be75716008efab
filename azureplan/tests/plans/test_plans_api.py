"""/v1/customers/{id}/subscriptions (the Azure plan), .../azureEntitlements (its Azure subscriptions), their role
assignments and /v1/azureRoles: shapes against Microsoft's samples, each refusal with its code and nothing
changed.

No Microsoft example prints an Azure plan subscription (api reference §11.1, §23); the closest published shape is
the catalog-item subscription of list-subscriptions-catalog-item.response.json, compared field by field except
`cancellationAllowedUntilDate` (a usage-based plan has no cancellation window).
"""

import uuid
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.actors import actor_for_user
from accounts.choices import Role, Tier
from accounts.models import Country
from azureplan import errors
from azureplan.models import AzurePlan, AzureRole, AzureSubscription, RoleAssignment
from azureplan.ordering import services as ordering_services
from azureplan.plans import services as plan_services
from core.testing import assert_error, assert_has_fields

from ..factories import AZURE_PLAN_US, buyable_customer, plan_line
from ..ordering.test_orders_api import state

pytestmark = pytest.mark.django_db

# Principals are Entra object ids (GUIDs).
P1, P2, P3 = ("11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222",
              "33333333-3333-4333-8333-333333333333")


@pytest.fixture
def agent(make_user):
    return make_user(Role.SALES_AGENT, Role.ADMIN_AGENT, email="agent@a.example.com")


@pytest.fixture
def api(api_client_for, agent):
    return api_client_for(agent)


@pytest.fixture
def admin(make_user, api_client_for):
    """Global admin and Admin agent: may cancel and reactivate Azure subscriptions."""
    return api_client_for(make_user(Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, email="ga-aa@a.example.com"))


@pytest.fixture
def global_admin_only(make_user, api_client_for):
    return api_client_for(make_user(Role.GLOBAL_ADMIN, email="ga-only@a.example.com"))


@pytest.fixture
def sales(make_user, api_client_for):
    return api_client_for(make_user(Role.SALES_AGENT, email="sales@a.example.com"))


def buy(agent, customer, reseller=None):
    """The Azure plan bought and provisioned through the services: (plan, its first Azure subscription)."""
    actor = actor_for_user(agent)
    line = plan_line(reseller=reseller.partner_id) if reseller else plan_line()
    cart = ordering_services.cart_create(actor=actor, customer=customer, items=[line])
    (order,) = ordering_services.cart_checkout(actor=actor, cart=cart)
    ordering_services.order_provision(order.pk)
    plan = AzurePlan.objects.get(order=order)
    return plan, plan.azure_subscriptions.get()


@pytest.fixture
def bought(agent, org):
    customer = buyable_customer(org)
    plan, sub = buy(agent, customer)
    return customer, plan, sub


def plan_url(plan):
    return f"/v1/customers/{plan.customer.tenant_id}/subscriptions/{plan.public_id}"


def entitlement_url(sub):
    return f"{plan_url(sub.plan)}/azureEntitlements/{sub.subscription_id}"


# ---------------------------------------------------------------- subscriptions


class TestSubscriptions:
    def test_list_and_get_shape(self, api, bought, samples):
        customer, plan, _sub = bought
        body = api.get(f"/v1/customers/{customer.tenant_id}/subscriptions").json()
        assert body["totalCount"] == 1 and body["attributes"] == {"objectType": "Collection"}
        (item,) = body["items"]
        expected = samples("list-subscriptions-catalog-item.response.json")
        del expected["items"][0]["cancellationAllowedUntilDate"]
        assert_has_fields(expected, body)
        assert {k: item[k] for k in ("id", "offerId", "offerName", "friendlyName", "quantity", "unitType", "status",
                                     "autoRenewEnabled", "billingType", "billingCycle", "commitmentEndDate",
                                     "partnerId", "orderId")} == {
            "id": str(plan.public_id), "offerId": AZURE_PLAN_US, "offerName": "Azure plan", "friendlyName": "Azure plan",
            "quantity": 1, "unitType": "Usage-based", "status": "active", "autoRenewEnabled": False,
            "billingType": "usage", "billingCycle": "one_time", "commitmentEndDate": "9999-12-31T00:00:00Z",
            "partnerId": "", "orderId": str(plan.order.public_id)}
        assert item["links"]["product"]["uri"] == "/products/DZH318Z0BPS6?country=US"
        assert item["links"]["availability"]["uri"] == \
            "/products/DZH318Z0BPS6/skus/0001/availabilities/DZH318Z0BML6?country=US"
        assert item["links"]["self"]["uri"] == f"/customers/{customer.tenant_id}/subscriptions/{plan.public_id}"
        assert item["attributes"]["objectType"] == "Subscription" and item["attributes"]["etag"]
        assert api.get(plan_url(plan)).json() == item
        # Partner Center's filters: by order, by reseller of record (mpn_id).
        url = f"/v1/customers/{customer.tenant_id}/subscriptions"
        assert api.get(url, {"order_id": str(plan.order.public_id)}).json()["totalCount"] == 1
        assert api.get(url, {"order_id": plan.order.alternate_id}).json()["totalCount"] == 1
        assert api.get(url, {"order_id": str(uuid.uuid4())}).json()["totalCount"] == 0
        assert api.get(url, {"order_id": "nope"}).json()["totalCount"] == 0
        assert api.get(url, {"mpn_id": "1234567"}).json()["totalCount"] == 0

    def test_indirect_reseller_is_the_partner_id(self, make_org, make_user, api_client_for):
        provider = make_org(tier=Tier.INDIRECT_PROVIDER, country=Country.objects.get(code="US"))
        reseller = make_org(tier=Tier.INDIRECT_RESELLER, provider=provider, country=Country.objects.get(code="US"))
        agent = make_user(Role.SALES_AGENT, organisation=provider, email="s@provider.example.com")
        plan, _sub = buy(agent, buyable_customer(provider), reseller=reseller)
        api = api_client_for(agent)
        assert api.get(plan_url(plan)).json()["partnerId"] == reseller.partner_id
        url = f"/v1/customers/{plan.customer.tenant_id}/subscriptions"
        assert api.get(url, {"mpn_id": reseller.partner_id}).json()["totalCount"] == 1

    def test_unknown_subscription_is_20003(self, api, bought):
        customer, _plan, _sub = bought
        for sub_id in (uuid.uuid4(), "nope"):
            url = f"/v1/customers/{customer.tenant_id}/subscriptions/{sub_id}"
            assert_error(api.get(url), 404, 20003)
            assert_error(api.patch(url, {"friendlyName": "x"}, format="json"), 404, 20003)
            assert_error(api.get(f"{url}/azureEntitlements"), 404, 20003)
        # The plan of another customer of the same partner is not this customer's.
        other = buyable_customer(customer.organisation)
        assert_error(api.get(f"/v1/customers/{other.tenant_id}/subscriptions/{_plan.public_id}"), 404, 20003)

    def test_rename_partial_and_full_body(self, sales, bought, samples):
        _customer, plan, _sub = bought
        response = sales.patch(plan_url(plan), {"FRIENDLYNAME": "Contoso Azure"}, format="json")
        assert response.status_code == 200, response.json()
        assert response.json()["friendlyName"] == "Contoso Azure"
        # The whole subscription as read (Microsoft's new-commerce rename example) with the same status: a Sales
        # agent may rename, the unchanged status is no suspension.
        body = {**samples("update-subscription-nce-friendlyname.request.normalized.json"), "status": "active",
                "friendlyName": "Renamed"}
        response = sales.patch(plan_url(plan), body, format="json", HTTP_IF_MATCH=response.json()["attributes"]["etag"])
        assert response.status_code == 200, response.json()
        assert response.json()["friendlyName"] == "Renamed"
        before = state()
        assert_error(sales.patch(plan_url(plan), {"friendlyName": " "}, format="json"), 400, 800002, "friendlyName")
        assert_error(sales.patch(plan_url(plan), {"status": "suspended"}, format="json"), 403, 2032)
        assert_error(sales.patch(plan_url(plan), {"quantity": 2}, format="json"), 400, 800002)
        assert state() == before

    def test_suspend_with_active_azure_subscriptions_is_900115_then_the_samples(self, api, admin, bought, samples):
        _customer, plan, sub = bought
        etag = api.get(plan_url(plan)).json()["attributes"]["etag"]
        suspend = samples("suspend-subscription.request.json")  # PascalCase, the .NET SDK's whole body
        before = state()
        body = assert_error(api.patch(plan_url(plan), suspend, format="json", HTTP_IF_MATCH=etag), 403, 900115)
        assert body["parameters"]["activeAzureSubscriptions"] == 1
        assert state() == before
        assert admin.post(f"{entitlement_url(sub)}/cancel", {"cancellationReason": "compromise"},
                          format="json").status_code == 202
        response = api.patch(plan_url(plan), suspend, format="json", HTTP_IF_MATCH=etag)
        assert response.status_code == 200, response.json()
        suspended = response.json()
        assert suspended["status"] == "suspended" and suspended["friendlyName"] == "nickname"
        assert suspended["attributes"]["etag"] != etag
        # An Azure subscription cannot be reactivated under a suspended plan.
        assert_error(admin.post(f"{entitlement_url(sub)}/reactivate"), 400, 900337)
        reactivate = samples("reactivate-subscription.request.json")
        assert_error(api.patch(plan_url(plan), reactivate, format="json", HTTP_IF_MATCH=etag), 412, 2055)
        assert AzurePlan.objects.get(pk=plan.pk).status == "suspended"
        response = api.patch(plan_url(plan), reactivate, format="json",
                             HTTP_IF_MATCH=suspended["attributes"]["etag"])
        assert response.status_code == 200 and response.json()["status"] == "active"
        assert_error(api.patch(plan_url(plan), {"status": "deleted"}, format="json"), 400, 800096, "status")

    def test_stale_etag_is_412(self, api, bought):
        _customer, plan, _sub = bought
        etag = api.get(plan_url(plan)).json()["attributes"]["etag"]
        assert api.patch(plan_url(plan), {"friendlyName": "One"}, format="json", HTTP_IF_MATCH=etag).status_code == 200
        before = state()
        assert_error(api.patch(plan_url(plan), {"friendlyName": "Two"}, format="json", HTTP_IF_MATCH=etag), 412, 2055)
        assert state() == before and AzurePlan.objects.get(pk=plan.pk).friendly_name == "One"

    def test_cancel_the_plan(self, api, admin, bought):
        _customer, plan, sub = bought
        before = state()
        assert_error(api.post(f"{plan_url(plan)}/cancel"), 403, 2032)  # Global admin only
        assert_error(admin.post(f"{plan_url(plan)}/cancel"), 403, 900115)
        assert state() == before
        admin.post(f"{entitlement_url(sub)}/cancel", {"cancellationReason": "unused"}, format="json")
        response = admin.post(f"{plan_url(plan)}/cancel")
        assert response.status_code == 200 and response.json()["status"] == "deleted"
        assert_error(api.patch(plan_url(plan), {"friendlyName": "x"}, format="json"), 400, 2011)


# ---------------------------------------------------------------- Azure entitlements


class TestAzureEntitlements:
    def test_list_and_get_match_microsoft_samples(self, api, bought, samples):
        _customer, plan, sub = bought
        body = api.get(f"{plan_url(plan)}/azureEntitlements").json()
        assert_has_fields(samples("list-azure-entitlements.response.json"), body)
        (item,) = body["items"]
        assert item == api.get(entitlement_url(sub)).json()
        assert_has_fields(samples("get-azure-entitlement.response.normalized.json"), item)
        assert (item["id"], item["subscriptionId"], item["status"], item["friendlyName"]) == (
            str(sub.subscription_id), str(plan.public_id), "active", "Azure subscription 1")
        assert item["links"]["self"]["uri"] == entitlement_url(sub).removeprefix("/v1")
        assert item["deleteAfter"] is None and item["pecEligible"] is True and "Owner" in item["pecReason"]
        assert item["attributes"]["objectType"] == "AzureEntitlement" and item["attributes"]["etag"]

    def test_unknown_entitlement_is_800111(self, api, admin, bought):
        _customer, plan, _sub = bought
        for ent_id in (uuid.uuid4(), "nope"):
            url = f"{plan_url(plan)}/azureEntitlements/{ent_id}"
            assert_error(api.get(url), 404, 800111)
            # Cancelling and reactivating need Global admin and Admin agent: checked before the id (403 first).
            assert_error(admin.post(f"{url}/cancel", {"cancellationReason": "compromise"}, format="json"), 404, 800111)
            assert_error(admin.post(f"{url}/reactivate"), 404, 800111)
            assert_error(api.get(f"{url}/roleAssignments"), 404, 800111)

    def test_create_and_rename(self, api, sales, bought):
        _customer, plan, sub = bought
        url = f"{plan_url(plan)}/azureEntitlements"
        before = state()
        assert_error(sales.post(url, {"friendlyName": "Dev"}, format="json"), 403, 2032)  # Admin agent
        assert_error(api.post(url, {"friendlyName": ""}, format="json"), 400, 800002, "friendlyName")
        assert_error(api.post(url, {"friendlyName": "x" * 65}, format="json"), 400, 800002, "friendlyName")
        assert state() == before
        response = api.post(url, {"FriendlyName": "Dev"}, format="json", HTTP_MS_REQUESTID="create-dev")
        assert response.status_code == 201, response.json()
        created = response.json()
        assert created["friendlyName"] == "Dev" and created["status"] == "active" and created["pecEligible"] is True
        assert response["Location"] == "/v1" + created["links"]["self"]["uri"]
        again = api.post(url, {"FriendlyName": "Dev"}, format="json", HTTP_MS_REQUESTID="create-dev")
        assert again.json() == created and plan.azure_subscriptions.count() == 2

        etag = api.get(entitlement_url(sub)).json()["attributes"]["etag"]
        response = api.patch(entitlement_url(sub), {"friendlyName": "Production"}, format="json", HTTP_IF_MATCH=etag)
        assert response.status_code == 200 and response.json()["friendlyName"] == "Production"
        before = state()
        assert_error(api.patch(entitlement_url(sub), {"friendlyName": "Stale"}, format="json", HTTP_IF_MATCH=etag),
                     412, 2055)
        assert state() == before and AzureSubscription.objects.get(pk=sub.pk).friendly_name == "Production"

    def test_cancel_needs_global_admin_and_admin_agent(self, api, global_admin_only, admin, bought, samples):
        _customer, _plan, sub = bought
        url = f"{entitlement_url(sub)}/cancel"
        reason = samples("cancel-azure-entitlement-body.request.json")
        before = state()
        for client in (global_admin_only, api):
            body = assert_error(client.post(url, reason, format="json"), 403, 2032)
            assert "Global admin" in body["description"] and "Admin agent" in body["description"]
        for bad in ({"cancellationReason": "boredom"}, {}, {"cancellationReason": None}):
            assert_error(admin.post(url, bad, format="json"), 400, 900307, "cancellationReason")
        assert state() == before
        response = admin.post(url, reason, format="json")
        assert response.status_code == 202, response.json()
        cancelled = response.json()
        assert cancelled["status"] == "inactive" and cancelled["deleteAfter"] and cancelled["pecEligible"] is False
        assert response["Location"] == "/v1" + cancelled["links"]["self"]["uri"]
        assert_has_fields(samples("cancel-azure-entitlement.response.normalized.json"), cancelled)
        assert_error(admin.post(url, reason, format="json"), 400, 800096)
        response = admin.post(f"{entitlement_url(sub)}/reactivate")
        assert response.status_code == 202 and response.json()["status"] == "active"
        assert response.json()["deleteAfter"] is None

    def test_reactivate_after_deletion_is_900337(self, admin, bought):
        _customer, _plan, sub = bought
        assert_error(admin.post(f"{entitlement_url(sub)}/reactivate"), 400, 900337)  # it is active
        admin.post(f"{entitlement_url(sub)}/cancel", {"cancellationReason": "compromise"}, format="json")
        assert plan_services.delete_expired_azure_subscriptions(now=timezone.now() + timedelta(days=89)) == 0
        # The periodic task, 91 days later (the API calls below stay in the present: the test token would expire).
        with time_machine.travel(timezone.now() + timedelta(days=91)):
            assert plan_services.delete_expired_azure_subscriptions(now=timezone.now()) == 1
        before = state()
        assert_error(admin.post(f"{entitlement_url(sub)}/reactivate"), 400, 900337)
        assert state() == before
        deleted = admin.get(entitlement_url(sub)).json()
        assert deleted["status"] == "deleted" and deleted["pecEligible"] is False
        assert_error(admin.patch(entitlement_url(sub), {"friendlyName": "Back"}, format="json"), 404, 800111)
        assert admin.get(f"{entitlement_url(sub)}/roleAssignments").json()["items"] == []  # removed at deletion
        role = {"principalType": "customer_user", "principalId": P1, "principalName": "U", "roleName": "Owner"}
        assert_error(admin.post(f"{entitlement_url(sub)}/roleAssignments", role, format="json"), 400, 800096)

    def test_eleven_in_one_bulk_cancel_is_990030(self, agent, make_user, bought):
        _customer, plan, _sub = bought
        for number in range(10):
            plan_services.azure_subscription_create(actor=actor_for_user(agent), plan=plan, name=f"Sub {number}")
        subs = list(plan.azure_subscriptions.all())
        admin = actor_for_user(make_user(Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, email="bulk@a.example.com"))
        before = state()
        with pytest.raises(errors.TooManyInOneSubmit) as exc:
            plan_services.azure_subscriptions_cancel(actor=admin, subs=subs, reason="unused")
        assert exc.value.code == 990030 and len(subs) == 11
        assert state() == before and plan.azure_subscriptions.filter(status="active").count() == 11


class TestRoleAssignments:
    def test_assign_remove_and_pec(self, api, sales, bought):
        _customer, _plan, sub = bought
        url = f"{entitlement_url(sub)}/roleAssignments"
        (owner,) = api.get(url).json()["items"]
        assert (owner["roleName"], owner["principalType"], owner["pecEligible"], owner["removedAt"]) == (
            "Owner", "partner_admin_agents", True, None)
        assert owner["scope"] == f"/subscriptions/{sub.subscription_id}" and owner["partnerId"] == \
            sub.plan.customer.organisation.partner_id
        body = {"PrincipalType": "customer_user", "principalId": P2, "principalName": "Customer user",
                "roleName": "Reader", "resourceGroup": "rg-web"}
        before = state()
        assert_error(sales.post(url, body, format="json"), 403, 2032)  # Admin agent
        assert_error(api.post(url, {**body, "roleName": "Wizard"}, format="json"), 400, 800002, "roleName")
        assert_error(api.post(url, {**body, "principalType": "robot"}, format="json"), 400, 800002, "principalType")
        assert state() == before
        response = api.post(url, body, format="json")
        assert response.status_code == 201, response.json()
        reader = response.json()
        assert reader["scope"] == f"/subscriptions/{sub.subscription_id}/resourceGroups/rg-web"
        assert reader["pecEligible"] is False and reader["attributes"] == {"objectType": "RoleAssignment"}
        assert_error(api.post(url, body, format="json"), 400, 800002, "roleName")  # already held

        response = api.post(f"{url}/{owner['id']}/remove")
        assert response.status_code == 200 and response.json()["removedAt"]
        assert api.post(f"{url}/{owner['id']}/remove", HTTP_MS_REQUESTID="again").json()["removedAt"] == \
            response.json()["removedAt"]
        entitlement = api.get(entitlement_url(sub)).json()
        assert entitlement["pecEligible"] is False and "Only other principals" in entitlement["pecReason"]
        assert [r["roleName"] for r in api.get(url).json()["items"]] == ["Reader"]
        assert len(api.get(url, {"includeRemoved": "true"}).json()["items"]) == 2
        assert_error(api.get(url, {"includeRemoved": "maybe"}), 400, 800002, "includeRemoved")
        assert_error(api.post(f"{url}/{uuid.uuid4()}/remove"), 404, 1000)
        assert RoleAssignment.objects.filter(azure_subscription=sub).count() == 2

    def test_azure_roles(self, api):
        body = api.get("/v1/azureRoles").json()
        roles = {item["name"]: item["pecEligible"] for item in body["items"]}
        assert body["totalCount"] == AzureRole.objects.count() and roles["Owner"] is True and roles["Reader"] is False
        assert body["items"][0]["attributes"] == {"objectType": "AzureRole"}


def test_service_plan_update_with_the_current_status_needs_no_suspend_role(make_user, bought):
    """plan_services.plan_update: a whole-body PATCH repeats the current status; that is a rename, not a suspension."""
    from core.errors import PermissionDenied

    _customer, plan, _sub = bought
    sales = actor_for_user(make_user(Role.SALES_AGENT, email="s2@a.example.com"))
    plan = plan_services.plan_update(actor=sales, plan=plan, status="active", friendly_name="Renamed")
    assert (plan.status, plan.friendly_name) == ("active", "Renamed")
    with pytest.raises(PermissionDenied):
        plan_services.plan_update(actor=sales, plan=plan, status="suspended")
    assert AzurePlan.objects.get(pk=plan.pk).status == "active"
