"""User management: a Global admin invites a Sales agent and changes roles; the agent joins and sees
only what the role may use."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from accounts import services
from accounts.choices import Role
from accounts.models import User
from accounts.tests.factories import PASSWORD
from conftest import enrol
from core.models import AuditEvent

from .flows import (
    enrol_mfa,
    field_error,
    invitation_path,
    recovery_codes,
    screenshot,
    sign_in_with_mfa,
)

DB = pytest.mark.django_db(transaction=True, serialized_rollback=True)
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


@pytest.mark.browser
@DB
def test_global_admin_invites_a_sales_agent_and_changes_roles(page, global_admin):
    sign_in_with_mfa(page, global_admin.email, PASSWORD, enrol(global_admin))

    page.goto("/settings/users/")
    page.get_by_role("link", name="Invite a user").click()
    expect(page).to_have_url(re.compile(r"/settings/users/invite/$"))
    page.get_by_label("E-mail", exact=True).fill("Sam.Seller@A.example.com")
    page.get_by_label("First name").fill("Sam")
    page.get_by_label("Last name").fill("Seller")
    page.get_by_label("Sales agent", exact=True).check()
    screenshot(page, "flow-user-invite")
    page.get_by_role("button", name="Send invitation").click()

    expect(page).to_have_url(re.compile(rf"/settings/users/{UUID}/$"))
    expect(page.get_by_role("alert")).to_contain_text(
        "sam.seller@a.example.com was invited. They will receive an e-mail with a sign-up link.")
    expect(page.get_by_role("heading", name="Sam Seller")).to_be_visible()
    expect(page.locator(".page-header .badge")).to_have_text("Invited")
    invited = User.objects.get(email="sam.seller@a.example.com")
    assert page.url.rstrip("/").endswith(str(invited.public_id))
    assert invited.roles == [Role.SALES_AGENT]
    assert invited.organisation_id == global_admin.organisation_id
    assert invited.invited_by_id == global_admin.pk
    assert invited.activated_at is None and not invited.has_usable_password()
    assert AuditEvent.objects.filter(action="user.invited", object_id=str(invited.public_id)).exists()

    # The invitation e-mail went out through Celery (eager in tests) once the invite was committed.
    assert [m.to for m in mail.outbox] == [["sam.seller@a.example.com"]]
    assert invitation_path(mail.outbox[0]).startswith("/accounts/invitation/")

    # Change the roles on the user page.
    expect(page.get_by_label("Sales agent", exact=True)).to_be_checked()
    expect(page.get_by_label("Helpdesk agent", exact=True)).not_to_be_checked()
    page.get_by_label("Helpdesk agent", exact=True).check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("sam.seller@a.example.com was saved.")
    expect(page.get_by_label("Helpdesk agent", exact=True)).to_be_checked()
    expect(page.get_by_label("Sales agent", exact=True)).to_be_checked()
    screenshot(page, "flow-user-detail")
    invited.refresh_from_db()
    assert invited.roles == [Role.SALES_AGENT, Role.HELPDESK_AGENT]
    changed = AuditEvent.objects.get(action="user.roles_changed", object_id=str(invited.public_id))
    assert changed.data["changes"]["roles"] == [["sales_agent"], ["sales_agent", "helpdesk_agent"]]
    assert changed.actor_user_id == global_admin.pk

    # The list shows the new user with both roles.
    page.goto("/settings/users/")
    row = page.get_by_role("row").filter(has_text="sam.seller@a.example.com")
    expect(row).to_contain_text("Sales agent")
    expect(row).to_contain_text("Helpdesk agent")
    expect(row).to_contain_text("Invited")


@pytest.mark.browser
@DB
def test_invited_sales_agent_joins_and_sees_only_their_workspaces(page, global_admin, actor_of):
    invited = services.user_invite(actor=actor_of(global_admin), email="sam@a.example.com", first_name="Sam",
                                   last_name="Seller", roles=[Role.SALES_AGENT])
    assert len(mail.outbox) == 1
    link = invitation_path(mail.outbox[0])

    page.goto(link)
    expect(page.get_by_role("heading", name="Join Partner A")).to_be_visible()
    page.get_by_label("New password", exact=True).fill("short")
    page.get_by_label("New password again", exact=True).fill("short")
    page.get_by_role("button", name="Set password").click()
    expect(field_error(page, "password")).to_contain_text("This password is too short")
    screenshot(page, "flow-invitation-bad-password")
    invited.refresh_from_db()
    assert invited.activated_at is None

    new_password = "Lantern-Otter-Meadow-42"
    page.get_by_label("New password", exact=True).fill(new_password)
    page.get_by_label("New password again", exact=True).fill(new_password)
    page.get_by_role("button", name="Set password").click()
    enrol_mfa(page)
    assert len(recovery_codes(page)) == 10
    page.get_by_role("link", name="I have saved them, continue").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name="Welcome, Sam")).to_be_visible()

    invited.refresh_from_db()
    assert invited.activated_at is not None and invited.check_password(new_password)
    assert invited.mfa_enrolled
    assert AuditEvent.objects.filter(action="user.invitation_accepted", object_id=str(invited.public_id)).exists()

    # Navigation: only what a Sales agent may use.
    nav = page.get_by_role("navigation", name="Main navigation")
    for key in ("customers", "azure_plan", "pricing", "settings"):
        expect(nav.locator(f"[data-workspace={key}]")).to_be_visible()
    expect(nav.locator("[data-workspace=billing]")).to_have_count(0)
    screenshot(page, "flow-dashboard-sales-agent")

    page.goto("/settings/")
    expect(page).to_have_url(re.compile(r"/settings/account/$"))
    settings_nav = page.get_by_role("navigation", name="Settings")
    expect(settings_nav.get_by_role("link", name="Account")).to_be_visible()
    expect(settings_nav.get_by_role("link", name="API tokens")).to_be_visible()
    expect(settings_nav.get_by_role("link", name="Users")).to_have_count(0)
    expect(settings_nav.get_by_role("link", name="Audit log")).to_have_count(0)

    response = page.goto("/settings/users/")
    assert response.status == 403
    expect(page.get_by_test_id("forbidden-reason")).to_have_text(
        "This needs one of the roles: Global admin, User management admin.")
    screenshot(page, "flow-forbidden-users")
    response = page.goto("/workspaces/billing/")
    assert response.status == 403
    expect(page.get_by_test_id("forbidden-reason")).to_contain_text("Global admin")

    # The link worked once.
    response = page.goto(link)
    assert response.status == 400
    expect(page.get_by_role("heading", name="This invitation link cannot be used")).to_be_visible()
