"""The indirect reseller sweep: pages and the API follow one rule for what an indirect reseller may touch.

A customer's commerce rows (carts, orders, Azure plans, Azure subscriptions, role assignments, legacy
subscriptions) are visible to an indirect reseller only while the customer is assigned to it *and* it is the
reseller of record of the row (azureplan.models.scoping.customer_q). A reseller that was never assigned, or
that the provider moved the customer away from while its plan still names it, gets 404 on every portal page
keyed by one of these ids, with every method, and nothing changes.
"""

import pytest

from accounts.actors import actor_for_user, system_actor
from accounts.choices import Role, Tier
from accounts.models import Country
from azureplan.legacy import services as legacy_services
from azureplan.models import AzurePlan
from azureplan.ordering import services as ordering_services
from azureplan.tests.factories import buyable_customer, legacy_estate, plan_line
from core.testing import page_url
from customers.services import customer_assign_reseller
from tests.test_cross_tenant import FOREIGN_OBJECTS, _methods, _snapshot, id_routes

pytestmark = pytest.mark.django_db

# Portal routes keyed by a customer's commerce ids (and the customer itself): the reseller of record's reach.
RESELLER_ROUTES = {
    "customer_detail", "customer_billing", "customer_assign_reseller", "customer_remove_relationship",
    "customer_attest", "azure_plan_cart", "cart_detail", "cart_checkout", "order_list", "order_detail",
    "azure_plan_action", "azure_subscription_create", "azure_subscriptions_cancel", "azure_subscription_detail",
    "azure_subscription_rename", "azure_subscription_reactivate", "role_assignment_add", "role_assignment_remove",
    "customer_legacy_section", "customer_legacy_start", "customer_legacy_retry", "legacy_subscription_rename",
}


@pytest.fixture
def estate(make_org, make_user, django_capture_on_commit_callbacks):
    """An indirect provider's customer, sold through reseller R: cart, order, Azure plan, Azure subscription, role
    assignment and a legacy subscription naming R as reseller of record, and an open upgrade."""
    us = Country.objects.get(code="US")
    provider = make_org(tier=Tier.INDIRECT_PROVIDER, country=us, name="Provider")
    reseller = make_org(tier=Tier.INDIRECT_RESELLER, provider=provider, country=us, name="Former Resale")
    other = make_org(tier=Tier.INDIRECT_RESELLER, provider=provider, country=us, name="Next Resale")
    customer = buyable_customer(provider, reseller=reseller)
    system = system_actor(provider)
    cart = ordering_services.cart_create(actor=system, customer=customer, items=[plan_line(reseller=reseller.partner_id)])
    with django_capture_on_commit_callbacks(execute=True):
        (order,) = ordering_services.cart_checkout(actor=system, cart=cart)
    plan = AzurePlan.objects.get(order=order)
    sub = plan.azure_subscriptions.get()
    # A second, open cart naming the reseller.
    open_cart = ordering_services.cart_create(actor=system, customer=customer,
                                              items=[plan_line(reseller=reseller.partner_id)])
    legacy_customer = buyable_customer(provider, reseller=reseller)
    legacy_estate(system, legacy_customer, 1, reseller=reseller.partner_id)
    upgrade = legacy_services.upgrade_start(actor=system, customer=legacy_customer)
    return {"provider": provider, "reseller": reseller, "other": other, "customer": customer, "plan": plan,
            "azure_subscription": sub, "role_assignment": sub.role_assignments.get(), "cart": open_cart,
            "order": order, "legacy": legacy_customer.legacy_subscriptions.get(), "upgrade": upgrade,
            "legacy_customer": legacy_customer, "system": system}


def _kwargs(name, estate):
    ids = {"tenant_id": str(estate["customer"].tenant_id),
           "subscription_id": str(estate["azure_subscription"].subscription_id),
           "upgrade_id": str(estate["upgrade"].public_id)}
    public = {"cart_detail": estate["cart"], "cart_checkout": estate["cart"], "order_detail": estate["order"],
              "azure_plan_action": estate["plan"], "azure_subscription_create": estate["plan"],
              "azure_subscriptions_cancel": estate["plan"], "role_assignment_remove": estate["role_assignment"],
              "legacy_subscription_rename": estate["legacy"]}
    if name in ("customer_legacy_section", "customer_legacy_start", "customer_legacy_retry"):
        ids["tenant_id"] = str(estate["legacy_customer"].tenant_id)
    kwargs = {}
    for arg in FOREIGN_OBJECTS[name]:
        kwargs[arg] = str(public[name].public_id) if arg == "public_id" else ids[arg]
    return kwargs


def _routes():
    routes = [pattern for _route, pattern in id_routes() if pattern.name in RESELLER_ROUTES]
    assert {p.name for p in routes} == RESELLER_ROUTES
    return routes


def _sweep(client, estate):
    checked = []
    for pattern in _routes():
        url = page_url(pattern.name, kwargs=_kwargs(pattern.name, estate))
        for method in _methods(pattern):
            response = getattr(client, method.lower())(url)
            if response.status_code == 405:
                continue
            assert response.status_code == 404, f"{method} {url} answered {response.status_code}"
            checked.append((method, pattern.name))
    return checked


def test_the_reseller_of_record_sees_its_rows_while_assigned(estate, make_user, portal_client):
    """The control: while the customer is assigned to it, the reseller of record opens these pages."""
    seller = make_user(*Role, organisation=estate["reseller"], email="every-role@former.example.com")
    client = portal_client(seller)
    for name in ("customer_detail", "azure_subscription_detail", "order_detail", "cart_detail", "order_list"):
        response = client.get(page_url(name, kwargs=_kwargs(name, estate)))
        assert response.status_code == 200, name


@pytest.mark.parametrize("who", ["never_assigned", "unassigned_by_provider"])
def test_a_reseller_not_assigned_gets_404_on_every_portal_route(estate, make_user, portal_client, who):
    provider_admin = make_user(Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, organisation=estate["provider"],
                               email="admin@provider.example.com")
    if who == "never_assigned":
        org = estate["other"]
    else:
        # The provider moves both customers away: the plan, its Azure subscriptions, the order and the legacy
        # subscription still name the former reseller as their reseller of record.
        for customer in (estate["customer"], estate["legacy_customer"]):
            customer_assign_reseller(actor=actor_for_user(provider_admin), customer=customer,
                                     reseller=estate["other"].partner_id)
        org = estate["reseller"]
        assert AzurePlan.objects.get(pk=estate["plan"].pk).reseller_id == estate["reseller"].pk
    user = make_user(*Role, organisation=org, email=f"every-role@{who}.example.com")
    client = portal_client(user)
    before = _snapshot()
    checked = _sweep(client, estate)
    assert {"POST"} <= {method for method, _name in checked}
    assert {name for _method, name in checked} == RESELLER_ROUTES
    assert _snapshot() == before


def test_the_api_agrees_with_the_pages(estate, make_user, api_client_for, make_org):
    """Same rule on the API: the former reseller of record gets 404 for the customer's plan and entitlement."""
    provider_admin = make_user(Role.GLOBAL_ADMIN, organisation=estate["provider"], email="ga@provider.example.com")
    customer_assign_reseller(actor=actor_for_user(provider_admin), customer=estate["customer"], reseller="")
    api = api_client_for(make_user(*Role, organisation=estate["reseller"], email="api@former.example.com"))
    base = f"/v1/customers/{estate['customer'].tenant_id}"
    for url in (base, f"{base}/subscriptions/{estate['plan'].public_id}",
                f"{base}/subscriptions/{estate['plan'].public_id}/azureEntitlements/"
                f"{estate['azure_subscription'].subscription_id}"):
        assert api.get(url).status_code == 404, url
