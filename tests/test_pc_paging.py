"""Subscriptions, orders and Azure entitlements lists page as Partner Center does, with the customers list's
continuation contract: `size`, a top-level `continuationToken`, `links.next` with the `MS-ContinuationToken` header,
no `links.next` on the last page, and a token that only fits its own list."""

import pytest

from accounts.actors import actor_for_user
from accounts.choices import Role
from azureplan.ordering import services as ordering_services
from azureplan.tests.factories import (
    AzureSubscriptionFactory,
    azure_plan_with_subscriptions,
    buyable_customer,
    legacy_estate,
    plan_line,
)
from core.testing import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(make_user):
    return make_user(Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, email="agent@a.example.com")


@pytest.fixture
def api(api_client_for, agent):
    return api_client_for(agent)


def walk(api, path, size):
    """Every page of `path` by following links.next; returns (ids per page, the pages)."""
    pages = []
    response = api.get(f"{path}?size={size}")
    while True:
        assert response.status_code == 200, response.content
        body = response.json()
        pages.append(body)
        nxt = body["links"].get("next")
        if not nxt:
            assert "continuationToken" not in body
            break
        token = body["continuationToken"]
        assert nxt["headers"] == [{"key": "MS-ContinuationToken", "value": token}]
        assert "seekOperation=Next" in nxt["uri"]
        response = api.get("/v1" + nxt["uri"], HTTP_MS_CONTINUATIONTOKEN=token)
    return [[item["id"] for item in page["items"]] for page in pages], pages


def test_azure_entitlements_page(api, org):
    plan = azure_plan_with_subscriptions(organisation=org, n=5)
    path = f"/v1/customers/{plan.customer.tenant_id}/subscriptions/{plan.public_id}/azureEntitlements"
    ids, pages = walk(api, path, 2)
    assert [len(page) for page in ids] == [2, 2, 1]
    expected = [str(s.subscription_id) for s in plan.azure_subscriptions.order_by("created_at", "id")]
    assert sum(ids, []) == expected
    assert pages[0]["totalCount"] == 2
    # Without size: the default page holds them all, and no next link.
    assert len(api.get(path).json()["items"]) == 5 and "next" not in api.get(path).json()["links"]


def test_orders_page_newest_first(api, agent, org):
    customer = buyable_customer(org)
    actor = actor_for_user(agent)
    for _ in range(3):
        ordering_services.cart_checkout(
            actor=actor, cart=ordering_services.cart_create(actor=actor, customer=customer, items=[plan_line()]))
        from azureplan.models import AzurePlan

        AzurePlan.objects.filter(customer=customer).update(status="deleted")  # room for the next plan
    ids, _pages = walk(api, f"/v1/customers/{customer.tenant_id}/orders", 2)
    assert [len(page) for page in ids] == [2, 1]
    from azureplan.models import Order

    assert sum(ids, []) == [str(o.public_id) for o in Order.objects.filter(customer=customer).order_by("-created_at",
                                                                                                       "-id")]


def test_customer_subscriptions_page_across_plans_and_legacy(api, agent, org):
    customer = buyable_customer(org)
    plan = azure_plan_with_subscriptions(customer=customer, n=0)
    legacy_estate(actor_for_user(agent), customer, 4)
    ids, pages = walk(api, f"/v1/customers/{customer.tenant_id}/subscriptions", 2)
    assert [len(page) for page in ids] == [2, 2, 1]
    flat = sum(ids, [])
    assert flat[0] == str(plan.public_id) and len(set(flat)) == 5
    assert [item.get("offerId") for item in pages[-1]["items"]] != []


def test_a_token_of_another_list_or_a_forged_one_is_400(api, org):
    plan = azure_plan_with_subscriptions(organisation=org, n=3)
    AzureSubscriptionFactory(plan=plan)
    base = f"/v1/customers/{plan.customer.tenant_id}"
    token = api.get(f"{base}/subscriptions/{plan.public_id}/azureEntitlements?size=1").json()["continuationToken"]
    response = api.get(f"{base}/subscriptions?size=1&seekOperation=Next", HTTP_MS_CONTINUATIONTOKEN=token)
    assert_error(response, 400, 800002, "MS-ContinuationToken")
    response = api.get(f"{base}/orders?size=1", HTTP_MS_CONTINUATIONTOKEN="forged")
    assert_error(response, 400, 800002, "MS-ContinuationToken")
    assert_error(api.get(f"{base}/orders?size=0x"), 400, 800002, "size")
