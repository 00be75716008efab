import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from accounts.choices import Role, Tier
from agreements.errors import McaMissing
from azureplan import errors
from azureplan.models import AzurePlan, AzureSubscription, Cart, Order, RoleAssignment
from azureplan.ordering import services as ordering_services
from azureplan.plans import services as plan_services
from core.errors import InvalidInput, PermissionDenied
from customers.errors import NoCommerceRelationship
from customers.tests.factories import CustomerFactory

from ..factories import buyable_customer, plan_line

pytestmark = pytest.mark.django_db

# Principals are Entra object ids (GUIDs).
P1, P2, P3 = ("11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222",
              "33333333-3333-4333-8333-333333333333")


@pytest.fixture
def agent(make_user):
    return make_user(Role.SALES_AGENT, Role.ADMIN_AGENT, email="agent@a.example.com")


@pytest.fixture
def admin_agent_ga(make_user):
    return make_user(Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, email="ga-aa@a.example.com")


def buy(actor, customer, django_capture_on_commit_callbacks, **line):
    cart = ordering_services.cart_create(actor=actor, customer=customer, items=[plan_line(**line)])
    with django_capture_on_commit_callbacks(execute=True):
        orders = ordering_services.cart_checkout(actor=actor, cart=cart)
    return cart, orders


def test_buying_the_azure_plan_provisions_plan_subscription_and_aobo(agent, actor_of,
                                                                       django_capture_on_commit_callbacks):
    customer = buyable_customer(agent.organisation)
    cart, orders = buy(actor_of(agent), customer, django_capture_on_commit_callbacks)
    order = Order.objects.get(pk=orders[0].pk)
    assert order.status == "completed" and order.currency == "USD"
    plan = AzurePlan.objects.get(customer=customer)
    assert plan.status == "active" and plan.offer_id == "DZH318Z0BPS6:0001:DZH318Z0BML6"
    sub = AzureSubscription.objects.get(plan=plan)
    owner = RoleAssignment.objects.get(azure_subscription=sub)
    assert owner.role_id == "Owner" and owner.principal_type == "partner_admin_agents"
    assert plan_services.pec_status(sub)[0] is True
    cart.refresh_from_db()
    assert cart.status == "Ordered"


def test_gates(agent, actor_of, global_admin):
    no_mca = CustomerFactory(organisation=agent.organisation)
    cart = ordering_services.cart_create(actor=actor_of(agent), customer=no_mca, items=[plan_line()])
    with pytest.raises(McaMissing):
        ordering_services.cart_checkout(actor=actor_of(agent), cart=cart)
    from customers.services import relationship_remove

    removed = buyable_customer(agent.organisation)
    relationship_remove(actor=actor_of(global_admin), customer=removed)
    cart = ordering_services.cart_create(actor=actor_of(agent), customer=removed, items=[plan_line()])
    with pytest.raises(NoCommerceRelationship):
        ordering_services.cart_checkout(actor=actor_of(agent), cart=cart)
    assert not Order.objects.exists() and not AzurePlan.objects.exists()


@pytest.mark.parametrize("line,error,code", [
    ({"quantity": 2}, errors.CartItemError, 800009), ({"friendly_name": "x" * 129}, errors.CartItemError, 800009),
    ({"catalog_item_id": "NOPE:0001:X"}, errors.ProductNotFound, 400013),
    ({"catalog_item_id": "DZH318Z0BPS6:9999:X"}, errors.SkuNotFound, 400018),
    ({"catalog_item_id": "DZH318Z0BPS6:0001:NOPE"}, errors.AvailabilityNotFound, 400019),
])
def test_bad_lines(agent, actor_of, line, error, code):
    customer = buyable_customer(agent.organisation)
    with pytest.raises(error) as exc:
        ordering_services.cart_create(actor=actor_of(agent), customer=customer, items=[plan_line(**line)])
    assert exc.value.code == code
    assert not Cart.objects.exists()


def test_second_plan_and_second_checkout(agent, actor_of, django_capture_on_commit_callbacks):
    customer = buyable_customer(agent.organisation)
    cart, _orders = buy(actor_of(agent), customer, django_capture_on_commit_callbacks)
    with pytest.raises(errors.CartAlreadySubmitted):
        ordering_services.cart_checkout(actor=actor_of(agent), cart=cart)
    other = ordering_services.cart_create(actor=actor_of(agent), customer=customer, items=[plan_line()])
    with pytest.raises(errors.AzurePlanExists):
        ordering_services.cart_checkout(actor=actor_of(agent), cart=other)
    assert AzurePlan.objects.filter(customer=customer).count() == 1


def test_indirect_provider_names_its_reseller(make_org, make_user, actor_of, django_capture_on_commit_callbacks):
    from accounts.models import Country

    provider = make_org(tier=Tier.INDIRECT_PROVIDER, country=Country.objects.get(code="US"))
    reseller = make_org(tier=Tier.INDIRECT_RESELLER, provider=provider, country=Country.objects.get(code="US"))
    stranger = make_org(tier=Tier.INDIRECT_RESELLER, provider=make_org(tier=Tier.INDIRECT_PROVIDER))
    user = make_user(Role.SALES_AGENT, Role.ADMIN_AGENT, organisation=provider)
    customer = buyable_customer(provider)
    with pytest.raises(errors.CartItemError):
        ordering_services.cart_create(actor=actor_of(user), customer=customer, items=[plan_line()])
    with pytest.raises(errors.CartItemError):
        ordering_services.cart_create(actor=actor_of(user), customer=customer,
                                      items=[plan_line(reseller=stranger.partner_id)])
    buy(actor_of(user), customer, django_capture_on_commit_callbacks, reseller=reseller.partner_id)
    plan = AzurePlan.objects.get(customer=customer)
    assert plan.reseller == reseller


def test_plan_suspend_needs_no_active_subscription_and_cancel_flow(agent, admin_agent_ga, actor_of,
                                                                   django_capture_on_commit_callbacks):
    customer = buyable_customer(agent.organisation)
    buy(actor_of(agent), customer, django_capture_on_commit_callbacks)
    plan = AzurePlan.objects.get(customer=customer)
    with pytest.raises(errors.PlanHasActiveSubscriptions) as exc:
        plan_services.plan_update(actor=actor_of(agent), plan=plan, status="suspended")
    assert exc.value.code == 900115
    sub = plan.azure_subscriptions.get()
    with pytest.raises(PermissionDenied) as exc:
        plan_services.azure_subscription_cancel(actor=actor_of(agent), sub=sub, reason="compromise")
    assert exc.value.code == 2032 and "Global admin" in str(exc.value.description)
    with pytest.raises(errors.InvalidCancellationReason):
        plan_services.azure_subscription_cancel(actor=actor_of(admin_agent_ga), sub=sub, reason="boredom")
    plan_services.azure_subscription_cancel(actor=actor_of(admin_agent_ga), sub=sub, reason="compromise")
    plan = plan_services.plan_update(actor=actor_of(agent), plan=plan, status="suspended")
    assert plan.status == "suspended"
    with pytest.raises(errors.SubscriptionStatusNotChangeable):
        plan_services.azure_subscription_create(actor=actor_of(agent), plan=plan, name="New")
    plan = plan_services.plan_update(actor=actor_of(agent), plan=plan, status="active")
    plan_services.plan_cancel(actor=actor_of(admin_agent_ga), plan=plan)
    plan.refresh_from_db()
    assert plan.status == "deleted"


def test_bulk_cancel_at_most_ten(agent, admin_agent_ga, actor_of, django_capture_on_commit_callbacks):
    customer = buyable_customer(agent.organisation)
    buy(actor_of(agent), customer, django_capture_on_commit_callbacks)
    plan = AzurePlan.objects.get(customer=customer)
    for i in range(10):
        plan_services.azure_subscription_create(actor=actor_of(agent), plan=plan, name=f"Sub {i}")
    subs = list(plan.azure_subscriptions.all())
    assert len(subs) == 11
    with pytest.raises(errors.TooManyInOneSubmit):
        plan_services.azure_subscriptions_cancel(actor=actor_of(admin_agent_ga), subs=subs, reason="unused")
    assert plan.azure_subscriptions.filter(status="active").count() == 11
    plan_services.azure_subscriptions_cancel(actor=actor_of(admin_agent_ga), subs=subs[:10], reason="unused")
    assert plan.azure_subscriptions.filter(status="active").count() == 1


def test_deleted_90_days_after_cancel_and_no_reactivation_then(agent, admin_agent_ga, actor_of,
                                                               django_capture_on_commit_callbacks):
    customer = buyable_customer(agent.organisation)
    buy(actor_of(agent), customer, django_capture_on_commit_callbacks)
    sub = AzureSubscription.objects.get(plan__customer=customer)
    plan_services.azure_subscription_cancel(actor=actor_of(admin_agent_ga), sub=sub, reason="compromise")
    plan_services.azure_subscription_reactivate(actor=actor_of(admin_agent_ga), sub=sub)
    sub = plan_services.azure_subscription_cancel(actor=actor_of(admin_agent_ga), sub=sub, reason="compromise")
    assert plan_services.delete_expired_azure_subscriptions(now=timezone.now() + timedelta(days=89)) == 0
    with time_machine.travel(timezone.now() + timedelta(days=91)):
        assert plan_services.delete_expired_azure_subscriptions() == 1
        with pytest.raises(errors.CannotReactivate):
            plan_services.azure_subscription_reactivate(actor=actor_of(admin_agent_ga), sub=sub)
    sub.refresh_from_db()
    assert sub.status == "deleted" and not sub.role_assignments.filter(removed_at__isnull=True).exists()


def test_role_assignments_and_pec(agent, actor_of, django_capture_on_commit_callbacks):
    customer = buyable_customer(agent.organisation)
    buy(actor_of(agent), customer, django_capture_on_commit_callbacks)
    sub = AzureSubscription.objects.get(plan__customer=customer)
    owner = sub.role_assignments.get()
    reader = plan_services.role_assignment_add(actor=actor_of(agent), sub=sub, principal_type="partner_admin_agents",
                                          principal_id=P1, principal_name="Helpdesk", role="Reader")
    plan_services.role_assignment_remove(actor=actor_of(agent), assignment=owner)
    eligible, reason = plan_services.pec_status(sub)
    assert not eligible and "read-only" in str(reason)
    owner.refresh_from_db()
    assert owner.removed_at is not None  # history kept
    plan_services.role_assignment_remove(actor=actor_of(agent), assignment=reader)
    plan_services.role_assignment_add(actor=actor_of(agent), sub=sub, principal_type="customer_user",
                                 principal_id=P2, principal_name="Customer user", role="Owner")
    eligible, reason = plan_services.pec_status(sub)
    assert not eligible and "Only other principals" in str(reason)
    with pytest.raises(InvalidInput) as exc:
        plan_services.role_assignment_add(actor=actor_of(agent), sub=sub, principal_type="customer_user",
                                     principal_id=P2, principal_name="Customer user", role="Owner")
    assert exc.value.code == 800002


def test_legacy_azure_blocks_the_plan(agent, actor_of):
    customer = buyable_customer(agent.organisation)
    ordering_services.LEGACY_AZURE_COUNTERS.append(lambda c, o: 1 if c.pk == customer.pk else 0)
    try:
        cart = ordering_services.cart_create(actor=actor_of(agent), customer=customer, items=[plan_line()])
        with pytest.raises(errors.LegacyAzurePresent) as exc:
            ordering_services.cart_checkout(actor=actor_of(agent), cart=cart)
        assert "transition" in str(exc.value.description)
        assert "1 active legacy Azure (MS-AZR-0145P) subscription from you. Move it" in str(exc.value.description)
    finally:
        ordering_services.LEGACY_AZURE_COUNTERS.pop()
    assert not AzurePlan.objects.exists()


def test_relationship_removal_counts_azure(agent, actor_of, global_admin, django_capture_on_commit_callbacks):
    from customers.errors import ActiveSubscriptions
    from customers.services import relationship_remove

    customer = buyable_customer(agent.organisation)
    buy(actor_of(agent), customer, django_capture_on_commit_callbacks)
    with pytest.raises(ActiveSubscriptions):
        relationship_remove(actor=actor_of(global_admin), customer=customer)


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_checkouts_give_one_plan(make_user, actor_of):
    agent = make_user(Role.SALES_AGENT, email="race@a.example.com")
    customer = buyable_customer(agent.organisation)
    carts = [ordering_services.cart_create(actor=actor_of(agent), customer=customer, items=[plan_line()]) for _ in range(2)]
    barrier = threading.Barrier(2)
    outcomes = []

    def checkout(cart):
        try:
            barrier.wait()
            ordering_services.cart_checkout(actor=actor_of(agent), cart=cart)
            outcomes.append("ok")
        except errors.AzurePlanExists as exc:
            outcomes.append(exc.code)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=checkout, args=(cart,)) for cart in carts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes, key=str) == sorted(["ok", 800066], key=str)
    assert AzurePlan.objects.filter(customer=customer).count() == 1


def test_a_reseller_sees_only_the_plans_it_is_reseller_of_record_of(make_org, make_user, actor_of,
                                                                    django_capture_on_commit_callbacks):
    from accounts.models import Country

    us = Country.objects.get(code="US")
    provider = make_org(tier=Tier.INDIRECT_PROVIDER, country=us)
    first = make_org(tier=Tier.INDIRECT_RESELLER, provider=provider, country=us)
    second = make_org(tier=Tier.INDIRECT_RESELLER, provider=provider, country=us)
    user = make_user(Role.SALES_AGENT, Role.ADMIN_AGENT, organisation=provider)
    customer = buyable_customer(provider, reseller=second)
    buy(actor_of(user), customer, django_capture_on_commit_callbacks, reseller=first.partner_id)
    first_user = make_user(Role.SALES_AGENT, organisation=first)
    second_user = make_user(Role.SALES_AGENT, organisation=second)
    # The customer is assigned to `second`: `first`, reseller of record of the plan but not assigned the customer,
    # sees nothing of it (the rule the API applied already, now the pages' too); `second` sees no plan of `first`.
    assert AzurePlan.objects.for_actor(actor_of(first_user)).count() == 0
    assert AzurePlan.objects.for_actor(actor_of(second_user)).count() == 0
    assert AzureSubscription.objects.for_actor(actor_of(second_user)).count() == 0
    assert Order.objects.for_actor(actor_of(second_user)).count() == 0
    customer.reseller = first  # the provider assigns the customer to `first`: now it sees its plan
    customer.save(update_fields=["reseller"])
    assert AzurePlan.objects.for_actor(actor_of(first_user)).count() == 1
    assert AzureSubscription.objects.for_actor(actor_of(first_user)).count() == 1
    assert Order.objects.for_actor(actor_of(first_user)).count() == 1


def test_a_pending_plan_is_left_to_provisioning(agent, admin_agent_ga, actor_of):
    customer = buyable_customer(agent.organisation)
    cart = ordering_services.cart_create(actor=actor_of(agent), customer=customer, items=[plan_line()])
    order = ordering_services.cart_checkout(actor=actor_of(agent), cart=cart)[0]  # on_commit not run: still pending
    plan = AzurePlan.objects.get(customer=customer)
    with pytest.raises(errors.SubscriptionStatusNotChangeable):
        plan_services.plan_cancel(actor=actor_of(admin_agent_ga), plan=plan)
    with pytest.raises(errors.SubscriptionStatusNotChangeable):
        plan_services.plan_update(actor=actor_of(agent), plan=plan, status="active")
    assert ordering_services.order_provision(order.pk).status == "completed"
    plan.refresh_from_db()
    assert plan.status == "active" and plan.azure_subscriptions.count() == 1


def test_an_order_whose_plan_is_gone_fails_and_creates_nothing(agent, actor_of):
    customer = buyable_customer(agent.organisation)
    cart = ordering_services.cart_create(actor=actor_of(agent), customer=customer, items=[plan_line()])
    order = ordering_services.cart_checkout(actor=actor_of(agent), cart=cart)[0]
    AzurePlan.objects.filter(customer=customer).update(status="deleted")
    order = ordering_services.order_provision(order.pk)
    assert order.status == "failed" and order.error_reason
    assert not AzureSubscription.objects.exists()


def test_other_partner_principal_cannot_be_our_own_partner_id(agent, actor_of, django_capture_on_commit_callbacks):
    customer = buyable_customer(agent.organisation)
    buy(actor_of(agent), customer, django_capture_on_commit_callbacks)
    sub = AzureSubscription.objects.get(plan__customer=customer)
    with pytest.raises(InvalidInput) as exc:
        plan_services.role_assignment_add(actor=actor_of(agent), sub=sub, principal_type="other_partner",
                                          principal_id=P3, principal_name="X", role="Owner",
                                          partner=agent.organisation.partner_id)
    assert exc.value.code == 800002


def test_every_step_of_a_purchase_is_audited(agent, actor_of, django_capture_on_commit_callbacks):
    from core.models import AuditEvent

    customer = buyable_customer(agent.organisation)
    buy(actor_of(agent), customer, django_capture_on_commit_callbacks)
    actions = set(AuditEvent.objects.filter(subject_id=str(customer.tenant_id)).values_list("action", flat=True))
    assert {"cart.created", "azure_plan.ordered", "order.created", "cart.checked_out", "azure_plan.activated",
            "azure_subscription.created", "order.completed"} <= actions
