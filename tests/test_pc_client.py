"""Where a Partner Center client broke against our /v1: bodies Microsoft's SDK and PowerShell module send, enum values
and names in any case (Json.NET), our own code for a rule Partner Center has no code for, Microsoft's remove-DAP body
and the billing profile's own contact name."""

import json
from urllib.parse import quote

import pytest

from accounts.actors import actor_for_user
from accounts.choices import Role
from azureplan.models import AzurePlan, Cart
from azureplan.tests.factories import AZURE_PLAN_US, buyable_customer, legacy_estate
from core.models import AuditEvent
from core.testing import assert_error, load_fixture
from customers.models import Customer
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(make_user):
    return make_user(Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, email="agent@a.example.com")


@pytest.fixture
def api(api_client_for, agent):
    return api_client_for(agent)


@pytest.fixture
def customer(org):
    return buyable_customer(org, company_name="Fabrikam", domain="fabrikam-pc.onmicrosoft.com")


# ---------------------------------------------------------------- item 3: friendlyName on the Azure plan line


def test_powershell_cart_body_with_friendly_name_is_accepted_and_names_the_plan(api, customer):
    body = load_fixture("create-cart-azure-plan-powershell.request.json")
    response = api.post(f"/v1/customers/{customer.tenant_id}/carts", body, format="json")
    assert response.status_code == 201, response.content
    line = response.json()["lineItems"][0]
    assert line["friendlyName"] == "Microsoft Azure Plan"
    assert line["billingCycle"] == "one_time"  # answered in Partner Center's spelling
    cart_id = response.json()["id"]
    response = api.post(f"/v1/customers/{customer.tenant_id}/carts/{cart_id}/checkout", format="json")
    assert response.status_code == 201, response.content
    plan = AzurePlan.objects.get(customer=customer)
    assert plan.friendly_name == "Microsoft Azure Plan"
    assert response.json()["orders"][0]["lineItems"][0]["friendlyName"] == "Microsoft Azure Plan"


def test_a_friendly_name_over_128_characters_is_refused_and_nothing_is_stored(api, customer):
    body = {"lineItems": [{"catalogItemId": AZURE_PLAN_US, "quantity": 1, "friendlyName": "x" * 129}]}
    response = api.post(f"/v1/customers/{customer.tenant_id}/carts", body, format="json")
    assert_error(response, 400, 800009, "friendlyName")
    assert Cart.objects.count() == 0


def test_an_order_line_with_friendly_name_names_the_plan(api, customer):
    body = {"lineItems": [{"lineItemNumber": 0, "offerId": AZURE_PLAN_US, "quantity": 1,
                           "friendlyName": "Contoso production"}], "billingCycle": "OneTime"}
    response = api.post(f"/v1/customers/{customer.tenant_id}/orders", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["billingCycle"] == "one_time"
    assert AzurePlan.objects.get(customer=customer).friendly_name == "Contoso production"


# ---------------------------------------------------------------- item 4: our own code for "legacy Azure present"


def test_legacy_azure_present_answers_our_own_code_not_partner_centers_900128(api, agent, customer):
    legacy_estate(actor_for_user(agent), customer, 1)
    cart = api.post(f"/v1/customers/{customer.tenant_id}/carts",
                    {"lineItems": [{"catalogItemId": AZURE_PLAN_US, "quantity": 1}]}, format="json").json()
    response = api.post(f"/v1/customers/{customer.tenant_id}/carts/{cart['id']}/checkout", format="json")
    body = assert_error(response, 403, 990050, name="LegacyAzureSubscriptionsPresent")
    assert body["code"] != 900128
    assert AzurePlan.objects.count() == 0


# ---------------------------------------------------------------- item 5: any case on input


@pytest.mark.parametrize("cycle", ["OneTime", "ONE_TIME", "onetime", "One_Time"])
def test_billing_cycle_in_any_case(api, customer, cycle):
    body = {"LineItems": [{"CatalogItemId": AZURE_PLAN_US, "Quantity": 1, "BillingCycle": cycle}]}
    response = api.post(f"/v1/customers/{customer.tenant_id}/carts", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["lineItems"][0]["billingCycle"] == "one_time"


def test_an_unknown_billing_cycle_is_still_refused(api, customer):
    body = {"lineItems": [{"catalogItemId": AZURE_PLAN_US, "quantity": 1, "billingCycle": "Monthly"}]}
    assert_error(api.post(f"/v1/customers/{customer.tenant_id}/carts", body, format="json"), 400, 800009,
                 "billingCycle")
    assert Cart.objects.count() == 0


@pytest.mark.parametrize("raw", [
    {"Field": "CompanyName", "Value": "fab", "Operator": "starts_with"},
    {"field": "companyname", "value": "fab", "operator": "starts_with"},
    {"FIELD": "COMPANY_NAME", "VALUE": "fab", "OPERATOR": "StartsWith"},
])
def test_customer_filter_names_and_values_in_any_case(api, customer, org, raw):
    CustomerFactory(organisation=org, company_name="Other Co", domain="other-co.onmicrosoft.com")
    response = api.get("/v1/customers?filter=" + quote(json.dumps(raw)))
    assert response.status_code == 200, response.content
    assert [item["companyProfile"]["companyName"] for item in response.json()["items"]] == ["Fabrikam"]


def test_enum_values_of_plans_in_any_case(api, agent, customer):
    from azureplan.tests.factories import azure_plan_with_subscriptions

    plan = azure_plan_with_subscriptions(customer=customer, n=1)
    sub = plan.azure_subscriptions.first()
    base = f"/v1/customers/{customer.tenant_id}/subscriptions/{plan.public_id}/azureEntitlements/{sub.subscription_id}"
    response = api.post(f"{base}/roleAssignments", {"principalType": "CustomerUser",
                                                    "principalId": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
                                                    "principalName": "Jo", "roleName": "Reader"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["principalType"] == "customer_user"
    response = api.post(f"{base}/cancel", {"cancellationReason": "CustomerRequest"}, format="json")
    assert response.status_code == 202, response.content
    sub.refresh_from_db()
    assert sub.cancellation_reason == "customer_request"


def test_indirect_reseller_principal_type_in_any_case():
    from azureplan.choices import PrincipalType
    from core.casing import match_choice

    assert match_choice("IndirectReseller", PrincipalType.values) == "indirect_reseller"
    assert match_choice("Indirect_Reseller", PrincipalType.values) == "indirect_reseller"
    assert match_choice("reseller", PrincipalType.values) is None


# ---------------------------------------------------------------- item 6: remove-DAP


def test_remove_dap_body_removes_delegated_access_and_is_audited(api, customer):
    Customer.objects.filter(pk=customer.pk).update(allow_delegated_access=True)
    body = {"AllowDelegatedAccess": False, "attributes": {"objectType": "Customer"}}  # Microsoft's remove-DAP body
    response = api.patch(f"/v1/customers/{customer.tenant_id}", body, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["allowDelegatedAccess"] is False
    assert response.json()["relationshipToPartner"] == "reseller"
    customer.refresh_from_db()
    assert customer.allow_delegated_access is False and customer.has_relationship
    assert AuditEvent.objects.filter(action="customer.delegated_access_removed").count() == 1
    # Again: the same answer, nothing more recorded.
    assert api.patch(f"/v1/customers/{customer.tenant_id}", body, format="json").status_code == 200
    assert AuditEvent.objects.filter(action="customer.delegated_access_removed").count() == 1


def test_granting_delegated_access_by_patch_is_refused(api, customer):
    response = api.patch(f"/v1/customers/{customer.tenant_id}", {"allowDelegatedAccess": True}, format="json")
    assert_error(response, 400, 800002, "allowDelegatedAccess")
    customer.refresh_from_db()
    assert customer.allow_delegated_access is False


def test_remove_dap_needs_a_role_that_edits_customers(make_user, api_client_for, customer):
    Customer.objects.filter(pk=customer.pk).update(allow_delegated_access=True)
    billing = api_client_for(make_user(Role.BILLING_ADMIN, email="billing@a.example.com"))
    response = billing.patch(f"/v1/customers/{customer.tenant_id}", {"AllowDelegatedAccess": False}, format="json")
    assert_error(response, 403, 2032)
    customer.refresh_from_db()
    assert customer.allow_delegated_access is True


# ---------------------------------------------------------------- item 7: billing profile contact name


def test_billing_profile_put_applies_the_top_level_first_and_last_name(api, customer):
    path = f"/v1/customers/{customer.tenant_id}/profiles/billing"
    profile = api.get(path).json()
    profile["firstName"], profile["lastName"] = "Renée", "Okafor"  # defaultAddress keeps the old names, as read
    response = api.put(path, profile, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["firstName"], response.json()["lastName"]) == ("Renée", "Okafor")
    customer.refresh_from_db()
    assert (customer.first_name, customer.last_name) == ("Renée", "Okafor")


def test_billing_profile_put_still_applies_a_changed_address_name(api, customer):
    path = f"/v1/customers/{customer.tenant_id}/profiles/billing"
    profile = api.get(path).json()
    profile["defaultAddress"]["firstName"] = "Kim"
    response = api.put(path, profile, format="json")
    assert response.status_code == 200, response.content
    customer.refresh_from_db()
    assert customer.first_name == "Kim"


# ---------------------------------------------------------------- item 2: routes of the Azure plan flow


def test_agreement_template_document_as_microsofts_sample(api):
    from core.testing import request_path

    response = api.get("/v1" + request_path("get-agreement-template-document.request.http"))
    assert response.status_code == 200, response.content
    sample = load_fixture("get-agreement-template-document.response.json")
    assert set(response.json()) == set(sample)
    assert response.json()["language"] == "en-US" and response.json()["country"] == "US"
    assert response.json()["displayUri"] == "https://aka.ms/customeragreement"


def test_agreement_template_document_defaults_and_any_case(api):
    path = "/v1/agreementtemplates/117a77b0-9360-443b-8795-c6dedc750cf9/document"
    assert api.get(path).json()["language"] == "en-US"
    body = api.get(path + "?Language=fr-fr&Country=fr").json()
    assert (body["language"], body["country"]) == ("fr-FR", "FR")


@pytest.mark.parametrize(("path", "status", "field"), [
    ("/v1/agreementtemplates/00000000-0000-0000-0000-000000000000/document", 404, None),
    ("/v1/agreementtemplates/not-a-guid/document", 404, None),
    ("/v1/agreementtemplates/117a77b0-9360-443b-8795-c6dedc750cf9/document?country=QQ", 400, "country"),
    ("/v1/agreementtemplates/117a77b0-9360-443b-8795-c6dedc750cf9/document?language=english!", 400, "language"),
])
def test_agreement_template_document_refusals(api, path, status, field):
    assert_error(api.get(path), status, field=field)


def test_subscription_provisioning_status_of_the_azure_plan(api, agent, customer):
    body = {"lineItems": [{"lineItemNumber": 0, "offerId": AZURE_PLAN_US, "quantity": 1}]}
    assert api.post(f"/v1/customers/{customer.tenant_id}/orders", body, format="json").status_code == 201
    plan = AzurePlan.objects.get(customer=customer)
    path = f"/v1/customers/{customer.tenant_id}/subscriptions/{plan.public_id}/provisioningstatus"
    response = api.get(path)
    assert response.status_code == 200, response.content
    sample = load_fixture("get-subscription-provisioning-status.response.json")
    assert set(response.json()) == set(sample)
    assert response.json()["status"] == "pending" and response.json()["skuId"] == "0001"
    assert response.json()["attributes"] == {"objectType": "SubscriptionProvisioningStatus"}
    AzurePlan.objects.filter(pk=plan.pk).update(status="active")
    assert api.get(path).json()["status"] == "success"


def test_subscription_provisioning_status_of_a_legacy_subscription_and_unknown_ids(api, agent, customer):
    from azureplan.models import LegacySubscription

    legacy_estate(actor_for_user(agent), customer, 1)
    legacy = LegacySubscription.objects.get(customer=customer)
    base = f"/v1/customers/{customer.tenant_id}/subscriptions"
    assert api.get(f"{base}/{legacy.public_id}/provisioningstatus").json()["status"] == "success"
    assert_error(api.get(f"{base}/00000000-0000-0000-0000-000000000000/provisioningstatus"), 404, 20003)


def test_order_provisioning_status_route_exists(api, customer):
    body = {"lineItems": [{"lineItemNumber": 0, "offerId": AZURE_PLAN_US, "quantity": 1}]}
    order = api.post(f"/v1/customers/{customer.tenant_id}/orders", body, format="json").json()
    response = api.get(f"/v1/customers/{customer.tenant_id}/orders/{order['id']}/provisioningstatus")
    assert response.status_code == 200
    assert response.json()["items"][0]["status"] in ("fulfilled", "unfulfilled")
