"""/v1/ bearer requests skip the browser-session middleware (core.middleware); session requests keep all of it."""

import pytest
from django.test import Client

from accounts.authentication import MFA_SESSION_KEY
from accounts.choices import Role
from accounts.models import ApiCredential
from core.middleware import is_bearer_api


def _session_client(user):
    from conftest import enrol

    enrol(user)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    session = client.session
    session[MFA_SESSION_KEY] = True
    session.save()
    return client


@pytest.mark.django_db
def test_a_session_post_to_v1_without_csrf_token_is_refused(global_admin):
    client = _session_client(global_admin)
    response = client.post("/v1/apitokens", {"name": "from the browser"}, content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["description"]
    assert not ApiCredential.objects.filter(name="from the browser").exists()


@pytest.mark.django_db
def test_the_same_session_post_with_its_csrf_token_is_accepted(global_admin):
    client = _session_client(global_admin)
    client.get("/customers/")  # a portal page sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    response = client.post("/v1/apitokens", {"name": "from the browser"}, content_type="application/json",
                           HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 201, response.content
    assert ApiCredential.objects.filter(name="from the browser").exists()


@pytest.mark.django_db
def test_a_bearer_request_acts_as_its_token_and_leaves_the_session_alone(api, make_user):
    other = make_user(Role.GLOBAL_ADMIN, email="other@a.example.com")
    browser = _session_client(other)
    api.cookies = browser.cookies  # the same client also holds another user's session cookie
    response = api.get("/v1/apitokens")
    assert response.status_code == 200
    assert {item["name"] for item in response.json()["items"]} == {"test token"}  # the token's user, not `other`
    assert "Cookie" not in response.get("Vary", "")
    assert "sessionid" not in response.cookies and "csrftoken" not in response.cookies
    # No CSRF token needed: a bearer token cannot be sent by a cross-site form.
    response = api.post("/v1/apitokens", {"name": "scripted"}, format="json")
    assert response.status_code == 201


@pytest.mark.django_db
def test_a_bearer_post_to_an_unknown_route_gets_the_api_404(api):
    response = api.post("/v1/nothing-here", {}, format="json")
    assert response.status_code == 404 and response.json()["code"]


def test_only_v1_requests_with_an_authorization_header_are_bearer_requests(rf):
    assert is_bearer_api(rf.get("/v1/customers", HTTP_AUTHORIZATION="Bearer x"))
    assert is_bearer_api(rf.get("/v1/customers", HTTP_AUTHORIZATION="Basic abc"))  # refused by the API, not the session
    assert not is_bearer_api(rf.get("/v1/customers"))
    assert not is_bearer_api(rf.get("/customers/", HTTP_AUTHORIZATION="Bearer x"))
