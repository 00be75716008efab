"""Pages through Django's test client: sign-in, MFA gate, role-hidden navigation, no change on GET."""

import pyotp
import pytest
from django.urls import reverse

from accounts.authentication import MFA_SESSION_KEY
from accounts.choices import Role
from accounts.models import ApiCredential, User
from conftest import PASSWORD, enrol

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get("/settings/users/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_password_then_totp(client, make_user):
    user = make_user(Role.SALES_AGENT, email="s@a.example.com")
    totp = enrol(user)
    response = client.post("/accounts/login/", {"email": "S@a.example.com", "password": PASSWORD})
    assert response.status_code == 302 and "/accounts/mfa/verify/" in response["Location"]
    assert client.get("/").status_code == 302  # not signed in yet
    response = client.post("/accounts/mfa/verify/", {"code": "123456"})
    assert response.status_code == 200 and "not valid" in response.content.decode()
    response = client.post("/accounts/mfa/verify/", {"code": totp.now()})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_user_without_second_factor_must_enrol_before_any_page(client, make_user):
    make_user(Role.GLOBAL_ADMIN, email="new@a.example.com")
    response = client.post("/accounts/login/", {"email": "new@a.example.com", "password": PASSWORD})
    assert "/accounts/mfa/enrol/" in response["Location"]
    for path in ("/", "/settings/users/", "/settings/tokens/"):
        response = client.get(path)
        assert response.status_code == 302 and "/accounts/mfa/enrol/" in response["Location"], path
    # the session is not good for the API either
    assert client.get("/v1/profiles/organization").status_code == 401
    page = client.get("/accounts/mfa/enrol/")
    secret = page.context["secret"]
    response = client.post("/accounts/mfa/enrol/", {"code": pyotp.TOTP(secret).now()})
    assert response["Location"] == reverse("accounts:recovery_codes")
    assert len(client.get(response["Location"]).context["codes"]) == 10
    assert client.get("/settings/users/").status_code == 200
    assert client.get("/v1/profiles/organization").status_code == 200


def test_wrong_password_and_lockout(client, make_user, settings):
    make_user(Role.SALES_AGENT, email="l@a.example.com")
    for _ in range(settings.LOGIN_LOCKOUT_ATTEMPTS):
        response = client.post("/accounts/login/", {"email": "l@a.example.com", "password": "wrong-password"})
        assert response.status_code == 200
    assert "locked" in response.content.decode()
    response = client.post("/accounts/login/", {"email": "l@a.example.com", "password": PASSWORD})
    assert response.status_code == 200 and "locked" in response.content.decode()
    assert MFA_SESSION_KEY not in client.session


def test_sales_agent_navigation_hides_what_the_role_may_not_use(portal_client, make_user):
    client = portal_client(make_user(Role.SALES_AGENT))
    html = client.get("/").content.decode()
    assert 'data-workspace="customers"' in html and 'data-workspace="azure_plan"' in html
    assert 'data-workspace="billing"' not in html
    assert reverse("settings_users") not in html and reverse("settings_audit") not in html
    response = client.get("/settings/users/")
    assert response.status_code == 403
    assert "Global admin, User management admin" in response.content.decode()
    assert client.get("/workspaces/billing/").status_code == 403


def test_sign_out_needs_post(portal_client, make_user):
    client = portal_client(make_user(Role.SALES_AGENT))
    assert client.get("/accounts/logout/").status_code == 405
    assert client.get("/").status_code == 200
    client.post("/accounts/logout/")
    assert client.get("/").status_code == 302


def test_no_state_change_on_get(portal_client, global_admin, make_user):
    client = portal_client(global_admin)
    agent = make_user(Role.SALES_AGENT)
    client.get(reverse("user_set_active", args=[agent.public_id]) + "?active=0")
    client.get(reverse("settings_tokens") + "?name=x&days=3&kind=user")
    agent.refresh_from_db()
    assert agent.is_active and not ApiCredential.objects.exists()


def test_invite_page_shows_errors_beside_fields(portal_client, global_admin):
    client = portal_client(global_admin)
    count = User.objects.count()
    response = client.post("/settings/users/invite/", {"email": global_admin.email, "first_name": "A",
                                                       "last_name": "B", "roles": ["sales_agent"]})
    assert response.status_code == 400
    assert 'data-field-error="email"' in response.content.decode()
    assert User.objects.count() == count


def test_csrf_is_enforced_on_forms(make_user):
    from django.test import Client

    user = make_user(Role.GLOBAL_ADMIN)
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 403


def test_invitation_link_sets_password_once(client, global_admin, actor_of):
    from accounts import services
    from accounts.tasks import invitation_url

    user = services.user_invite(actor=actor_of(global_admin), email="inv@a.example.com", first_name="I",
                                last_name="N", roles=["sales_agent"])
    path = invitation_url(user).split("://", 1)[1].split("/", 1)[1]
    path = "/" + path
    response = client.post(path, {"password": "short", "password_again": "short"})
    assert response.status_code == 200 and 'data-field-error="password"' in response.content.decode()
    user.refresh_from_db()
    assert not user.has_usable_password()
    response = client.post(path, {"password": "a-long-enough-passphrase", "password_again":
                                  "a-long-enough-passphrase"})
    assert response.status_code == 302 and "/accounts/mfa/enrol/" in response["Location"]
    user.refresh_from_db()
    assert user.status == "active"
    client.post("/accounts/logout/")
    assert client.get(path).status_code == 400  # used


def test_tampered_invitation_link(client):
    assert client.get("/accounts/invitation/MQ/not-a-token/").status_code == 400


def test_browser_language_is_the_default(client):
    html = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9").content.decode()
    assert 'lang="fr"' in html and "Se connecter" in html
    html = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US").content.decode()
    assert 'lang="en"' in html and "Sign in" in html


def test_users_choice_of_language_wins_and_formats_numbers(portal_client, make_user, org):
    from decimal import Decimal

    org.credit_limit = Decimal("1234567.50")
    org.save()
    user = make_user(Role.GLOBAL_ADMIN, language="fr")
    client = portal_client(user)
    html = client.get("/settings/organisation/", HTTP_ACCEPT_LANGUAGE="en-US").content.decode()
    assert 'lang="fr"' in html and "Paramètres" in html
    assert "1\u202f234\u202f567,50 USD" in html or "1 234 567,50 USD" in html or "1\xa0234\xa0567,50 USD" in html
    user.language = "en"
    user.save()
    html = client.get("/settings/organisation/").content.decode()
    assert "1,234,567.50 USD" in html
