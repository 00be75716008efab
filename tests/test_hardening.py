"""Bad input that once reached the database or leaked something: each answers a clear 4xx and
changes nothing (found by review; kept as regression tests)."""

import time

import pytest
from django.urls import reverse

from accounts.choices import Role
from customers import services
from customers.models import Customer, RelationshipRequest
from customers.tests.factories import CustomerFactory, customer_data

pytestmark = pytest.mark.django_db


def _token(url):
    return url.rstrip("/").rsplit("/", 1)[1]


def test_an_invitation_cannot_take_over_an_existing_customer(make_user, actor_of, client):
    agent = make_user(Role.SALES_AGENT)
    victim = CustomerFactory(organisation=agent.organisation, domain="victim.onmicrosoft.com",
                             email="ap@victim.example.com")
    _row, url = services.relationship_request_create(actor=actor_of(agent), include_delegated_admin=True)
    response = client.post("/invitations/" + _token(url) + "/", {
        **customer_data(domain="victim.onmicrosoft.com", email="eve@evil.example.com"), "company_name": "Evil"})
    assert response.status_code == 400
    assert "already taken" in response.content.decode()
    victim.refresh_from_db()
    assert victim.email == "ap@victim.example.com" and not victim.allow_delegated_access
    assert RelationshipRequest.objects.get().status == "pending"


def test_a_former_customer_is_restored_only_by_an_invitation_sent_for_it(make_user, actor_of, global_admin, client):
    agent = make_user(Role.SALES_AGENT)
    former = CustomerFactory(organisation=agent.organisation, email="ap@former.example.com")
    services.relationship_remove(actor=actor_of(global_admin), customer=former)
    _row, url = services.relationship_request_create(actor=actor_of(agent), customer=former)
    response = client.post("/invitations/" + _token(url) + "/", {
        "first_name": "Cust", "last_name": "Admin", "email": "admin@former.example.com", "phone_number": ""})
    assert response.status_code == 200, response.content.decode()[:500]
    former.refresh_from_db()
    assert former.has_relationship and former.email == "ap@former.example.com"  # profile untouched


def test_withdrawn_invitation_link_stops_working(make_user, actor_of, portal_client, client):
    agent = make_user(Role.SALES_AGENT)
    row, url = services.relationship_request_create(actor=actor_of(agent))
    page = portal_client(agent)
    assert page.post(reverse("customers:invitation_revoke", args=[row.public_id])).status_code == 302
    row.refresh_from_db()
    assert row.status == "revoked"
    response = client.get("/invitations/" + _token(url) + "/")
    assert response.status_code == 400 and "withdrawn" in response.content.decode()


def test_sign_in_takes_as_long_for_unknown_addresses(client, make_user, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    make_user(Role.SALES_AGENT, email="known@a.example.com")

    def timed(email):
        start = time.perf_counter()
        client.post("/accounts/login/", {"email": email, "password": "wrong-password-123"})
        return time.perf_counter() - start

    known = min(timed("known@a.example.com") for _ in range(2))
    unknown = min(timed(f"nobody{i}@a.example.com") for i in range(2))
    assert unknown > known / 4, (known, unknown)


@pytest.mark.parametrize("path", ["/v1/customers?search=a%00b", "/v1/users?search=%00"])
def test_nul_in_query_is_400(api, path):
    response = api.get(path)
    assert response.status_code == 400 and response.json()["code"] == 800002


def test_nul_in_page_query_is_400(portal_client, global_admin):
    assert portal_client(global_admin).get("/settings/users/?q=a%00").status_code == 400


def test_long_request_id_is_kept_and_audited(api):
    key = "r" * 100
    response = api.post("/v1/apitokens", {"name": "long id"}, format="json", HTTP_MS_REQUESTID=key)
    assert response.status_code == 201 and response["MS-RequestId"] == key


@pytest.mark.parametrize("overrides,field", [
    ({"state": "ßß"}, "state"),
    ({"culture": "İİİ-KKKK"}, "culture"),
    ({"phone_number": "+" + "1" * 30}, "phoneNumber"),
    ({"email": "a" * 250 + "@example.com"}, "email"),
])
def test_unicode_and_length_edges_are_400(make_user, actor_of, overrides, field):
    from core.errors import InvalidInput

    with pytest.raises(InvalidInput) as exc:
        services.customer_create(actor=actor_of(make_user(Role.SALES_AGENT)), data=customer_data(**overrides))
    assert exc.value.field.endswith(field)
    assert not Customer.objects.exists()


def test_long_email_on_sign_in_is_a_form_error(client):
    response = client.post("/accounts/login/", {"email": "a" * 250 + "@example.com", "password": "x"})
    assert response.status_code == 200


def test_impossible_dates_are_400(api, make_user, api_client_for):
    assert api.get("/v1/auditrecords?startDate=2024-02-30").status_code == 400
    agent = make_user(Role.SALES_AGENT)
    customer = CustomerFactory(organisation=agent.organisation)
    response = api_client_for(agent).post(f"/v1/customers/{customer.tenant_id}/agreements", {
        "primaryContact": {"firstName": "A", "lastName": "B", "email": "a@example.com"}, "dateAgreed": "2024-02-30",
        "templateId": "117a77b0-9360-443b-8795-c6dedc750cf9", "type": "MicrosoftCustomerAgreement"}, format="json")
    assert response.status_code == 400 and response.json()["parameters"]["field"] == "dateAgreed"


def test_deeply_nested_json_is_400(api):
    response = api.post("/v1/customers", data="[" * 100000 + "]" * 100000, content_type="application/json")
    assert response.status_code == 400
    assert api.get("/v1/customers?filter=" + "[" * 5000).status_code == 400


def test_long_path_with_idempotency_key_is_404(api_client_for, make_user):
    api = api_client_for(make_user(Role.SALES_AGENT))  # a role that may attest: the route then looks the id up
    response = api.post("/v1/customers/" + "x" * 600 + "/agreements", {}, format="json", HTTP_MS_REQUESTID="k1")
    assert response.status_code == 404


def test_relationship_request_get_needs_a_bearer_token(portal_client, make_user):
    client = portal_client(make_user(Role.SALES_AGENT))
    assert client.get("/v1/customers/relationshiprequests").status_code == 401
    assert not RelationshipRequest.objects.exists()


def test_idempotent_replay_is_per_caller(api_client_for, make_user):
    first = api_client_for(make_user(Role.GLOBAL_ADMIN))
    second = api_client_for(make_user(Role.SALES_AGENT))
    body = {"email": "x@a.example.com", "firstName": "X", "lastName": "Y", "roles": []}
    assert first.post("/v1/users", body, format="json", HTTP_MS_REQUESTID="same").status_code == 201
    assert second.post("/v1/users", body, format="json", HTTP_MS_REQUESTID="same").status_code == 403


def test_customer_accepting_the_mca_again_in_other_case(make_user, actor_of):
    from agreements.services import agreement_record_customer_acceptance

    agent = make_user(Role.SALES_AGENT)
    customer = CustomerFactory(organisation=agent.organisation)
    first = agreement_record_customer_acceptance(customer=customer, first_name="Eve", last_name="Doe",
                                                 email="eve@example.com", actor=actor_of(agent))
    again = agreement_record_customer_acceptance(customer=customer, first_name="EVE", last_name="doe",
                                                 email="EVE@example.com", actor=actor_of(agent))
    assert again.pk == first.pk


@pytest.mark.parametrize("body", [{"lineItems": [None]}, {"lineItems": [{"catalogItemId": "DZH318Z0BPS6:0001:DZH318Z0BML6",
                                                                          "quantity": 1, "participants": [None]}]}])
def test_null_cart_lines_are_400(api_client_for, make_user, body):
    from azureplan.models import Cart
    from azureplan.tests.factories import buyable_customer

    agent = make_user(Role.SALES_AGENT, email="nulls@a.example.com")
    customer = buyable_customer(agent.organisation)
    client = api_client_for(agent)
    assert client.post(f"/v1/customers/{customer.tenant_id}/carts", body, format="json").status_code == 400
    assert client.post(f"/v1/customers/{customer.tenant_id}/orders", {"lineItems": [None]},
                       format="json").status_code == 400
    assert not Cart.objects.exists()


def test_a_reseller_does_not_see_a_cart_naming_another_reseller(make_org, make_user, actor_of, api_client_for):
    from accounts.choices import Tier
    from accounts.models import Country
    from azureplan.ordering import services as ordering_services
    from azureplan.tests.factories import buyable_customer, plan_line

    us = Country.objects.get(code="US")
    provider = make_org(tier=Tier.INDIRECT_PROVIDER, country=us)
    first = make_org(tier=Tier.INDIRECT_RESELLER, provider=provider, country=us)
    second = make_org(tier=Tier.INDIRECT_RESELLER, provider=provider, country=us)
    customer = buyable_customer(provider, reseller=second)
    cart = ordering_services.cart_create(actor=actor_of(make_user(Role.SALES_AGENT, organisation=provider)),
                                         customer=customer,
                             items=[plan_line(reseller=first.partner_id)])
    url = f"/v1/customers/{customer.tenant_id}/carts/{cart.public_id}"
    assert api_client_for(make_user(Role.SALES_AGENT, organisation=second)).get(url).status_code == 404


def test_a_body_too_large_answers_the_error_envelope(api):
    response = api.post("/v1/customers", data='{"companyProfile": {"domain": "' + "x" * (3 * 1024 * 1024) + '"}}',
                        content_type="application/json")
    assert response.status_code == 413
    assert response.json()["code"] == 990006 and "too large" in response.json()["description"]
    assert Customer.objects.count() == 0
