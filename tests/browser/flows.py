"""Steps a person takes in the portal, shared by the browser tests."""

import json
import re
import time
import urllib.error
import urllib.request
from pathlib import Path

import pyotp
from playwright.sync_api import expect

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
INVITATION_LINK = re.compile(r"https?://\S+?(/accounts/invitation/[^/\s]+/[^/\s]+/)")


def screenshot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def field_error(page, name):
    """The error shown beside form field `name`."""
    return page.locator(f"[data-field-error={name}]")


def form_error(page):
    return page.locator("[data-form-error]")


def sign_in(page, email, password):
    page.goto("/accounts/login/")
    page.get_by_label("E-mail", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def enter_code(page, code):
    page.get_by_label("Code", exact=True).fill(code)
    page.get_by_role("button", name="Verify", exact=True).click()


def sign_in_with_mfa(page, email, password, totp, *, code=None):
    """The real sign-in: password, then a code on the verification page, landing on the dashboard."""
    sign_in(page, email, password)
    expect(page).to_have_url(re.compile(r"/accounts/mfa/verify/"))
    enter_code(page, code or totp.now())
    expect(page).to_have_url(re.compile(r"/$"))


def next_step_code(totp):
    """A code the portal accepts although the current step was used already: it refuses a step it
    has accepted before, but accepts the next one (for clock drift), so no 30 s wait is needed."""
    return totp.at(time.time() + 30)


def wrong_code(totp):
    """Six digits that are none of the codes the portal would accept now."""
    now = time.time()
    accepted = {totp.at(now + offset) for offset in (-60, -30, 0, 30, 60)}
    return next(c for c in ("000000", "111111", "222222", "333333", "444444", "555555") if c not in accepted)


def enrol_mfa(page):
    """On the enrolment page: read the key, type the code. Returns (secret, code used)."""
    expect(page).to_have_url(re.compile(r"/accounts/mfa/enrol/"))
    secret = page.get_by_test_id("totp-secret").inner_text().replace(" ", "").strip()
    code = pyotp.TOTP(secret).now()
    page.get_by_label("Code from your authenticator app").fill(code)
    page.get_by_role("button", name="Turn on multi-factor authentication").click()
    expect(page).to_have_url(re.compile(r"/accounts/mfa/recovery-codes/"))
    return secret, code


def recovery_codes(page):
    return [c.strip() for c in page.get_by_test_id("recovery-codes").locator("li").all_inner_texts()]


def sign_out(page):
    page.get_by_test_id("user-menu").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))


def invitation_path(message):
    match = INVITATION_LINK.search(message.body)
    assert match, f"no invitation link in the e-mail:\n{message.body}"
    return match.group(1)


def api_get(url, token):
    """GET with a bearer token; returns (status, parsed JSON body)."""
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")
