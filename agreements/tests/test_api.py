"""The /v1/ API of agreement metadata, MCA confirmations and the direct-sign status.

Microsoft's published examples (tests/fixtures/partnercenter, the `samples` fixture) are replayed as they are.
"""

import json
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.actors import system_actor
from accounts.choices import CredentialKind, Role, Tier
from accounts.services import credential_create
from agreements.models import Agreement
from agreements.services import agreement_record_customer_acceptance
from core.models import AuditEvent
from core.testing import assert_error
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
MCA = "117a77b0-9360-443b-8795-c6dedc750cf9"
BODY = {"primaryContact": {"firstName": "Tania", "lastName": "Carr", "email": "someone@example.com",
                           "phoneNumber": "1234567890"},
        "templateId": MCA, "dateAgreed": "2018-06-14T00:00:00.000Z", "type": "MicrosoftCustomerAgreement"}


@pytest.fixture
def agent(make_user):
    return make_user(Role.ADMIN_AGENT, email="agent@a.example.com")


@pytest.fixture
def agent_api(api_client_for, agent):
    return api_client_for(agent)


@pytest.fixture
def customer(org):
    return CustomerFactory(organisation=org)


def body(**overrides):
    data = json.loads(json.dumps(BODY))
    data.update(overrides)
    return data


def state():
    return Agreement.objects.count(), AuditEvent.objects.count()


class TestMetadata:
    def test_mca_like_microsoft_example(self, api, samples):
        response = api.get("/v1/agreements?agreementType=MicrosoftCustomerAgreement")
        assert response.status_code == 200
        data = response.json()
        expected = samples("list-agreement-metadata-mca.response.json")
        assert data["totalCount"] == expected["totalCount"]
        assert data["attributes"] == expected["attributes"]
        for ours, theirs in zip(data["items"], expected["items"], strict=True):
            assert {k: ours[k] for k in theirs} == theirs

    def test_default_all_and_bad_type(self, api):
        assert [i["agreementType"] for i in api.get("/v1/agreements").json()["items"]] == ["MicrosoftCloudAgreement"]
        types = {i["agreementType"] for i in api.get("/v1/agreements?agreementType=*").json()["items"]}
        assert types == {"MicrosoftCloudAgreement", "MicrosoftCustomerAgreement"}
        items = api.get("/v1/agreements?agreementtype=microsoftcustomeragreement").json()["items"]
        assert [i["templateId"] for i in items] == [MCA]
        response = api.get("/v1/agreements?agreementType=Nope")
        assert response.status_code == 400 and response.json()["parameters"]["field"] == "agreementType"


class TestConfirm:
    def test_microsoft_sample_as_is(self, agent_api, agent, customer, samples):
        response = agent_api.post(f"/v1/customers/{customer.tenant_id}/agreements",
                                  samples("create-customer-agreement-mca.request.json"), format="json")
        assert response.status_code == 201, response.json()
        data = response.json()
        expected = samples("create-customer-agreement-mca.response.json")
        assert set(expected) <= set(data)
        assert data["userId"] == str(agent.public_id)
        assert data["primaryContact"] == expected["primaryContact"]
        assert data["templateId"] == expected["templateId"] and data["type"] == expected["type"]
        assert parse_datetime(data["dateAgreed"]) == parse_datetime(expected["dateAgreed"])
        assert data["agreementLink"] == "https://aka.ms/customeragreement"
        agreement = Agreement.objects.get(customer=customer)
        assert agreement.attested_by == agent and agreement.source == "partner_attestation"

    def test_duplicate_is_600061_like_microsoft_example(self, agent_api, customer, samples):
        url = f"/v1/customers/{customer.tenant_id}/agreements"
        assert agent_api.post(url, body(), format="json").status_code == 201
        before = state()
        response = agent_api.post(url, body(primaryContact={**BODY["primaryContact"], "email": "SOMEONE@example.com"}),
                                  format="json")
        assert response.status_code == 409
        data = response.json()
        expected = samples("error-600061-agreement-already-exists.response.json")
        for key in ("code", "errorName", "isRetryable", "message", "description", "errorMessageExtended"):
            assert data[key] == expected[key], key
        assert state() == before
        # a changed contact is a new confirmation
        changed = body(primaryContact={**BODY["primaryContact"], "phoneNumber": "+1 425 555 0199"})
        assert agent_api.post(url, changed, format="json").status_code == 201

    def test_pascal_case_and_default_type(self, agent_api, customer):
        data = {"PrimaryContact": {"FirstName": "Tania", "LastName": "Carr", "Email": "t@example.com"},
                "TemplateId": MCA, "DateAgreed": "2024-01-02"}
        response = agent_api.post(f"/v1/customers/{customer.tenant_id}/agreements", data, format="json")
        assert response.status_code == 201, response.json()
        assert response.json()["type"] == "MicrosoftCustomerAgreement"
        assert response.json()["primaryContact"]["phoneNumber"] == ""

    @pytest.mark.parametrize("change,field", [
        (lambda b: b.pop("primaryContact"), "primaryContact"),
        (lambda b: b.update(primaryContact="Tania"), "primaryContact"),
        (lambda b: b["primaryContact"].pop("firstName"), "primaryContact.firstName"),
        (lambda b: b["primaryContact"].update(lastName=""), "primaryContact.lastName"),
        (lambda b: b["primaryContact"].update(email="not-an-email"), "primaryContact.email"),
        (lambda b: b["primaryContact"].update(email=["a@example.com"]), "primaryContact.email"),
        (lambda b: b["primaryContact"].update(phoneNumber="call me maybe"), "primaryContact.phoneNumber"),
        (lambda b: b["primaryContact"].update(phoneNumber="(+1) 555"), "primaryContact.phoneNumber"),
        (lambda b: b["primaryContact"].update(phoneNumber="+1 555 CALL-ME"), "primaryContact.phoneNumber"),
        (lambda b: b.update(dateAgreed=(timezone.now() + timedelta(days=2)).isoformat()), "dateAgreed"),
        (lambda b: b.update(dateAgreed="yesterday"), "dateAgreed"),
        (lambda b: b.pop("dateAgreed"), "dateAgreed"),
        (lambda b: b.update(templateId="00000000-0000-0000-0000-000000000000"), "templateId"),
        (lambda b: b.update(templateId="nope"), "templateId"),
        (lambda b: b.update(type="MicrosoftPartnerAgreement"), "type"),
    ])
    def test_bad_input_names_the_field_and_changes_nothing(self, agent_api, customer, change, field):
        data = body()
        change(data)
        before = state()
        response = agent_api.post(f"/v1/customers/{customer.tenant_id}/agreements", data, format="json")
        assert_error(response, 400, 800002, field)
        assert state() == before

    @pytest.mark.parametrize("role", [Role.GLOBAL_ADMIN, Role.BILLING_ADMIN, Role.HELPDESK_AGENT])
    def test_roles_that_may_not(self, make_user, api_client_for, customer, role):
        client = api_client_for(make_user(role))
        before = state()
        response = client.post(f"/v1/customers/{customer.tenant_id}/agreements", body(), format="json")
        assert "Admin agent" in assert_error(response, 403, 2032)["description"]
        assert state() == before

    def test_indirect_reseller_may_not(self, make_org, make_user, api_client_for):
        provider = make_org(tier=Tier.INDIRECT_PROVIDER)
        reseller = make_org(tier=Tier.INDIRECT_RESELLER, provider=provider)
        customer = CustomerFactory(organisation=provider, reseller=reseller)
        client = api_client_for(make_user(Role.ADMIN_AGENT, organisation=reseller))
        before = state()
        response = client.post(f"/v1/customers/{customer.tenant_id}/agreements", body(), format="json")
        assert response.status_code == 403
        assert "indirect provider confirms it" in response.json()["description"]
        assert state() == before
        # the provider's agent may
        provider_client = api_client_for(make_user(Role.SALES_AGENT, organisation=provider))
        assert provider_client.post(f"/v1/customers/{customer.tenant_id}/agreements", body(),
                                    format="json").status_code == 201

    def test_app_only_credential_may_not(self, global_admin, customer):
        from rest_framework.test import APIClient

        from accounts.actors import actor_for_user

        _credential, raw = credential_create(actor=actor_for_user(global_admin), name="automation",
                                             kind=CredentialKind.APP, roles=[Role.ADMIN_AGENT])
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        before = state()
        response = client.post(f"/v1/customers/{customer.tenant_id}/agreements", body(), format="json")
        assert response.status_code == 403 and "App only" in response.json()["description"]
        assert state() == before
        assert client.get(f"/v1/customers/{customer.tenant_id}/agreements").status_code == 200

    def test_no_relationship_is_20002(self, agent_api, org):
        customer = CustomerFactory(organisation=org, relationship="none")
        before = state()
        response = agent_api.post(f"/v1/customers/{customer.tenant_id}/agreements", body(), format="json")
        assert_error(response, 403, 20002)
        assert state() == before

    def test_unknown_malformed_and_foreign_customer(self, agent_api, other_org):
        foreign = CustomerFactory(organisation=other_org)
        before = state()
        for customer_id in (uuid.uuid4(), "not-a-guid", foreign.tenant_id):
            for response in (agent_api.post(f"/v1/customers/{customer_id}/agreements", body(), format="json"),
                             agent_api.get(f"/v1/customers/{customer_id}/agreements"),
                             agent_api.get(f"/v1/customers/{customer_id}/directSignedMicrosoftCustomerAgreementStatus")):
                assert_error(response, 404, 1000)
        assert state() == before

    def test_retry_with_the_same_request_id_replays(self, agent_api, customer):
        url = f"/v1/customers/{customer.tenant_id}/agreements"
        first = agent_api.post(url, body(), format="json", HTTP_MS_REQUESTID="attest-1")
        second = agent_api.post(url, body(), format="json", HTTP_MS_REQUESTID="attest-1")
        assert first.status_code == second.status_code == 201
        assert second["Idempotency-Replayed"] == "true" and first.json() == second.json()
        assert Agreement.objects.count() == 1


class TestCustomerAgreements:
    def test_list_like_microsoft_example(self, agent_api, customer, samples):
        url = f"/v1/customers/{customer.tenant_id}/agreements"
        agent_api.post(url, body(dateAgreed="2019-08-26T00:00:00"), format="json")
        other = {**BODY["primaryContact"], "phoneNumber": "+1 425 555 0199"}
        agent_api.post(url, body(dateAgreed="2019-08-27T00:00:00", primaryContact=other), format="json")
        response = agent_api.get(url + "?agreementType=MicrosoftCustomerAgreement")
        assert response.status_code == 200
        data = response.json()
        expected = samples("list-customer-agreements-mca.response.normalized.json")
        assert data["totalCount"] == expected["totalCount"] == len(data["items"])
        for item in data["items"]:
            assert set(expected["items"][0]) <= set(item)
            assert set(expected["items"][0]["primaryContact"]) <= set(item["primaryContact"])
            assert item["agreementLink"] == "https://aka.ms/customeragreement"
        assert data["attributes"] == {"objectType": "Collection"}
        assert agent_api.get(url + "?agreementType=MicrosoftCloudAgreement").json()["items"] == []
        assert len(agent_api.get(url).json()["items"]) == 2
        response = agent_api.get(url + "?agreementType=Nope")
        assert response.status_code == 400 and response.json()["parameters"]["field"] == "agreementType"

    def test_direct_signed_status(self, api, org, customer, samples):
        url = f"/v1/customers/{customer.tenant_id}/directSignedMicrosoftCustomerAgreementStatus"
        response = api.get(url)
        assert response.status_code == 200 and response.json() == {"isSigned": False}
        agreement_record_customer_acceptance(customer=customer, first_name="Tania", last_name="Carr",
                                             email="t@example.com", actor=system_actor(org))
        data = api.get(url).json()
        assert data == {"isSigned": True}
        assert set(data) == set(samples("get-direct-signed-mca-status.response.json"))
        # the customer's own acceptance is listed too, without a partner user
        items = api.get(f"/v1/customers/{customer.tenant_id}/agreements").json()["items"]
        assert len(items) == 1 and items[0]["userId"] is None
