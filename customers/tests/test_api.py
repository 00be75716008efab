"""The /v1/ API of customers, profiles, domains and reseller relationship requests.

Microsoft's published examples (tests/fixtures/partnercenter, the `samples` fixture) are replayed as they are.
"""

import json
import uuid
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.choices import Role, Tier
from accounts.models import Country
from core.models import AuditEvent, IdempotencyRecord
from core.testing import assert_error, assert_has_fields, request_path
from customers import services
from customers.models import Customer, RelationshipRequest
from customers.registry import ActiveItems

from .factories import CustomerFactory

pytestmark = pytest.mark.django_db


def state():
    """What a refused request must leave untouched."""
    return (list(Customer.objects.order_by("pk").values_list("pk", "version", "relationship", "reseller_id", "city",
                                                               "email")),
            AuditEvent.objects.count(), RelationshipRequest.objects.count())


def valid_body(**overrides):
    body = {
        "companyProfile": {"domain": "fabrikam.onmicrosoft.com", "companyName": "Fabrikam"},
        "billingProfile": {
            "email": "ap@fabrikam.example.com", "culture": "en-US", "language": "en", "companyName": "Fabrikam Inc",
            "defaultAddress": {"firstName": "Pat", "lastName": "Lee", "addressLine1": "1 Main Street",
                               "city": "Redmond", "state": "WA", "postalCode": "98052", "country": "US"},
        },
    }
    body.update(overrides)
    return body


@pytest.fixture
def agent(make_user):
    return make_user(Role.ADMIN_AGENT, Role.SALES_AGENT, email="agent@a.example.com")


@pytest.fixture
def indirect(make_org, make_user, api_client_for):
    provider = make_org(tier=Tier.INDIRECT_PROVIDER)
    reseller = make_org(tier=Tier.INDIRECT_RESELLER, provider=provider)
    user = make_user(Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, organisation=provider)
    return {"provider": provider, "reseller": reseller, "api": api_client_for(user)}


class TestCreate:
    def test_microsoft_sample_as_is(self, api, samples):
        request = samples("create-customer.request.normalized.json")
        expected = samples("create-customer.response.json")
        response = api.post("/v1/customers", request, format="json")
        assert response.status_code == 201, response.json()
        body = response.json()
        assert_has_fields(expected, body)
        assert body["id"] == body["companyProfile"]["tenantId"]
        assert response["Location"] == f"/v1/customers/{body['id']}"
        uuid.UUID(body["commerceId"])
        uuid.UUID(body["billingProfile"]["id"])
        assert body["companyProfile"]["domain"] == expected["companyProfile"]["domain"]
        for key in ("email", "culture", "language", "companyName"):
            assert body["billingProfile"][key] == expected["billingProfile"][key], key
        for key, value in expected["billingProfile"]["defaultAddress"].items():
            assert body["billingProfile"]["defaultAddress"][key] == value, key
        assert body["companyProfile"]["attributes"]["objectType"] == "CustomerCompanyProfile"
        assert body["billingProfile"]["attributes"]["objectType"] == "CustomerBillingProfile"
        assert body["billingProfile"]["attributes"]["etag"]
        assert body["attributes"] == {"objectType": "Customer"}
        assert body["enableGDAPByDefault"] is False
        assert body["userCredentials"]["userName"] and body["userCredentials"]["password"]
        customer = Customer.objects.get(tenant_id=body["id"])
        # the sample has no companyProfile.companyName: the billing company name stands in
        assert customer.company_name == "test company" == body["companyProfile"]["companyName"]
        assert customer.culture == "en-US" and customer.relationship == "reseller"

    def test_replay_never_stores_the_password(self, api):
        first = api.post("/v1/customers", valid_body(), format="json", HTTP_MS_REQUESTID="create-1")
        second = api.post("/v1/customers", valid_body(), format="json", HTTP_MS_REQUESTID="create-1")
        assert first.status_code == second.status_code == 201
        password = first.json()["userCredentials"]["password"]
        assert second["Idempotency-Replayed"] == "true" and second["Idempotency-Redacted"] == "userCredentials"
        assert second.json()["userCredentials"] is None
        assert second.json()["id"] == first.json()["id"]
        assert Customer.objects.count() == 1
        record = IdempotencyRecord.objects.get(key="create-1")
        assert password not in json.dumps(record.response_body)

    def test_company_name_registration_and_gdap_echo(self, api):
        body = valid_body(enableGDAPByDefault=True)
        response = api.post("/v1/customers", body, format="json")
        assert response.status_code == 201
        data = response.json()
        assert data["companyProfile"]["companyName"] == "Fabrikam"
        assert data["billingProfile"]["companyName"] == "Fabrikam Inc"
        assert data["enableGDAPByDefault"] is True
        assert "associatedPartnerId" not in data

    @pytest.mark.parametrize("change,field,code", [
        (lambda b: b.pop("companyProfile"), "companyProfile", 800002),
        (lambda b: b.pop("billingProfile"), "billingProfile", 800002),
        (lambda b: b["companyProfile"].pop("domain"), "companyProfile.domain", 800002),
        (lambda b: b["companyProfile"].update(domain="not a domain"), "companyProfile.domain", 800002),
        (lambda b: b["companyProfile"].update(domain="Taken.onmicrosoft.com"), "companyProfile.domain", 800002),
        (lambda b: (b["companyProfile"].pop("companyName"), b["billingProfile"].pop("companyName")),
         "companyProfile.companyName", 800002),
        (lambda b: b["billingProfile"].update(email="nope"), "billingProfile.email", 800002),
        (lambda b: b["billingProfile"].update(culture="english"), "billingProfile.culture", 800002),
        (lambda b: b["billingProfile"].update(culture="xx"), "billingProfile.culture", 800002),
        (lambda b: b["billingProfile"].update(culture="en-XX"), "billingProfile.culture", 800002),
        (lambda b: b["billingProfile"].pop("defaultAddress"), "billingProfile.defaultAddress", 800002),
        (lambda b: b["billingProfile"]["defaultAddress"].pop("city"), "billingProfile.defaultAddress.city", 800002),
        (lambda b: b["billingProfile"]["defaultAddress"].update(city={"name": "x"}),
         "billingProfile.defaultAddress.city", 800002),
        (lambda b: b["billingProfile"]["defaultAddress"].update(lastName="x" * 51),
         "billingProfile.defaultAddress.lastName", 800002),
        (lambda b: b["billingProfile"]["defaultAddress"].update(country="ZZ"),
         "billingProfile.defaultAddress.country", 800002),
        (lambda b: b["billingProfile"]["defaultAddress"].update(country="FR", state=""),
         "billingProfile.defaultAddress.country", 2030),
        (lambda b: b["billingProfile"]["defaultAddress"].update(phoneNumber="call me"),
         "billingProfile.defaultAddress.phoneNumber", 800002),
        (lambda b: b["companyProfile"].update(organizationRegistrationNumber="123456"),
         "companyProfile.organizationRegistrationNumber", 600002),
        (lambda b: b.update(associatedPartnerId="1234567"), "associatedPartnerId", 800002),
        (lambda b: b.update(enableGDAPByDefault="maybe"), "enableGDAPByDefault", 800002),
    ])
    def test_invalid_input_names_the_field_and_changes_nothing(self, api, other_org, change, field, code):
        CustomerFactory(organisation=other_org, domain="taken.onmicrosoft.com")  # domains are unique across partners
        body = valid_body()
        change(body)
        before = state()
        response = api.post("/v1/customers", body, format="json")
        assert response.status_code == 400, response.json()
        error = response.json()
        assert error["code"] == code and error["parameters"]["field"] == field, error
        assert state() == before

    def test_a_culture_without_its_country_is_a_400_saying_what_to_write(self, api):
        before = state()
        body = valid_body()
        body["billingProfile"]["culture"] = "xx"
        response = api.post("/v1/customers", body, format="json")
        body_of_error = assert_error(response, 400, 800002, "billingProfile.culture")
        assert body_of_error["description"] == ("xx is not a culture: write a language and a country, such as "
                                                "en-US or fr-FR.")
        assert state() == before
        for too_long in ("fil-Latn-PH", "ast-Latn-ES"):  # well formed, but longer than the column: a 400, not a 500
            body["billingProfile"]["culture"] = too_long
            assert_error(api.post("/v1/customers", body, format="json"), 400, 800002, "billingProfile.culture")
        assert state() == before
        body["billingProfile"]["culture"] = "en-US"
        body["billingProfile"]["defaultAddress"]["phoneNumber"] = "+1 (425) 555-0199 / 555-0100 / 555-0101"
        error = assert_error(api.post("/v1/customers", body, format="json"), 400, 800002)
        assert error["description"] == "The phone number has at most 30 characters."  # said as such, not its shape
        body["billingProfile"]["defaultAddress"]["phoneNumber"] = "+1 425 555 0199"
        assert state() == before
        body["billingProfile"]["culture"] = "fr-fr"
        assert api.post("/v1/customers", body, format="json").status_code == 201
        assert Customer.objects.get(domain="fabrikam.onmicrosoft.com").culture == "fr-FR"

    def test_registration_number_and_phone_where_mandatory(self, make_org, make_user, api_client_for):
        poland = make_org(country=Country.objects.get(code="PL"))
        client = api_client_for(make_user(Role.SALES_AGENT, organisation=poland))
        body = valid_body()
        body["billingProfile"]["defaultAddress"].update(country="PL", state="", city="Warszawa", postalCode="00-001")
        cases = [({}, 600049, "OrganizationRegistrationIdMissing"),
                 ({"organizationRegistrationNumber": "?"}, 600050, "OrganizationRegistrationIdInvalid"),
                 ({"organizationRegistrationNumber": "PL1234567"}, 600051, "CustomerPhoneNumberMissing")]
        for company, code, name in cases:
            attempt = json.loads(json.dumps(body))
            attempt["companyProfile"].update(company)
            response = client.post("/v1/customers", attempt, format="json")
            assert_error(response, 400, code, name=name)
        assert not Customer.objects.exists()
        body["companyProfile"]["organizationRegistrationNumber"] = "PL1234567"
        body["billingProfile"]["defaultAddress"]["phoneNumber"] = "+48 22 000 00 00"
        response = client.post("/v1/customers", body, format="json")
        assert response.status_code == 201, response.json()
        assert response.json()["companyProfile"]["organizationRegistrationNumber"] == "PL1234567"

    def test_malformed_bodies(self, api):
        assert api.post("/v1/customers", data='{"companyProfile": ', content_type="application/json").status_code == 400
        response = api.post("/v1/customers", data="[]", content_type="application/json")
        assert_error(response, 400, 800002)
        assert not Customer.objects.exists()

    @pytest.mark.parametrize("role", [Role.BILLING_ADMIN, Role.HELPDESK_AGENT])
    def test_roles_that_may_not(self, make_user, api_client_for, role):
        response = api_client_for(make_user(role)).post("/v1/customers", valid_body(), format="json")
        assert_error(response, 403, 2032)
        assert not Customer.objects.exists()

    def test_indirect_provider_names_the_reseller(self, indirect):
        reseller = indirect["reseller"]
        body = valid_body(associatedPartnerId=reseller.partner_id)
        response = indirect["api"].post("/v1/customers", body, format="json")
        assert response.status_code == 201, response.json()
        assert response.json()["associatedPartnerId"] == str(reseller.tenant_id)
        body = valid_body(associatedPartnerId=str(reseller.tenant_id))
        body["companyProfile"]["domain"] = "second.onmicrosoft.com"
        assert indirect["api"].post("/v1/customers", body, format="json").status_code == 201
        assert Customer.objects.filter(reseller=reseller).count() == 2

    def test_needs_a_token(self):
        response = APIClient().post("/v1/customers", valid_body(), format="json")
        assert response.status_code == 401 and not Customer.objects.exists()


class TestList:
    def test_seek_paging_over_seven_customers(self, api, org, other_org):
        for i in range(7):
            CustomerFactory(organisation=org, company_name=f"Company {6 - i}")
        CustomerFactory(organisation=other_org, company_name="Company of B")
        seen = []
        response = api.get("/v1/customers?size=3")
        pages = 0
        while True:
            body = response.json()
            assert response.status_code == 200, body
            assert body["totalCount"] == len(body["items"]) <= 3
            assert body["attributes"] == {"objectType": "Collection"}
            for item in body["items"]:
                assert "billingProfile" not in item
                assert item["attributes"] == {"objectType": "Customer"}
                assert item["companyProfile"]["tenantId"] == item["id"]
                assert item["links"]["self"]["uri"] == f"/customers/{item['id']}"
            seen += [item["companyProfile"]["companyName"] for item in body["items"]]
            pages += 1
            if "next" not in body["links"]:
                assert "continuationToken" not in body
                break
            nxt = body["links"]["next"]
            assert nxt["uri"].startswith("/customers?") and "seekOperation=Next" in nxt["uri"]
            assert nxt["headers"] == [{"key": "MS-ContinuationToken", "value": body["continuationToken"]}]
            response = api.get("/v1" + nxt["uri"], HTTP_MS_CONTINUATIONTOKEN=body["continuationToken"])
        assert pages == 3
        assert seen == [f"Company {i}" for i in range(7)]

    def test_microsoft_list_request_and_fields(self, api, org, samples):
        CustomerFactory.create_batch(2, organisation=org)
        response = api.get("/v1" + request_path("list-customers.request.http"))
        assert response.status_code == 200
        body = response.json()
        assert_has_fields(samples("list-customers.response.json"), body)
        assert body["links"]["self"]["uri"] == "/customers?size=40"

    def test_query_by_company_name_replays_microsoft_request(self, api, org, samples):
        CustomerFactory(organisation=org, company_name="Contoso", domain="contosocorpco.onmicrosoft.com")
        CustomerFactory(organisation=org, company_name="contoso190", domain="c190.onmicrosoft.com")
        CustomerFactory(organisation=org, company_name="Fabrikam", domain="contosofab.onmicrosoft.com")
        response = api.get("/v1" + request_path("query-customers-by-companyname.request.http"))
        assert response.status_code == 200, response.json()
        body = response.json()
        assert_has_fields(samples("query-customers-by-companyname.response.json"), body)
        assert [i["companyProfile"]["companyName"] for i in body["items"]] == ["Contoso", "contoso190"]

    def test_filter_by_domain_and_company_name(self, api, org):
        CustomerFactory(organisation=org, company_name="Contoso", domain="contoso.onmicrosoft.com")
        CustomerFactory(organisation=org, company_name="Fabrikam", domain="contosofab.onmicrosoft.com")
        CustomerFactory(organisation=org, company_name="Northwind", domain="northwind.onmicrosoft.com")

        def names(field, value):
            query = quote(json.dumps({"Field": field, "Value": value, "Operator": "starts_with"}))
            response = api.get(f"/v1/customers?size=0&filter={query}")
            assert response.status_code == 200, response.json()
            return [i["companyProfile"]["companyName"] for i in response.json()["items"]]

        assert names("Domain", "CONTOSO") == ["Contoso", "Fabrikam"]
        assert names("CompanyName", "cont") == ["Contoso"]
        assert names("CompanyName", "zzz") == []
        for bad in ('{"Field":"Email","Value":"a","Operator":"starts_with"}',
                    '{"Field":"Domain","Value":"a","Operator":"equals"}', "not json"):
            response = api.get(f"/v1/customers?filter={quote(bad)}")
            assert response.status_code == 400 and response.json()["parameters"]["field"] == "filter"

    def test_extension_parameters(self, api, org, indirect):
        CustomerFactory(organisation=org, company_name="Contoso", domain="contoso.onmicrosoft.com")
        CustomerFactory(organisation=org, company_name="Fabrikam", domain="fabrikam.onmicrosoft.com")
        items = api.get("/v1/customers?search=fab").json()["items"]
        assert [i["companyProfile"]["companyName"] for i in items] == ["Fabrikam"]
        assert len(api.get("/v1/customers?country=us").json()["items"]) == 2
        assert api.get("/v1/customers?country=FR").json()["items"] == []
        reseller = indirect["reseller"]
        CustomerFactory(organisation=indirect["provider"], reseller=reseller, company_name="Resold")
        CustomerFactory(organisation=indirect["provider"], company_name="Own")
        items = indirect["api"].get(f"/v1/customers?reseller={reseller.partner_id}").json()["items"]
        assert [i["companyProfile"]["companyName"] for i in items] == ["Resold"]
        assert items[0]["associatedPartnerId"] == str(reseller.tenant_id)

    def test_bad_paging_input(self, api):
        assert api.get("/v1/customers?size=abc").json()["parameters"]["field"] == "size"
        response = api.get("/v1/customers?size=2", HTTP_MS_CONTINUATIONTOKEN="forged")
        assert response.status_code == 400 and response.json()["parameters"]["field"] == "MS-ContinuationToken"

    def test_query_count_does_not_grow_with_the_page(self, api, org, django_assert_max_num_queries):
        for i in range(50):
            CustomerFactory(organisation=org, company_name=f"Company {i:02d}")
        with CaptureQueriesContext(connection) as small:
            assert len(api.get("/v1/customers?size=5").json()["items"]) == 5
        with django_assert_max_num_queries(len(small.captured_queries)):
            assert len(api.get("/v1/customers?size=50").json()["items"]) == 50
        assert len(small.captured_queries) <= 4  # token, its last use, the page


class TestDetail:
    def test_fields_of_microsoft_example(self, api, org, samples):
        customer = CustomerFactory(organisation=org, allow_delegated_access=True, phone_number="1234567890")
        response = api.get(f"/v1/customers/{customer.tenant_id}")
        assert response.status_code == 200
        body = response.json()
        expected = samples("get-customer.response.json")
        # Our company profile carries no `address` / `email` copy: the billing profile holds them.
        expected["companyProfile"].pop("address")
        expected["companyProfile"].pop("email")
        assert_has_fields(expected, body)
        assert body["allowDelegatedAccess"] is True
        assert body["customDomains"] == [customer.domain]
        assert body["links"]["self"] == {"uri": f"/customers/{customer.tenant_id}", "method": "GET", "headers": []}
        assert body["billingProfile"]["links"]["self"]["uri"] == f"/customers/{customer.tenant_id}/profiles/billing"
        assert "associatedPartnerId" not in body

    def test_associated_partner_id_when_set(self, indirect):
        customer = CustomerFactory(organisation=indirect["provider"], reseller=indirect["reseller"])
        body = indirect["api"].get(f"/v1/customers/{customer.tenant_id}").json()
        assert body["associatedPartnerId"] == str(indirect["reseller"].tenant_id)

    @pytest.mark.parametrize("suffix", ["", "/profiles/company", "/profiles/billing"])
    def test_unknown_malformed_and_foreign_ids(self, api, other_org, suffix):
        foreign = CustomerFactory(organisation=other_org)
        for customer_id in (uuid.uuid4(), "not-a-guid", foreign.tenant_id):
            response = api.get(f"/v1/customers/{customer_id}{suffix}")
            assert_error(response, 404, 1000)

    def test_relationship_requests_is_not_a_customer_id(self, api_client_for, agent):
        response = api_client_for(agent).get("/v1/customers/relationshiprequests")
        assert response.status_code == 200 and "url" in response.json()


class TestPatch:
    def test_remove_relationship_with_microsoft_body(self, api, org, samples):
        customer = CustomerFactory(organisation=org)
        response = api.patch(f"/v1/customers/{customer.tenant_id}", samples("remove-reseller-relationship.request.json"),
                             format="json")
        assert response.status_code == 200, response.json()
        body = response.json()
        assert body["relationshipToPartner"] == "none"
        assert {k[0].lower() + k[1:] for k in samples("remove-reseller-relationship.response.json")} <= set(body) | {
            "userCredentials", "associatedPartnerId"}
        customer.refresh_from_db()
        assert customer.relationship == "none" and customer.relationship_removed_at
        # removed customers leave the list, and a second removal conflicts
        assert api.get("/v1/customers").json()["items"] == []
        before = state()
        response = api.patch(f"/v1/customers/{customer.tenant_id}", {"RelationshipToPartner": "None"}, format="json")
        assert response.status_code == 409
        assert state() == before

    def test_refused_while_subscriptions_are_active(self, api, org):
        customer = CustomerFactory(organisation=org)
        services.ACTIVE_SUBSCRIPTION_COUNTERS.append(
            lambda c: [ActiveItems(2, "2 active things")] if c.pk == customer.pk else [])
        try:
            before = state()
            response = api.patch(f"/v1/customers/{customer.tenant_id}", {"relationshipToPartner": "none"},
                                 format="json")
            assert response.status_code == 409
            body = response.json()
            assert body["code"] == 990020 and body["errorName"] == "ActiveSubscriptionsExist"
            assert body["parameters"]["activeSubscriptions"] == 2
            assert state() == before
        finally:
            services.ACTIVE_SUBSCRIPTION_COUNTERS.pop()

    def test_only_a_global_admin_removes(self, api_client_for, agent, org):
        customer = CustomerFactory(organisation=org)
        client = api_client_for(agent)
        before = state()
        response = client.patch(f"/v1/customers/{customer.tenant_id}", {"relationshipToPartner": "none"}, format="json")
        assert response.status_code == 403 and "Global admin" in response.json()["description"]
        assert state() == before

    @pytest.mark.parametrize("body,field", [
        ({}, "relationshipToPartner"),
        ({"attributes": {"objectType": "Customer"}}, "relationshipToPartner"),
        ({"relationshipToPartner": "reseller"}, "relationshipToPartner"),
        ({"relationshipToPartner": ["none"]}, "relationshipToPartner"),
        ({"relationshipToPartner": "none", "associatedPartnerId": None}, "associatedPartnerId"),
        ({"associatedPartnerId": "1234567"}, "associatedPartnerId"),  # a direct-bill partner has no resellers
    ])
    def test_bad_bodies(self, api, org, body, field):
        customer = CustomerFactory(organisation=org)
        before = state()
        response = api.patch(f"/v1/customers/{customer.tenant_id}", body, format="json")
        assert response.status_code == 400, response.json()
        assert response.json()["parameters"]["field"] == field
        assert state() == before

    def test_foreign_customer(self, api, other_org):
        customer = CustomerFactory(organisation=other_org)
        before = state()
        response = api.patch(f"/v1/customers/{customer.tenant_id}", {"relationshipToPartner": "none"}, format="json")
        assert_error(response, 404, 1000)
        assert state() == before

    def test_indirect_provider_assigns_and_clears_the_reseller(self, indirect, make_org):
        customer = CustomerFactory(organisation=indirect["provider"])
        url = f"/v1/customers/{customer.tenant_id}"
        response = indirect["api"].patch(url, {"associatedPartnerId": indirect["reseller"].partner_id}, format="json")
        assert response.status_code == 200, response.json()
        assert response.json()["associatedPartnerId"] == str(indirect["reseller"].tenant_id)
        stranger = make_org(tier=Tier.INDIRECT_RESELLER, provider=make_org(tier=Tier.INDIRECT_PROVIDER))
        before = state()
        response = indirect["api"].patch(url, {"AssociatedPartnerId": stranger.partner_id}, format="json")
        assert response.status_code == 400 and response.json()["parameters"]["field"] == "associatedPartnerId"
        assert state() == before
        response = indirect["api"].patch(url, {"associatedPartnerId": None}, format="json")
        assert response.status_code == 200 and "associatedPartnerId" not in response.json()
        customer.refresh_from_db()
        assert customer.reseller is None


class TestProfiles:
    def test_company_profile(self, api, org):
        customer = CustomerFactory(organisation=org)
        body = api.get(f"/v1/customers/{customer.tenant_id}/profiles/company").json()
        assert body["tenantId"] == str(customer.tenant_id) and body["domain"] == customer.domain
        assert body["companyName"] == customer.company_name
        assert body["attributes"] == {"objectType": "CustomerCompanyProfile"}

    def test_update_billing_profile_with_etag(self, api, org):
        customer = CustomerFactory(organisation=org)
        url = f"/v1/customers/{customer.tenant_id}/profiles/billing"
        profile = api.get(url).json()
        etag = profile["attributes"]["etag"]
        profile["defaultAddress"]["city"] = "Bellevue"
        profile["Email"] = "new@customer.example.com"  # any casing
        profile.pop("email")
        response = api.put(url, profile, format="json", HTTP_IF_MATCH=f'"{etag}"')
        assert response.status_code == 200, response.json()
        body = response.json()
        assert body["defaultAddress"]["city"] == "Bellevue" and body["email"] == "new@customer.example.com"
        assert body["attributes"]["etag"] != etag
        customer.refresh_from_db()
        assert customer.city == "Bellevue" and customer.version == 2
        # the etag read before the change is stale now
        before = state()
        profile["defaultAddress"]["city"] = "Tacoma"
        response = api.put(url, profile, format="json", HTTP_IF_MATCH=etag)
        assert_error(response, 412, 2055)
        assert state() == before

    @pytest.mark.parametrize("change,field", [
        (lambda p: p.update(email="nope"), "billingProfile.email"),
        (lambda p: p["defaultAddress"].update(addressLine1=""), "billingProfile.defaultAddress.addressLine1"),
        (lambda p: p["defaultAddress"].update(country="FR", state=""), "billingProfile.defaultAddress.country"),
        (lambda p: p.pop("defaultAddress"), "defaultAddress"),
        (lambda p: p.update(defaultAddress="Main Street"), "defaultAddress"),
    ])
    def test_invalid_billing_profile_changes_nothing(self, api, org, change, field):
        customer = CustomerFactory(organisation=org)
        url = f"/v1/customers/{customer.tenant_id}/profiles/billing"
        profile = api.get(url).json()
        change(profile)
        before = state()
        response = api.put(url, profile, format="json", HTTP_IF_MATCH=profile["attributes"]["etag"])
        assert response.status_code == 400 and response.json()["parameters"]["field"] == field
        assert state() == before

    def test_billing_admin_may_read_not_change(self, api_client_for, make_user, org):
        customer = CustomerFactory(organisation=org)
        client = api_client_for(make_user(Role.BILLING_ADMIN))
        url = f"/v1/customers/{customer.tenant_id}/profiles/billing"
        profile = client.get(url).json()
        before = state()
        profile["defaultAddress"]["city"] = "Bellevue"
        assert client.put(url, profile, format="json").status_code == 403
        assert state() == before

    def test_foreign_billing_profile_put(self, api, other_org):
        customer = CustomerFactory(organisation=other_org)
        before = state()
        response = api.put(f"/v1/customers/{customer.tenant_id}/profiles/billing", {"email": "x@example.com"},
                           format="json")
        assert response.status_code == 404 and state() == before


class TestDomains:
    def test_taken_and_free(self, api, other_org):
        CustomerFactory(organisation=other_org, domain="taken.onmicrosoft.com")  # domains are global
        response = api.head("/v1/domains/Taken.onmicrosoft.com")
        assert response.status_code == 200 and response.content == b""
        response = api.head("/v1/domains/free.onmicrosoft.com")
        assert response.status_code == 404 and response.content == b""

    def test_needs_a_token_and_only_head(self, api):
        assert APIClient().head("/v1/domains/taken.onmicrosoft.com").status_code == 401
        assert api.get("/v1/domains/taken.onmicrosoft.com").status_code == 405


class TestRelationshipRequests:
    def test_link_like_microsoft_example(self, api_client_for, agent, samples):
        response = api_client_for(agent).get("/v1" + request_path("get-reseller-relationship-request-link.request.http"))
        assert response.status_code == 200, response.json()
        body = response.json()
        expected = samples("get-reseller-relationship-request-link.response.json")
        assert_has_fields(expected, body)
        assert body["attributes"] == expected["attributes"]
        token = body["url"].rstrip("/").rsplit("/", 1)[1]
        row = services.relationship_request_from_token(token)
        assert row.organisation_id == agent.organisation_id and not row.include_delegated_admin

    def test_delegated_admin_and_reseller(self, indirect):
        reseller = indirect["reseller"]
        body = indirect["api"].get(f"/v1/customers/relationshiprequests?delegatedAdmin=true&reseller={reseller.partner_id}"
                                   ).json()
        row = services.relationship_request_from_token(body["url"].rstrip("/").rsplit("/", 1)[1])
        assert row.include_delegated_admin and row.reseller == reseller

    @pytest.mark.parametrize("query,field", [("delegatedAdmin=perhaps", "delegatedAdmin"),
                                             ("reseller=1234567", "reseller")])
    def test_bad_parameters(self, api_client_for, agent, query, field):
        response = api_client_for(agent).get(f"/v1/customers/relationshiprequests?{query}")
        assert response.status_code == 400 and response.json()["parameters"]["field"] == field
        assert not RelationshipRequest.objects.exists()

    def test_global_admin_alone_may_not(self, api):
        response = api.get("/v1/customers/relationshiprequests")
        assert_error(response, 403, 2032)
        assert not RelationshipRequest.objects.exists()
