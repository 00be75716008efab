"""API tokens: created in the portal, shown once, used against the REST API, revoked."""

import re

import pytest
from playwright.sync_api import expect

from accounts.choices import Role
from accounts.models import ApiCredential
from accounts.tests.factories import PASSWORD
from conftest import enrol
from core.models import AuditEvent

from .flows import api_get, screenshot, sign_in_with_mfa

DB = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.mark.browser
@DB
def test_token_is_shown_once_works_and_stops_working_when_revoked(page, make_user, live_server, org):
    user = make_user(Role.SALES_AGENT, email="ci@a.example.com")
    sign_in_with_mfa(page, user.email, PASSWORD, enrol(user))
    api_url = f"{live_server.url}/v1/profiles/organization"

    page.goto("/settings/tokens/")
    expect(page.get_by_text("No tokens yet.")).to_be_visible()
    # A Sales agent makes personal tokens only: no application roles to pick.
    expect(page.get_by_text("Roles of the application")).to_have_count(0)
    page.get_by_label("Name", exact=True).fill("CI script")
    page.get_by_role("button", name="Create token").click()

    expect(page).to_have_url(re.compile(r"/settings/tokens/$"))
    token = page.get_by_test_id("new-token").inner_text().strip()
    assert token.startswith("pcp_") and len(token) > 30
    expect(page.get_by_text("Send it as the header Authorization: Bearer <token>.")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("Token “CI script” created.")
    row = page.locator("[data-token-row='CI script']")
    expect(row).to_contain_text("active")
    expect(row).to_contain_text(token[:10])
    screenshot(page, "flow-token-created")

    credential = ApiCredential.objects.get(name="CI script")
    assert credential.user_id == user.pk and credential.kind == "user" and credential.revoked_at is None
    assert credential.prefix == token[:10]
    assert token not in (credential.token_hash, credential.prefix)

    status, body = api_get(api_url, token)
    assert status == 200, body
    assert body["companyName"] == org.name == "Partner A"

    # Reloaded, the page no longer shows the token, and no second token was made.
    page.reload()
    expect(page.get_by_test_id("new-token")).to_have_count(0)
    assert token not in page.content()
    expect(row).to_contain_text("active")
    assert ApiCredential.objects.filter(user=user).count() == 1

    # Cancelling the confirmation keeps the token.
    page.once("dialog", lambda dialog: dialog.dismiss())
    row.get_by_role("button", name="Revoke").click()
    expect(row).to_contain_text("active")
    credential.refresh_from_db()
    assert credential.revoked_at is None

    messages = []
    page.once("dialog", lambda dialog: (messages.append(dialog.message), dialog.accept()))
    row.get_by_role("button", name="Revoke").click()
    expect(page.get_by_role("alert")).to_contain_text("Token “CI script” revoked.")
    expect(row).to_contain_text("revoked")
    expect(row.get_by_role("button", name="Revoke")).to_have_count(0)
    assert messages == ["Revoke this token? Programs using it will stop working."]
    screenshot(page, "flow-token-revoked")

    credential.refresh_from_db()
    assert credential.revoked_at is not None and credential.revoked_by_id == user.pk
    assert AuditEvent.objects.filter(action="credential.revoked", object_id=str(credential.public_id)).exists()
    status, body = api_get(api_url, token)
    assert status == 401, body


@pytest.mark.browser
@DB
def test_an_application_credentials_roles_are_offered_only_for_that_kind(page, make_user, org):
    admin = make_user(Role.GLOBAL_ADMIN, email="ga@a.example.com")
    sign_in_with_mfa(page, admin.email, PASSWORD, enrol(admin))
    page.goto("/settings/tokens/")
    billing = page.get_by_label("Billing admin")
    expect(billing).to_be_disabled()  # a personal token (the default kind) acts with the user's own roles
    page.get_by_label("Kind").select_option("app")
    expect(billing).to_be_enabled()
    billing.check()
    page.get_by_label("Name", exact=True).fill("Invoice export")
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_test_id("new-token")).to_be_visible()
    credential = ApiCredential.objects.get(name="Invoice export")
    assert credential.kind == "app" and credential.roles == ["billing_admin"]
    expect(page.get_by_label("Billing admin")).to_be_disabled()  # the form is back to a personal token
    page.get_by_test_id("api-docs-link").click()
    expect(page).to_have_url(re.compile(r"/api/docs/$"))
