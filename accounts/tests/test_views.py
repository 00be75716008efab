"""Pages through Django's test client: sign-in, MFA gate, role-hidden navigation, no change on GET."""

import re
from datetime import timedelta

import pyotp
import pytest
from django.urls import reverse

from accounts.authentication import MFA_SESSION_KEY
from accounts.choices import Role
from accounts.models import ApiCredential, SignInAttempt, User
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
    assert reverse("accounts:settings_users") not in html and reverse("accounts:settings_audit") not in html
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
    client.get(reverse("accounts:user_set_active", args=[agent.public_id]) + "?active=0")
    client.get(reverse("accounts:settings_tokens") + "?name=x&days=3&kind=user")
    agent.refresh_from_db()
    assert agent.is_active and not ApiCredential.objects.exists()


def test_roles_on_a_personal_token_are_refused_beside_the_field_not_dropped(portal_client, global_admin):
    client = portal_client(global_admin)
    url = reverse("accounts:settings_tokens")
    response = client.post(url, {"name": "script", "days": 30, "kind": "user", "roles": ["billing_admin"]})
    assert response.status_code == 400
    assert re.search(r'data-field-error="roles">[^<]*acts with your own roles', response.content.decode())
    assert not ApiCredential.objects.exists()
    assert client.post(url, {"name": "script", "days": 30, "kind": "user"}).status_code == 302
    assert ApiCredential.objects.get().kind == "user"
    page = client.get(url).content.decode()
    assert f'href="{reverse("api-docs")}" data-testid="api-docs-link"' in page


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


def test_the_language_menu_switches_any_page_and_remembers_it(portal_client, make_user, org):
    user = make_user(Role.GLOBAL_ADMIN, email="lang@a.example.com")
    client = portal_client(user)
    page = client.get("/settings/users/", HTTP_ACCEPT_LANGUAGE="en-US").content.decode()
    assert 'data-testid="language-fr"' in page and 'lang="en"' in page
    response = client.post("/settings/language/", {"language": "fr", "next": "/settings/users/"})
    assert response.status_code == 302 and response["Location"] == "/settings/users/"
    user.refresh_from_db()
    assert user.language == "fr"
    assert 'lang="fr"' in client.get("/settings/users/", HTTP_ACCEPT_LANGUAGE="en-US").content.decode()
    # Somewhere else, an unknown language: nothing changes, back home.
    response = client.post("/settings/language/", {"language": "xx", "next": "https://evil.example.com/"})
    assert response["Location"] == "/"
    user.refresh_from_db()
    assert user.language == "fr"


# ---------------------------------------------------------------- lockout by others, throttle per client address


def _lock(client, email, settings, ip="198.51.100.7"):
    """Someone else (another client address) types wrong passwords until the address is locked."""
    for n in range(settings.LOGIN_LOCKOUT_ATTEMPTS):
        client.post("/accounts/login/", {"email": email, "password": f"guess-{n}"}, REMOTE_ADDR=ip)


def test_a_lock_caused_by_others_lets_the_right_password_with_a_valid_code_in(client, make_user, settings):
    from django.test import Client

    from accounts import services
    from core.models import AuditEvent

    user = make_user(Role.GLOBAL_ADMIN, email="ga@a.example.com")
    totp = enrol(user)
    _lock(Client(), user.email, settings)
    assert services.signin_locked_until(user.email)

    # A password alone is refused, and the page asks for a code beside it.
    response = client.post("/accounts/login/", {"email": user.email, "password": PASSWORD})
    html = response.content.decode()
    assert response.status_code == 200 and "locked" in html and 'name="code"' in html
    assert MFA_SESSION_KEY not in client.session
    # The right password with a wrong code: the same answer, and the code counts as a failure.
    response = client.post("/accounts/login/", {"email": user.email, "password": PASSWORD, "code": "000000"})
    assert response.status_code == 200 and "locked" in response.content.decode()
    assert SignInAttempt.objects.filter(email=user.email, kind="second_factor", succeeded=False).count() == 1
    # A wrong password with a valid code: refused, the code is not spent.
    step = User.objects.get(pk=user.pk).totp_last_step
    response = client.post("/accounts/login/", {"email": user.email, "password": "not-it", "code": totp.now()})
    assert response.status_code == 200 and MFA_SESSION_KEY not in client.session
    assert User.objects.get(pk=user.pk).totp_last_step == step

    response = client.post("/accounts/login/?next=/settings/users/",
                           {"email": user.email, "password": PASSWORD, "code": totp.now()})
    assert response.status_code == 302 and response["Location"] == "/settings/users/"
    assert client.session[MFA_SESSION_KEY] is True
    assert client.get("/settings/users/").status_code == 200
    event = AuditEvent.objects.get(action="signin.lockout_bypassed", object_id=str(user.public_id))
    assert event.data["kind"] == "second_factor"
    assert services.signin_locked_until(user.email) is None  # the owner's sign-in ends the lock


def test_the_lockout_is_said_in_french(client, make_user, settings):
    import html as htmllib

    from django.test import Client

    user = make_user(Role.GLOBAL_ADMIN, email="fr-lock@a.example.com")
    enrol(user)
    _lock(Client(), user.email, settings)
    response = client.post("/accounts/login/", {"email": user.email, "password": PASSWORD},
                           HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9")
    text = htmllib.unescape(response.content.decode())
    assert response.status_code == 200 and 'name="code"' in text
    assert "Trop de tentatives infructueuses. La connexion avec un mot de passe seul est bloquée jusqu'à " in text
    assert "(ou un code de récupération) pour vous connecter dès maintenant." in text
    assert "Code de votre application d'authentification, ou code de récupération" in text
    assert "Too many failed attempts" not in text


def test_a_recovery_code_also_passes_the_lock(client, make_user, settings):
    import pyotp

    from accounts import mfa

    user = make_user(Role.GLOBAL_ADMIN, email="rc@a.example.com")
    secret = mfa.mfa_new_secret()
    codes = mfa.mfa_enrol(user=user, secret=secret, code=pyotp.TOTP(secret).now())
    _lock(client, user.email, settings)
    response = client.post("/accounts/login/", {"email": user.email, "password": PASSWORD, "code": codes[1]})
    assert response.status_code == 302 and client.session[MFA_SESSION_KEY] is True


def test_without_a_second_factor_the_lock_stands(client, make_user, settings):
    user = make_user(Role.SALES_AGENT, email="noenrol@a.example.com")
    _lock(client, user.email, settings)
    response = client.post("/accounts/login/", {"email": user.email, "password": PASSWORD, "code": "123456"})
    assert response.status_code == 200 and "locked" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_wrong_second_factors_close_the_address_even_to_the_right_password_and_code(client, make_user, settings):
    user = make_user(Role.SALES_AGENT, email="tf@a.example.com")
    totp = enrol(user)
    for n in range(settings.LOGIN_LOCKOUT_ATTEMPTS):
        response = client.post("/accounts/login/", {"email": user.email, "password": PASSWORD})
        if response.status_code == 302:
            client.post("/accounts/mfa/verify/", {"code": f"00000{n}"})
        else:  # locked by the failures so far: the code goes with the password
            client.post("/accounts/login/", {"email": user.email, "password": PASSWORD, "code": f"00000{n}"})
    assert SignInAttempt.objects.filter(email=user.email, kind="second_factor", succeeded=False).count() == 5
    response = client.post("/accounts/login/", {"email": user.email, "password": PASSWORD, "code": totp.now()})
    assert response.status_code == 200 and "locked until" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_lock_by_others_between_password_and_code_does_not_refuse_the_code(client, make_user, settings):
    from django.test import Client

    user = make_user(Role.SALES_AGENT, email="between@a.example.com")
    totp = enrol(user)
    response = client.post("/accounts/login/", {"email": user.email, "password": PASSWORD})
    assert "/accounts/mfa/verify/" in response["Location"]
    _lock(Client(), user.email, settings)
    response = client.post("/accounts/mfa/verify/", {"code": totp.now()})
    assert response.status_code == 302 and client.session[MFA_SESSION_KEY] is True


def test_failed_attempts_are_throttled_per_client_address(client, make_user, settings):
    import time_machine
    from django.test import Client
    from django.utils import timezone

    from core.models import AuditEvent

    settings.LOGIN_IP_FAILURE_LIMIT = 3
    victim = make_user(Role.SALES_AGENT, email="victim@a.example.com")
    other = make_user(Role.SALES_AGENT, email="other@a.example.com")
    attacker = "203.0.113.9"
    for email in ("a@nowhere.example.com", "b@nowhere.example.com", victim.email):
        response = client.post("/accounts/login/", {"email": email, "password": "wrong-password"}, REMOTE_ADDR=attacker)
        assert "E-mail or password is wrong." in response.content.decode()
    assert AuditEvent.objects.filter(action="signin.ip_throttled", object_id=str(victim.public_id)).count() == 1
    # Now every attempt from that address is refused before any password is checked, even a right one.
    response = client.post("/accounts/login/", {"email": other.email, "password": PASSWORD}, REMOTE_ADDR=attacker)
    assert response.status_code == 200 and "from your network" in response.content.decode()
    assert SignInAttempt.objects.filter(ip_address=attacker).count() == 3  # refused attempts are not checked
    # Other addresses are not affected, and no single e-mail address reached its own lock.
    response = Client().post("/accounts/login/", {"email": other.email, "password": PASSWORD},
                             REMOTE_ADDR="192.0.2.1")
    assert response.status_code == 302
    with time_machine.travel(timezone.now() + timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES + 1)):
        response = client.post("/accounts/login/", {"email": other.email, "password": PASSWORD},
                               REMOTE_ADDR=attacker)
        assert response.status_code == 302


def test_the_second_factor_step_is_throttled_per_client_address(client, make_user, settings):
    settings.LOGIN_IP_FAILURE_LIMIT = 2
    user = make_user(Role.SALES_AGENT, email="step@a.example.com")
    totp = enrol(user)
    client.post("/accounts/login/", {"email": user.email, "password": PASSWORD}, REMOTE_ADDR="203.0.113.20")
    for code in ("000001", "000002"):
        client.post("/accounts/mfa/verify/", {"code": code}, REMOTE_ADDR="203.0.113.20")
    response = client.post("/accounts/mfa/verify/", {"code": totp.now()}, REMOTE_ADDR="203.0.113.20")
    assert response.status_code == 200 and "from your network" in response.content.decode()


def test_client_address_behind_trusted_proxies(rf, settings):
    from core.throttling import client_ip

    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.3")
    settings.NUM_PROXIES = 0
    assert client_ip(request) == "10.0.0.2"  # the header is not trusted without proxies
    settings.NUM_PROXIES = 1
    assert client_ip(request) == "198.51.100.3"  # the address our proxy saw, not what the client claims
    settings.NUM_PROXIES = 2
    assert client_ip(request) == "1.2.3.4"
    settings.NUM_PROXIES = 1
    assert client_ip(rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="not-an-ip")) == "10.0.0.2"
    assert client_ip(rf.get("/", REMOTE_ADDR="10.0.0.2")) == "10.0.0.2"
