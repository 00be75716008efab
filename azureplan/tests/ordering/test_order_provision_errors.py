"""order_provision turns only Partner Center errors (a refusal it means) into a failed order: any other exception is a
bug or an outage, so it propagates, nothing is written and the order stays pending for a retry."""

import pytest

from accounts.choices import Role
from azureplan.models import AzurePlan, AzureRole, AzureSubscription, Order
from azureplan.ordering import services as ordering_services

from ..factories import buyable_customer, plan_line

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending_order(make_user, actor_of):
    agent = make_user(Role.SALES_AGENT, Role.ADMIN_AGENT, email="agent@a.example.com")
    customer = buyable_customer(agent.organisation)
    cart = ordering_services.cart_create(actor=actor_of(agent), customer=customer, items=[plan_line()])
    return ordering_services.cart_checkout(actor=actor_of(agent), cart=cart)[0]  # on_commit not run: pending


def test_a_partner_center_refusal_fails_the_order(pending_order):
    AzurePlan.objects.filter(order=pending_order).update(status="suspended")  # the plan is no longer provisionable
    order = ordering_services.order_provision(pending_order.pk)
    assert order.status == "failed"
    assert "suspended" in order.error_reason
    assert not AzureSubscription.objects.exists()


def test_an_unexpected_exception_propagates_and_the_order_stays_pending(pending_order):
    AzureRole.objects.filter(name="Owner").delete()  # bad data: the AOBO role the first subscription needs is gone
    with pytest.raises(AzureRole.DoesNotExist):
        ordering_services.order_provision(pending_order.pk)
    order = Order.objects.get(pk=pending_order.pk)
    assert (order.status, order.error_reason) == ("pending", "")
    assert AzurePlan.objects.get(order=order).status == "pending"  # rolled back: a retry starts from the same place
    assert not AzureSubscription.objects.exists()
