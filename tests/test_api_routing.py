"""The /v1 wire as a whole: every answer is Partner Center's JSON envelope (never Django's CSRF page), routes
are matched in any case and with or without a trailing slash, idempotency keys hold for every write method,
a role that may not call a route is refused before its body is read, a 401 says why, and nothing is cached."""

import json
import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.choices import Role
from accounts.models import ApiCredential, User
from core.models import IdempotencyRecord
from customers.models import Customer
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _csrf_checked(token=None):
    """A client that enforces CSRF as a real browser request meets it (Django's test client skips it by default)."""
    client = APIClient(enforce_csrf_checks=True)
    if token:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def _envelope(response, status, code):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = json.loads(response.content)
    assert body["code"] == code, body
    assert body["source"] == "PartnerCommercePortal"
    return body


@pytest.fixture
def customer(global_admin):
    return CustomerFactory(organisation=global_admin.organisation)


def _unrouted(customer_id):
    cart = uuid.uuid4()
    return [
        ("post", "/v1/validations/unknownthing"),
        ("put", f"/v1/customers/{customer_id}/carts/{cart}/unknown/"),
        ("patch", f"/v1/customers/{customer_id}/usagebudgets/other"),
        ("delete", "/v1/nothing/here"),
        ("post", "/v1/"),
    ]


# --- item 1: no CSRF page on /v1, 401 before 404, 405 for a known route ---------------------------------------

@pytest.mark.parametrize("method,path", [
    ("post", "/v1/validations/unknownthing"),
    ("put", "/v1/customers/{c}/carts/{x}/"),
    ("patch", "/v1/customers/{c}/usagebudget"),
    ("post", "/v1/Customers"),
    ("delete", "/v1/customers"),
    ("post", "/v1"),
])
def test_writes_without_credentials_are_401_json_never_the_csrf_page(method, path):
    path = path.format(c=uuid.uuid4(), x=uuid.uuid4())
    response = getattr(_csrf_checked(), method)(path, {"a": 1}, format="json")
    _envelope(response, 401, 800001)
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_unknown_routes_are_404_1000_for_a_bearer_caller_with_csrf_enforced(api, customer):
    client = _csrf_checked(api.token)
    for method, path in _unrouted(customer.tenant_id):
        _envelope(getattr(client, method)(path, {"a": 1}, format="json"), 404, 1000)
    _envelope(client.get("/v1/nothing"), 404, 1000)
    _envelope(client.options("/v1/nothing"), 404, 1000)


def test_known_route_with_wrong_method_is_405(api, customer):
    client = _csrf_checked(api.token)
    _envelope(client.delete("/v1/customers"), 405, 990003)
    _envelope(client.put("/v1/Customers/", {}, format="json"), 405, 990003)
    _envelope(client.delete(f"/v1/customers/{customer.tenant_id}/profiles/billing/"), 405, 990003)


def test_a_routed_write_with_microsofts_casing_and_trailing_slash_reaches_its_route(api, customer):
    client = _csrf_checked(api.token)
    # POST /v1/Customers is create-a-customer: an empty body is the route's own 400, not a 404 or a CSRF page.
    body = _envelope(client.post("/v1/Customers", {}, format="json"), 400, 800002)
    assert body["parameters"]["field"]
    # PUT .../carts/{id}/ (Microsoft's samples end with a slash) reaches update-a-cart: an unknown cart is 800008.
    response = client.put(f"/v1/customers/{customer.tenant_id}/carts/{uuid.uuid4()}/",
                          {"lineItems": []}, format="json")
    assert response.status_code in (400, 404) and response.json()["code"] != 1000, response.json()


@pytest.mark.parametrize("template", [
    "/v1/CUSTOMERS/{c}/Profiles/Billing",
    "/v1/customers/{c}/profiles/billing/",
    "/v1/Customers/{c}/PROFILES/company/",
    "/v1/Customers/{c}",
    "/v1/customers/",
    "/v1/Profiles/Organization",
])
def test_every_route_is_matched_in_any_case_and_with_a_trailing_slash(api, customer, template):
    response = api.get(template.format(c=customer.tenant_id))
    assert response.status_code == 200, response.content[:300]


def test_a_literal_segment_in_another_case_wins_over_an_id_segment(api_client_for, make_user):
    # customers/relationshiprequests is routed before customers/{id}: in any case it stays that route.
    agent = api_client_for(make_user(Role.ADMIN_AGENT))
    response = agent.get("/v1/Customers/RelationshipRequests")
    assert response.status_code == 200, response.content[:300]
    assert response.json()["attributes"]["objectType"] == "RelationshipRequest"


def test_ids_are_passed_as_sent(api, global_admin):
    # Route names are rewritten, ids are not: an upper-case GUID (as .NET clients write them) reaches the view as
    # sent and names the same user; an unknown id stays 404.
    response = api.get(f"/v1/USERS/{str(global_admin.public_id).upper()}/")
    assert response.status_code == 200 and response.json()["id"] == str(global_admin.public_id)
    _envelope(api.get(f"/v1/Users/{uuid.uuid4()}"), 404, 1000)


def test_session_cookie_writes_keep_csrf_and_answer_json(portal_client, global_admin, customer):
    browser = portal_client(global_admin)
    browser.handler.enforce_csrf_checks = True
    response = browser.patch(f"/v1/customers/{customer.tenant_id}", {"relationshipToPartner": "none"},
                             content_type="application/json")
    body = _envelope(response, 403, 2032)
    assert "CSRF" in body["description"]
    customer.refresh_from_db()
    assert customer.has_relationship
    _envelope(browser.post("/v1/validations/unknownthing", {}, content_type="application/json"), 403, 2032)


def test_the_csrf_failure_view_answers_the_envelope_on_v1(rf):
    from core.views import csrf_failure

    request = rf.post("/v1/anything")
    _envelope(csrf_failure(request, reason="CSRF cookie not set."), 403, 2032)


# --- item 9: idempotency on every write method, per organisation ---------------------------------------------

def _billing_body(api, customer):
    body = api.get(f"/v1/customers/{customer.tenant_id}/profiles/billing").json()
    body.pop("attributes", None)
    return body


def test_a_patch_with_the_same_key_and_another_body_is_409_and_changes_nothing(api, make_user):
    user = make_user(Role.SALES_AGENT, first_name="Before")
    first = api.patch(f"/v1/users/{user.public_id}", {"firstName": "One"}, format="json", HTTP_MS_REQUESTID="p-1")
    assert first.status_code == 200
    again = api.patch(f"/v1/users/{user.public_id}", {"firstName": "One"}, format="json", HTTP_MS_REQUESTID="p-1")
    assert again.status_code == 200 and again["Idempotency-Replayed"] == "true"
    assert again.json() == first.json()
    other = api.patch(f"/v1/users/{user.public_id}", {"firstName": "Two"}, format="json", HTTP_MS_REQUESTID="p-1")
    body = _envelope(other, 409, 990001)
    assert "MS-RequestId" in body["description"]
    user.refresh_from_db()
    assert user.first_name == "One"


def test_a_put_with_the_same_key_replays_and_another_body_is_409(api, customer):
    body = _billing_body(api, customer)
    path = f"/v1/customers/{customer.tenant_id}/profiles/billing"
    first = api.put(path, {**body, "email": "one@customer.example.com"}, format="json", HTTP_MS_REQUESTID="b-1")
    assert first.status_code == 200, first.json()
    replay = api.put(path, {**body, "email": "one@customer.example.com"}, format="json", HTTP_MS_REQUESTID="b-1")
    assert replay["Idempotency-Replayed"] == "true" and replay.json() == first.json()
    _envelope(api.put(path, {**body, "email": "two@customer.example.com"}, format="json",
                      HTTP_MS_REQUESTID="b-1"), 409, 990001)
    customer.refresh_from_db()
    assert customer.email == "one@customer.example.com"


def test_keys_belong_to_the_organisation(api, api_client_for, make_user, other_org):
    colleague = api_client_for(make_user(Role.GLOBAL_ADMIN, email="colleague@a.example.com"))
    body = {"email": "k1@a.example.com", "firstName": "K", "lastName": "One", "roles": []}
    assert api.post("/v1/users", body, format="json", HTTP_MS_REQUESTID="org-key").status_code == 201
    # The same key from another caller of the organisation is not a new request, and never hands over the first
    # caller's answer: 409.
    _envelope(colleague.post("/v1/users", {**body, "email": "k2@a.example.com"}, format="json",
                             HTTP_MS_REQUESTID="org-key"), 409, 990001)
    _envelope(colleague.post("/v1/users", body, format="json", HTTP_MS_REQUESTID="org-key"), 409, 990001)
    assert not User.objects.filter(email="k2@a.example.com").exists()
    # Another organisation's keys are its own.
    stranger = api_client_for(make_user(Role.GLOBAL_ADMIN, organisation=other_org, email="s@b.example.com"))
    response = stranger.post("/v1/users", {**body, "email": "k3@b.example.com"}, format="json",
                             HTTP_MS_REQUESTID="org-key")
    assert response.status_code == 201 and "Idempotency-Replayed" not in response
    assert set(IdempotencyRecord.objects.values_list("key", flat=True)) == {"org-key"}
    assert IdempotencyRecord.objects.count() == 2


def test_every_write_method_of_an_api_view_is_idempotent():
    from core.api.idempotency import is_idempotent
    from core.api.views import PCAPIView

    class Probe(PCAPIView):
        def post(self, request):
            raise AssertionError

        def put(self, request):
            raise AssertionError

        def patch(self, request):
            raise AssertionError

        def delete(self, request):
            raise AssertionError

        def get(self, request):
            raise AssertionError

    class Opted(PCAPIView):
        idempotent_methods = ()

        def post(self, request):
            raise AssertionError

    assert all(is_idempotent(getattr(Probe, name)) for name in ("post", "put", "patch", "delete"))
    assert not is_idempotent(Probe.get)
    assert not is_idempotent(Opted.post)


def test_every_routed_write_is_idempotent():
    from django.urls import get_resolver

    from core.api.idempotency import is_idempotent
    from core.api.routing import api_routes

    assert get_resolver()  # the URLconf is loaded
    missing = []
    for route in api_routes():
        view = getattr(route.callback, "view_class", None)
        for name in ("post", "put", "patch", "delete"):
            handler = getattr(view, name, None)
            if handler and not is_idempotent(handler) and name in getattr(view, "idempotent_methods", ()):
                missing.append(f"{name.upper()} {route.route}")
    assert not missing


# --- item 30: role before body, a 401 that says why, no-store -------------------------------------------------

@pytest.mark.parametrize("role,method,path,body", [
    (Role.HELPDESK_AGENT, "post", "/v1/customers", {"companyProfile": "not an object"}),
    (Role.BILLING_ADMIN, "put", "/v1/customers/{c}/profiles/billing", {"email": "nope"}),
    (Role.SALES_AGENT, "post", "/v1/users", {"email": "nope"}),
    (Role.BILLING_ADMIN, "post", "/v1/customers/{c}/agreements", {"dateAgreed": "yesterday"}),
    (Role.BILLING_ADMIN, "patch", "/v1/customers/{c}", {"relationshipToPartner": 3}),
])
def test_a_role_that_may_not_call_a_route_gets_403_whatever_the_body(api_client_for, make_user, customer, role,
                                                                     method, path, body):
    client = api_client_for(make_user(role))
    path = path.format(c=customer.tenant_id)
    for sent in (body, {}, "not json"):
        if sent == "not json":
            response = getattr(client, method)(path, "{not json", content_type="application/json")
        else:
            response = getattr(client, method)(path, sent, format="json")
        _envelope(response, 403, 2032)
    assert Customer.objects.count() == 1


def test_a_401_says_whether_the_token_is_unknown_revoked_or_expired(api, api_client_for, make_user):
    user = make_user(Role.SALES_AGENT)
    revoked, expired = api_client_for(user), api_client_for(user)
    credentials = list(ApiCredential.objects.filter(user=user).order_by("pk"))
    ApiCredential.objects.filter(pk=credentials[0].pk).update(revoked_at=timezone.now())
    ApiCredential.objects.filter(pk=credentials[1].pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    unknown = APIClient()
    unknown.credentials(HTTP_AUTHORIZATION="Bearer pcp_" + "x" * 40)
    answers = {}
    for name, client in (("unknown", unknown), ("revoked", revoked), ("expired", expired)):
        body = _envelope(client.get("/v1/customers"), 401, 800001)
        answers[name] = body
        assert body["parameters"]["reason"] == name
        assert name in body["description"].lower()
    assert len({body["errorName"] for body in answers.values()}) == 1  # Partner Center's one 401 name
    missing = _envelope(APIClient().get("/v1/customers"), 401, 800001)
    assert missing["parameters"]["reason"] == "missing"


def test_api_answers_and_signed_in_pages_are_not_stored(api, portal_client, global_admin, client):
    assert "no-store" in api.get("/v1/customers")["Cache-Control"]
    assert "no-store" in APIClient().get("/v1/customers")["Cache-Control"]
    assert "no-store" in api.get("/v1/nothing")["Cache-Control"]
    page = portal_client(global_admin).get("/")
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    # A public page keeps its own caching rules (none are set: browsers may keep it).
    signin = Client().get("/accounts/login/")
    assert "no-store" not in signin.get("Cache-Control", "")
