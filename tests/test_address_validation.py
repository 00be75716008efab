"""Addresses by their country's rules (customers/data/address_rules.json through customers.addresses): the customer
service (API create, billing profile PUT), POST /v1/validations/address and the pages say the same thing, and a page
shows every wrong field at once."""

import pytest
from django.urls import reverse

from accounts.choices import Role
from accounts.models import Country
from core.testing import assert_error, assert_has_fields, load_fixture
from customers import addresses
from customers.models import Customer
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

ADDR = "billingProfile.defaultAddress."


@pytest.fixture
def agent(make_user):
    return make_user(Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, email="agent@a.example.com")


@pytest.fixture
def api(api_client_for, agent):
    return api_client_for(agent)


def _create_body(**address):
    body = load_fixture("create-customer.request.normalized.json")
    body["CompanyProfile"]["Domain"] = "addr-test.onmicrosoft.com"
    body["BillingProfile"]["DefaultAddress"].update(address)
    return body


# ---------------------------------------------------------------- the rules themselves


@pytest.mark.parametrize("country", ["US", "CA", "AU", "BR", "IN", "MX", "JP"])
def test_the_data_file_lists_states_for_the_big_federal_countries(country):
    assert len(addresses.states_of(country)) >= 8


@pytest.mark.parametrize(("country", "state", "postal", "fields"), [
    ("US", "ZZ", "98052", ["state"]),
    ("US", "WA", "ABCDE", ["postalCode"]),
    ("US", "WA", "9805", ["postalCode"]),
    ("US", "", "98052", ["state"]),
    ("US", "ZZ", "9805", ["state", "postalCode"]),
    ("CA", "XX", "K1A 0B1", ["state"]),
    ("CA", "ON", "12345", ["postalCode"]),
    ("AU", "NSW", "200", ["postalCode"]),
    ("BR", "", "01310-100", ["state"]),
    ("IN", "MH", "012345", ["postalCode"]),
    ("MX", "CMX", "0660", ["postalCode"]),
    ("JP", "48", "100-0001", ["state"]),
    ("FR", "", "7500", ["postalCode"]),
    ("PL", "", "00001", ["postalCode"]),
])
def test_wrong_state_or_postal_code_is_named(country, state, postal, fields):
    _clean, errors = addresses.address_errors(country=country, state=state, postal_code=postal, prefix="")
    assert [field for field, _message in errors] == fields


@pytest.mark.parametrize(("country", "state", "postal", "stored"), [
    ("US", "wa", "98052-6399", ("WA", "98052-6399")),
    ("CA", "on", "k1a0b1", ("ON", "K1A 0B1")),
    ("AU", "nsw", "2000", ("NSW", "2000")),
    ("BR", "SP", "01310100", ("SP", "01310-100")),
    ("IN", "KA", "560001", ("KA", "560001")),
    ("MX", "cmx", "06600", ("CMX", "06600")),
    ("JP", "13", "1000001", ("13", "100-0001")),
    ("FR", "", "69002", ("", "69002")),
    ("GU", "", "96910", ("", "96910")),
])
def test_valid_addresses_pass_in_their_usual_spelling(country, state, postal, stored):
    clean, errors = addresses.address_errors(country=country, state=state, postal_code=postal)
    assert errors == []
    assert (clean["state"], clean["postal_code"]) == stored


# ---------------------------------------------------------------- the API: create and billing profile


@pytest.mark.parametrize(("address", "field"), [
    ({"State": "ZZ"}, "state"),
    ({"PostalCode": "ABCDE"}, "postalCode"),
    ({"PostalCode": "9805"}, "postalCode"),
    ({"State": ""}, "state"),
])
def test_create_customer_refuses_a_wrong_us_address_and_stores_nothing(api, address, field):
    response = api.post("/v1/customers", _create_body(Country="US", **address), format="json")
    assert_error(response, 400, 800002, ADDR + field)
    assert not Customer.objects.exists()


def test_every_address_error_is_listed_in_data(api):
    response = api.post("/v1/customers", _create_body(Country="US", State="ZZ", PostalCode="ABCDE", City=""),
                        format="json")
    body = assert_error(response, 400, 800002)
    assert {entry["field"] for entry in body["data"]} == {ADDR + "state", ADDR + "postalCode", ADDR + "city"}


def test_billing_profile_put_checks_the_address_rules(api, org):
    customer = CustomerFactory(organisation=org)
    path = f"/v1/customers/{customer.tenant_id}/profiles/billing"
    profile = api.get(path).json()
    profile["defaultAddress"].update(state="ZZ", postalCode="9805")
    body = assert_error(api.put(path, profile, format="json"), 400, 800002, ADDR + "state")
    assert [entry["field"] for entry in body["data"]] == [ADDR + "state", ADDR + "postalCode"]
    customer.refresh_from_db()
    assert (customer.state, customer.postal_code) == ("WA", "98052")


# ---------------------------------------------------------------- POST /v1/validations/address


def test_validate_microsofts_sample_address(api):
    response = api.post("/v1/validations/address", load_fixture("validate-address.request.json"), format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert_has_fields({key: value for key, value in load_fixture("validate-address.response.json").items()}, body)
    assert body["status"] == "Verified"
    assert body["originalAddress"] == {"addressLine1": "1 Microsoft Way", "city": "Redmond", "state": "WA",
                                       "postalCode": "98052", "country": "US"}
    assert body["suggestedAddresses"] == [body["originalAddress"]]


def test_validate_suggests_the_usual_spelling(api):
    response = api.post("/v1/validations/address", {"addressLine1": "1 Rue", "city": "Ottawa", "state": "on",
                                                    "postalCode": "k1a0b1", "country": "ca"}, format="json")
    assert response.status_code == 200, response.content
    suggested = response.json()["suggestedAddresses"][0]
    assert (suggested["state"], suggested["postalCode"], suggested["country"]) == ("ON", "K1A 0B1", "CA")


def test_validate_names_every_wrong_field_like_the_customer_form(api):
    response = api.post("/v1/validations/address", {"AddressLine1": "1 Main St", "City": "Redmond", "State": "ZZ",
                                                    "PostalCode": "9805", "Country": "US"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "InteractionRequired" and body["suggestedAddresses"] == []
    assert [entry["field"] for entry in body["errors"]] == ["state", "postalCode"]
    assert "'State', 'PostalCode'" in body["validationMessage"]
    # The same messages as the customer service gives.
    _clean, errors = addresses.address_errors(country="US", state="ZZ", postal_code="9805")
    assert [entry["message"] for entry in body["errors"]] == [message for _field, message in errors]


@pytest.mark.parametrize("body", [{"city": "Redmond"}, {"country": "QQ", "city": "X"}, {"country": 5}])
def test_validate_without_a_known_country_is_400(api, body):
    assert_error(api.post("/v1/validations/address", body, format="json"), 400, 800002, "country")


def test_validate_needs_a_token(client):
    assert client.post("/v1/validations/address", {}, content_type="application/json").status_code == 401


# ---------------------------------------------------------------- the pages: every error beside its field


def _field_errors(response):
    return {name: " ".join(errors) for name, errors in response.context["form"].errors.items()}


def test_create_page_shows_all_address_errors_at_once(portal_client, agent):
    client = portal_client(agent)
    data = {"company_name": "Addr Co", "domain": "addr-co.onmicrosoft.com", "first_name": "Pat", "last_name": "Lee",
            "email": "ap@addr.example.com", "country": "US", "address_line1": "1 Main St", "city": "Redmond",
            "state": "ZZ", "postal_code": "ABCDE", "language": "en", "culture": "en-US"}
    response = client.post(reverse("customers:customer_create"), data)
    assert response.status_code == 400 or response.status_code == 200
    errors = _field_errors(response)
    assert "ZZ is not a state or province" in errors["state"]
    assert "ABCDE is not a valid postal code" in errors["postal_code"]
    assert not Customer.objects.exists()


def test_billing_page_shows_all_address_errors_at_once(portal_client, agent, org):
    customer = CustomerFactory(organisation=org, country=Country.objects.get(code="US"))
    client = portal_client(agent)
    page = client.get(reverse("customers:customer_billing", args=[customer.tenant_id]))
    data = {key: value for key, value in page.context["form"].initial.items() if value is not None}
    data.update(state="", postal_code="9805")
    response = client.post(reverse("customers:customer_billing", args=[customer.tenant_id]), data)
    errors = _field_errors(response)
    assert "required" in errors["state"] and "9805 is not a valid postal code" in errors["postal_code"]
    customer.refresh_from_db()
    assert (customer.state, customer.postal_code) == ("WA", "98052")
