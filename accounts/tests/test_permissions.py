import pytest

from accounts.choices import Role, Tier
from accounts.permissions import MATRIX, Perm, allowed, require
from core.actor import Actor
from core.errors import PermissionDenied


def actor(*roles, tier=Tier.DIRECT_BILL, app=False):
    return Actor(organisation_id=1, roles=frozenset(r.value for r in roles), tier=tier, is_app_only=app)


def test_every_permission_has_a_rule():
    assert set(MATRIX) == set(Perm)


@pytest.mark.parametrize("role,expected", [
    (Role.GLOBAL_ADMIN, True), (Role.USER_MANAGEMENT_ADMIN, True), (Role.ADMIN_AGENT, False),
    (Role.SALES_AGENT, False), (Role.BILLING_ADMIN, False), (Role.HELPDESK_AGENT, False),
])
def test_user_management_is_for_global_and_user_management_admins(role, expected):
    assert allowed(actor(role), Perm.MANAGE_USERS) is expected


def test_cancelling_an_azure_subscription_needs_both_global_admin_and_admin_agent():
    assert not allowed(actor(Role.GLOBAL_ADMIN), Perm.CANCEL_AZURE_SUBSCRIPTION)
    assert not allowed(actor(Role.ADMIN_AGENT), Perm.CANCEL_AZURE_SUBSCRIPTION)
    assert allowed(actor(Role.GLOBAL_ADMIN, Role.ADMIN_AGENT), Perm.CANCEL_AZURE_SUBSCRIPTION)
    with pytest.raises(PermissionDenied) as exc:
        require(actor(Role.GLOBAL_ADMIN), Perm.CANCEL_AZURE_SUBSCRIPTION)
    assert "Global admin" in str(exc.value.description) and "Admin agent" in str(exc.value.description)


def test_mca_attestation_is_refused_to_indirect_resellers_and_app_only():
    assert allowed(actor(Role.SALES_AGENT), Perm.ATTEST_MCA)
    assert allowed(actor(Role.ADMIN_AGENT, tier=Tier.INDIRECT_PROVIDER), Perm.ATTEST_MCA)
    assert not allowed(actor(Role.ADMIN_AGENT, tier=Tier.INDIRECT_RESELLER), Perm.ATTEST_MCA)
    assert not allowed(actor(Role.ADMIN_AGENT, app=True), Perm.ATTEST_MCA)


def test_forbidden_message_names_the_roles_needed():
    with pytest.raises(PermissionDenied) as exc:
        require(actor(Role.SALES_AGENT), Perm.VIEW_USERS)
    assert exc.value.status == 403 and exc.value.code == 2032
    assert "Global admin" in str(exc.value.description)
    assert "User management admin" in str(exc.value.description)


def test_billing_admin_sees_invoices_but_not_azure_plan():
    assert allowed(actor(Role.BILLING_ADMIN), Perm.VIEW_INVOICES)
    assert not allowed(actor(Role.BILLING_ADMIN), Perm.VIEW_AZURE_PLAN)
    assert not allowed(actor(Role.SALES_AGENT), Perm.VIEW_INVOICES)
