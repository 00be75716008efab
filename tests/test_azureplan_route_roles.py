"""Every write route of the Azure plan API names the permission it needs (PCAPIView.required_permissions): a role that
may not call it gets 403 / 2032 before the body is read, whatever the body (a bad one and a good one), and nothing
changes. The read-only POSTs of product upgrades are not idempotent writes (no stored replay)."""

import pytest

from accounts.choices import Role
from azureplan.legacy.api import views as legacy_views
from azureplan.models import AzurePlan, AzureSubscription, Cart, Order, RoleAssignment
from azureplan.tests.factories import AZURE_PLAN_US, azure_plan_with_subscriptions
from core.testing import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(org):
    return azure_plan_with_subscriptions(organisation=org, n=1)


def _routes(plan):
    customer = plan.customer
    sub = plan.azure_subscriptions.first()
    assignment = sub.role_assignments.first()
    base = f"/v1/customers/{customer.tenant_id}"
    plan_path = f"{base}/subscriptions/{plan.public_id}"
    ent = f"{plan_path}/azureEntitlements/{sub.subscription_id}"
    cart_line = {"lineItems": [{"catalogItemId": AZURE_PLAN_US, "quantity": 1, "billingCycle": "one_time"}]}
    fake = "00000000-0000-0000-0000-000000000001"
    return [
        ("post", f"{base}/carts", cart_line),
        ("put", f"{base}/carts/{fake}", cart_line),
        ("post", f"{base}/carts/{fake}/checkout", {}),
        ("post", f"{base}/orders", {"lineItems": [{"lineItemNumber": 0, "offerId": AZURE_PLAN_US, "quantity": 1}]}),
        ("patch", plan_path, {"status": "suspended"}),
        ("post", f"{plan_path}/cancel", {}),
        ("post", f"{plan_path}/azureEntitlements", {"friendlyName": "New one"}),
        ("patch", ent, {"friendlyName": "Renamed"}),
        ("post", f"{ent}/cancel", {"cancellationReason": "compromise"}),
        ("post", f"{ent}/reactivate", {}),
        ("post", f"{ent}/roleAssignments", {"principalType": "customer_user", "principalId": "u-1",
                                            "principalName": "U", "roleName": "Reader"}),
        ("post", f"{ent}/roleAssignments/{assignment.public_id}/remove", {}),
        ("post", "/v1/legacySubscriptions/imports", {"fileName": "a.csv", "content": "customerId\n"}),
    ]


def _state():
    return (Cart.objects.count(), Order.objects.count(), list(AzurePlan.objects.values_list("status", "friendly_name")),
            list(AzureSubscription.objects.values_list("status", "friendly_name")),
            list(RoleAssignment.objects.values_list("removed_at", flat=True)))


@pytest.mark.parametrize("body_kind", ["bad", "good"])
@pytest.mark.parametrize("index", range(13))
def test_a_role_that_may_not_call_the_route_gets_403_whatever_the_body(make_user, api_client_for, plan, index,
                                                                       body_kind):
    helpdesk = api_client_for(make_user(Role.HELPDESK_AGENT, email="help@a.example.com"))
    method, path, good = _routes(plan)[index]
    before = _state()
    call = getattr(helpdesk, method)
    if body_kind == "good":
        response = call(path, good, format="json")
    else:
        response = call(path, data="[not json", content_type="application/json")
    assert_error(response, 403, 2032)
    assert _state() == before


def test_read_only_product_upgrade_posts_are_not_idempotent_writes():
    assert legacy_views.ProductUpgradeEligibilityView.idempotent_methods == ()
    assert legacy_views.ProductUpgradeStatusView.idempotent_methods == ()
    assert not getattr(legacy_views.ProductUpgradeEligibilityView.post, "_idempotent", False)
    assert not getattr(legacy_views.ProductUpgradeStatusView.post, "_idempotent", False)
