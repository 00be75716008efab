"""The audit log page shows what administrators and users did."""

import re

import pytest
from playwright.sync_api import expect

from accounts import services
from accounts.choices import Role
from accounts.tests.factories import PASSWORD
from conftest import enrol
from core.audit import audit_record
from customers.tests.factories import CustomerFactory

from .flows import screenshot, sign_in_with_mfa

DB = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.mark.browser
@DB
def test_global_admin_sees_the_audit_log(page, global_admin, actor_of, make_user, other_org):
    actor = actor_of(global_admin)
    sam = services.user_invite(actor=actor, email="sam@a.example.com", first_name="Sam", last_name="Seller",
                               roles=[Role.SALES_AGENT])
    services.user_update(actor=actor, user=sam, roles=[Role.SALES_AGENT, Role.HELPDESK_AGENT])
    credential, _raw = services.credential_create(actor=actor, name="CI script")
    services.credential_revoke(actor=actor, credential=credential)
    contoso = CustomerFactory(organisation=global_admin.organisation, company_name="Contoso Ltd")
    audit_record(actor=actor, action="customer.created", obj=contoso, subject=contoso)
    # Another organisation's events stay out of sight.
    outsider = make_user(Role.GLOBAL_ADMIN, organisation=other_org, email="ga@b.example.com")
    services.user_invite(actor=actor_of(outsider), email="secret@b.example.com", first_name="Not", last_name="Mine",
                         roles=[Role.SALES_AGENT])

    sign_in_with_mfa(page, global_admin.email, PASSWORD, enrol(global_admin))
    page.goto("/settings/audit/")
    table = page.get_by_role("table")
    for action in ("user.invited", "user.roles_changed", "credential.created", "credential.revoked"):
        expect(table.get_by_role("row").filter(has_text=action)).to_have_count(1)
    invited_row = table.get_by_role("row").filter(has_text="user.invited")
    expect(invited_row).to_contain_text("Sam Seller")
    expect(invited_row).to_contain_text(global_admin.email)
    expect(table).not_to_contain_text("secret@b.example.com")
    screenshot(page, "flow-audit-log")

    page.get_by_placeholder("Action starts with").fill("credential.")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"[?&]action=credential\.(&|$)"))
    expect(table.get_by_role("row").filter(has_text="credential.")).to_have_count(2)
    expect(table).not_to_contain_text("user.invited")

    # Events about one customer, found by its company name (the API's filter CompanyName).
    page.get_by_placeholder("Action starts with").fill("")
    page.get_by_label("Customer", exact=True).fill("contoso")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"[?&]customer=contoso(&|$)"))
    expect(table.get_by_role("row").filter(has_text="customer.created")).to_have_count(1)
    expect(table).not_to_contain_text("credential.")
    # A bad date is told beside its field.
    page.goto("/settings/audit/?start=2025-03-09&end=2025-03-01")
    expect(page.locator('[data-field-error="end"]')).to_be_visible()

    # The dashboard's recent activity links to the same events.
    page.goto("/")
    expect(page.get_by_text("Recent activity")).to_be_visible()
    expect(page.locator('[data-action="credential.revoked"]')).to_contain_text("API token revoked")
