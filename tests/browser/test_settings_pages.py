"""Every settings page opens for a Global admin without console errors (which would show Content
Security Policy violations or broken scripts), with a screenshot to look at."""

import pytest
from playwright.sync_api import expect

from accounts import services
from accounts.choices import Role
from accounts.tests.factories import PASSWORD
from conftest import enrol

from .flows import screenshot, sign_in_with_mfa

DB = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PAGES = [
    ("account", "/settings/account/", "Account"),
    ("security", "/settings/security/", "Security"),
    ("tokens", "/settings/tokens/", "API tokens"),
    ("organisation", "/settings/organisation/", "Partner A"),
    ("users", "/settings/users/", "Users"),
    ("audit", "/settings/audit/", "Audit log"),
]


@pytest.mark.browser
@DB
def test_settings_pages_open_without_console_errors(page, global_admin, make_user, actor_of):
    actor = actor_of(global_admin)
    make_user(Role.ADMIN_AGENT, Role.BILLING_ADMIN, email="alex@a.example.com", first_name="Alex",
              last_name="Agent")
    services.user_invite(actor=actor, email="sam@a.example.com", first_name="Sam", last_name="Seller",
                         roles=[Role.SALES_AGENT])
    services.credential_create(actor=actor, name="Billing export script")
    services.credential_create(actor=actor, name="Nightly sync", kind="app", roles=[Role.ADMIN_AGENT])

    sign_in_with_mfa(page, global_admin.email, PASSWORD, enrol(global_admin))
    expect(page.get_by_role("heading", name="Welcome")).to_be_visible()
    screenshot(page, "dashboard")
    assert page.console_errors == []

    for name, path, heading in PAGES:
        response = page.goto(path)
        assert response.status == 200, name
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        settings_nav = page.get_by_role("navigation", name="Settings")
        expect(settings_nav.locator(".active")).to_have_count(1)
        page.wait_for_load_state("networkidle")
        screenshot(page, name)
        assert page.console_errors == [], f"{path}: {page.console_errors}"
        if name == "tokens":
            expect(page.locator("[data-token-row='Nightly sync']")).to_contain_text("Admin agent")
