"""Signing in: first sign-in with MFA enrolment, the code on later sign-ins, wrong passwords and lockout."""

import re

import pyotp
import pytest
from playwright.sync_api import expect

from accounts.choices import Role
from accounts.models import RecoveryCode, SignInAttempt
from accounts.tests.factories import PASSWORD
from conftest import enrol
from core.models import AuditEvent

from .flows import (
    enrol_mfa,
    enter_code,
    field_error,
    form_error,
    next_step_code,
    recovery_codes,
    screenshot,
    sign_in,
    sign_out,
    wrong_code,
)

DB = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.mark.browser
@DB
def test_first_sign_in_enrols_mfa_then_asks_for_a_code(page, make_user):
    user = make_user(Role.GLOBAL_ADMIN, email="first@a.example.com", first_name="Fiona")
    assert not user.mfa_enrolled

    sign_in(page, user.email, PASSWORD)
    expect(page).to_have_url(re.compile(r"/accounts/mfa/enrol/\?next=(/|%2F)$"))
    secret = page.get_by_test_id("totp-secret").inner_text().replace(" ", "").strip()
    screenshot(page, "flow-mfa-enrol")

    # Signed in with a password only: every other page sends them back to enrolment.
    page.goto("/settings/users/")
    expect(page).to_have_url(re.compile(r"/accounts/mfa/enrol/\?next=%2Fsettings%2Fusers%2F$"))
    expect(page.get_by_role("heading", name="Set up multi-factor authentication")).to_be_visible()
    # The key stays the same while they fetch their phone.
    assert page.get_by_test_id("totp-secret").inner_text().replace(" ", "").strip() == secret

    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/mfa/enrol/\?next=(/|%2F)$"))
    totp = pyotp.TOTP(secret)
    page.get_by_label("Code from your authenticator app").fill(wrong_code(totp))
    page.get_by_role("button", name="Turn on multi-factor authentication").click()
    expect(field_error(page, "code")).to_contain_text("That code is not valid")
    user.refresh_from_db()
    assert not user.mfa_enrolled

    _secret, enrol_code = enrol_mfa(page)
    codes = recovery_codes(page)
    assert len(codes) == 10 and len(set(codes)) == 10
    screenshot(page, "flow-recovery-codes")
    user.refresh_from_db()
    assert user.mfa_enrolled and user.totp_secret == secret
    assert RecoveryCode.objects.filter(user=user, used_at__isnull=True).count() == 10
    assert AuditEvent.objects.filter(action="mfa.enrolled", object_id=str(user.public_id)).exists()

    page.get_by_role("link", name="I have saved them, continue").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name="Welcome, Fiona")).to_be_visible()
    # The codes are shown once.
    page.goto("/accounts/mfa/recovery-codes/")
    expect(page).to_have_url(re.compile(r"/settings/security/$"))
    expect(page.get_by_test_id("remaining-codes")).to_have_text("10 recovery codes left.")

    # Next sign-in: a code is asked for.
    sign_out(page)
    sign_in(page, user.email, PASSWORD)
    expect(page).to_have_url(re.compile(r"/accounts/mfa/verify/"))
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    page.goto("/settings/account/")  # not signed in yet
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/settings/account/$"))
    sign_in(page, user.email, PASSWORD)
    expect(page).to_have_url(re.compile(r"/accounts/mfa/verify/"))

    # The code used at enrolment was spent; a made-up one is wrong. Both show beside the field.
    enter_code(page, enrol_code)
    expect(field_error(page, "code")).to_have_text("That code is not valid.")
    expect(page).to_have_url(re.compile(r"/accounts/mfa/verify/"))
    enter_code(page, wrong_code(totp))
    expect(field_error(page, "code")).to_have_text("That code is not valid.")
    screenshot(page, "flow-mfa-verify-error")
    assert SignInAttempt.objects.filter(email=user.email, kind="second_factor", succeeded=False).count() == 2

    step_before = user.totp_last_step
    enter_code(page, next_step_code(totp))
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name="Welcome, Fiona")).to_be_visible()
    user.refresh_from_db()
    assert user.totp_last_step > step_before
    assert user.last_login is not None

    # Lost phone: a recovery code signs in once, and the page says how many remain.
    sign_out(page)
    sign_in(page, user.email, PASSWORD)
    enter_code(page, codes[0])
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("alert")).to_contain_text("You signed in with a recovery code; 9 remain.")
    assert RecoveryCode.objects.filter(user=user, used_at__isnull=True).count() == 9
    sign_out(page)
    sign_in(page, user.email, PASSWORD)
    enter_code(page, codes[0])
    expect(field_error(page, "code")).to_have_text("That code is not valid.")


@pytest.mark.browser
@DB
def test_wrong_password_is_refused_and_five_lock_the_account(page, make_user):
    user = make_user(Role.SALES_AGENT, email="locked@a.example.com")

    sign_in(page, user.email, "not-the-password")
    expect(form_error(page)).to_have_text("E-mail or password is wrong.")
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    # The e-mail stays filled in, the password does not.
    expect(page.get_by_label("E-mail", exact=True)).to_have_value(user.email)
    expect(page.get_by_label("Password", exact=True)).to_have_value("")
    screenshot(page, "flow-sign-in-wrong-password")

    # An unknown e-mail gets the same answer (no account enumeration).
    sign_in(page, "nobody@a.example.com", "whatever-password")
    expect(form_error(page)).to_have_text("E-mail or password is wrong.")

    for attempt in range(2, 5):
        sign_in(page, user.email, f"wrong-{attempt}")
        expect(form_error(page)).to_have_text("E-mail or password is wrong.")
    sign_in(page, user.email, "wrong-5")
    expect(form_error(page)).to_contain_text("locked")
    expect(form_error(page)).to_contain_text("Too many failed attempts")

    # Now even the right password is refused until the lock ends.
    sign_in(page, user.email, PASSWORD)
    expect(form_error(page)).to_contain_text("locked")
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    screenshot(page, "flow-sign-in-locked")

    assert SignInAttempt.objects.filter(email=user.email, succeeded=False).count() == 5
    assert not SignInAttempt.objects.filter(email=user.email, succeeded=True).exists()
    assert AuditEvent.objects.filter(action="signin.locked_out", object_id=str(user.public_id)).count() == 1
    user.refresh_from_db()
    assert user.last_login is None

    # The lock may be anyone's doing: the owner signs in with the password and a code together.
    totp = enrol(user)
    expect(page.get_by_label("Code from your authenticator app, or a recovery code")).to_be_visible()
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Code from your authenticator app, or a recovery code").fill(totp.now())
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(re.compile(r"/$"))
    assert AuditEvent.objects.filter(action="signin.lockout_bypassed", object_id=str(user.public_id)).count() == 1


@pytest.mark.browser
@DB
def test_a_deep_link_survives_sign_in(page, make_user):
    """Someone follows a link with a query string; after password and code they land on it intact."""
    user = make_user(Role.GLOBAL_ADMIN, email="deep@a.example.com")
    totp = enrol(user)
    page.goto("/settings/users/?q=deep&status=active")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    page.get_by_label("E-mail", exact=True).fill(user.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(re.compile(r"/accounts/mfa/verify/\?next="))
    enter_code(page, totp.now())
    expect(page).to_have_url(re.compile(r"/settings/users/\?q=deep&status=active$"))
    expect(page.get_by_label("Status")).to_have_value("active")
    expect(page.get_by_role("row").filter(has_text=user.email)).to_have_count(1)
