"""No N+1: the order, subscription and Azure entitlement lists of the API and the customer page cost the same number
of queries for 1 row as for 10. Each test warms up on the small customer, counts its queries, then asserts that
the large one takes exactly as many."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.choices import Role, Tier
from accounts.tests.factories import OrganisationFactory
from azureplan.models import OrderLineItem
from azureplan.tests.factories import (
    AzurePlanFactory,
    OrderFactory,
    azure_plan_with_subscriptions,
    legacy_estate,
)
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

SMALL, LARGE = 1, 10


def queries_of(client, url):
    client.get(url)  # warm-up: caches filled by the first request of a client (session, content types, ...)
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(context.captured_queries)


def assert_same_cost(client, small_url, large_url, django_assert_num_queries):
    expected = queries_of(client, small_url)
    with django_assert_num_queries(expected):
        response = client.get(large_url)
    assert response.status_code == 200
    return response


@pytest.fixture
def ga_aa(make_user):
    return make_user(Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, email="ga-aa@a.example.com")


def customer_with_orders(org, n):
    plan = azure_plan_with_subscriptions(CustomerFactory(organisation=org), n=1)
    for _n in range(n - 1):
        order = OrderFactory(customer=plan.customer)
        OrderLineItem.objects.create(order=order, line_number=0, availability_id=plan.offer_id, offer_id=plan.offer_id,
                                     quantity=1, plan=plan, fulfilled=True)
    return plan.customer


def test_order_list(org, ga_aa, api_client_for, django_assert_num_queries):
    small, large = customer_with_orders(org, SMALL), customer_with_orders(org, LARGE)
    response = assert_same_cost(api_client_for(ga_aa), f"/v1/customers/{small.tenant_id}/orders",
                                f"/v1/customers/{large.tenant_id}/orders", django_assert_num_queries)
    assert response.json()["totalCount"] == LARGE


def test_subscription_list_of_plans_and_legacy_subscriptions(make_user, actor_of, api_client_for,
                                                             django_assert_num_queries):
    """An indirect provider's customer has one Azure plan per reseller of record, and legacy subscriptions."""
    provider = OrganisationFactory(tier=Tier.INDIRECT_PROVIDER)
    admin = make_user(Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, organisation=provider, email="ga@provider.example.com")

    def customer(n):
        customer = CustomerFactory(organisation=provider)
        resellers = [OrganisationFactory(tier=Tier.INDIRECT_RESELLER, provider=provider) for _r in range(n)]
        for reseller in resellers:
            AzurePlanFactory(customer=customer, reseller=reseller)
        legacy_estate(actor_of(admin), customer, names=[f"Legacy {i}" for i in range(n)],
                      reseller=resellers[0].partner_id)
        return customer

    small, large = customer(SMALL), customer(LARGE)
    response = assert_same_cost(api_client_for(admin), f"/v1/customers/{small.tenant_id}/subscriptions",
                                f"/v1/customers/{large.tenant_id}/subscriptions", django_assert_num_queries)
    assert response.json()["totalCount"] == 2 * LARGE


def test_azure_entitlement_list(org, ga_aa, api_client_for, django_assert_num_queries):
    small = azure_plan_with_subscriptions(CustomerFactory(organisation=org), n=SMALL)
    large = azure_plan_with_subscriptions(CustomerFactory(organisation=org), n=LARGE)

    def url(plan):
        return f"/v1/customers/{plan.customer.tenant_id}/subscriptions/{plan.public_id}/azureEntitlements"

    response = assert_same_cost(api_client_for(ga_aa), url(small), url(large), django_assert_num_queries)
    assert response.json()["totalCount"] == LARGE


def test_customer_page(org, ga_aa, actor_of, portal_client, django_assert_num_queries):
    def customer(n):
        plan = azure_plan_with_subscriptions(CustomerFactory(organisation=org), n=n)
        legacy_estate(actor_of(ga_aa), plan.customer, names=[f"Legacy {uuid.uuid4().hex[:6]}" for _i in range(n)])
        return plan.customer

    small, large = customer(SMALL), customer(LARGE)
    response = assert_same_cost(portal_client(ga_aa), reverse("customers:customer_detail", args=[small.tenant_id]),
                                reverse("customers:customer_detail", args=[large.tenant_id]), django_assert_num_queries)
    assert response.content.decode().count("Legacy ") >= LARGE


# The checkout path of bench_orders (docs/operations.md): an API client creates a cart, then checks it out with an
# MS-RequestId, and retries that checkout. Exact counts, so a new query per checkout is noticed. Cart: token,
# customer (read once: the service trusts the row the API found for the same actor), catalog item, cart, line,
# audit. Checkout: token, the key, customer, cart, the cart again under its lock, its lines with their catalog
# rows, the gates (MCA, legacy Azure, the credit limit in one statement), order, plan (under a savepoint: the
# unique index is the one-plan check, no query before it), order line, cart status, the audit events in one
# INSERT, the stored answer. Inside the test's transaction each atomic block is a savepoint (2 queries) where a
# server has BEGIN/COMMIT.
CART_QUERIES = 8
CHECKOUT_QUERIES = 21
REPLAY_QUERIES = 6


def assert_queries(context, expected, counted=True):
    done = [q["sql"][:120] for q in context.captured_queries]
    assert not counted or len(done) == expected, "\n".join(done)


def test_cart_create_and_checkout(org, make_user, api_client_for, django_capture_on_commit_callbacks):
    from azureplan.models import AzurePlan, Order
    from azureplan.tests.factories import AZURE_PLAN_US, buyable_customer
    from core.models import AuditEvent

    org.credit_limit = 1_000_000  # the credit check runs on every checkout
    org.save(update_fields=["credit_limit"])
    client = api_client_for(make_user(Role.SALES_AGENT, Role.ADMIN_AGENT, email="agent@a.example.com"))
    body = {"lineItems": [{"id": 0, "catalogItemId": AZURE_PLAN_US, "quantity": 1, "billingCycle": "one_time"}]}

    def buy(customer, counted=True):
        with CaptureQueriesContext(connection) as context:
            cart = client.post(f"/v1/customers/{customer.tenant_id}/carts", body, format="json")
        assert cart.status_code == 201, cart.content[:500]
        assert_queries(context, CART_QUERIES, counted)
        url, key = f"/v1/customers/{customer.tenant_id}/carts/{cart.json()['id']}/checkout", str(uuid.uuid4())
        with CaptureQueriesContext(connection) as context, django_capture_on_commit_callbacks() as queued:
            first = client.post(url, HTTP_MS_REQUESTID=key)
        assert first.status_code == 201, first.content[:500]
        assert_queries(context, CHECKOUT_QUERIES, counted)
        assert len(queued) == 1  # the provisioning task, sent at commit
        with CaptureQueriesContext(connection) as context:
            again = client.post(url, HTTP_MS_REQUESTID=key)
        assert_queries(context, REPLAY_QUERIES, counted)
        assert again.status_code == 201 and again["Idempotency-Replayed"] == "true"
        assert again.json() == first.json()
        order = first.json()["orders"][0]
        assert order["status"] == "pending" and order["currencySymbol"] == "$"
        return order

    buy(buyable_customer(org), counted=False)  # warm-up: the token's last use, per-process caches
    customer = buyable_customer(org)
    order = buy(customer)
    assert Order.objects.get(public_id=order["id"]).customer == customer
    assert AzurePlan.objects.filter(customer=customer).count() == 1
    assert set(AuditEvent.objects.filter(subject_id=str(customer.tenant_id)).values_list("action", flat=True)) >= {
        "cart.created", "azure_plan.ordered", "order.created", "cart.checked_out"}
