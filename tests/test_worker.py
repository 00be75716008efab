"""A real Celery worker on Redis: the invitation e-mail leaves through the broker, and a Job's
progress is kept in the database. Skips without Redis, fails under CI=true."""


import pytest
from django.core import mail

from accounts import services
from accounts.actors import actor_for_user
from accounts.choices import Role
from conftest import wait_until


@pytest.mark.needs_worker
def test_invitation_email_goes_through_the_worker(solo_worker, make_user):
    admin = make_user(Role.GLOBAL_ADMIN)
    user = services.user_invite(actor=actor_for_user(admin), email="queued@a.example.com", first_name="Q",
                                last_name="Ueued", roles=["sales_agent"])
    assert wait_until(lambda: len(mail.outbox) == 1), "the worker did not send the invitation"
    message = mail.outbox[0]
    assert message.to == [user.email]
    assert "/accounts/invitation/" in message.body


@pytest.mark.needs_redis
def test_broker_health_is_reported(solo_worker, client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "broker": "ok"}


@pytest.mark.needs_worker
def test_order_provisioning_and_deletion_run_on_the_worker(solo_worker, make_user):
    from datetime import timedelta

    from django.utils import timezone

    from azureplan.models import AzurePlan, AzureSubscription, Order
    from azureplan.ordering import services as ordering_services
    from azureplan.plans import services as plan_services
    from azureplan.tests.factories import buyable_customer, plan_line

    agent = make_user(Role.SALES_AGENT, Role.ADMIN_AGENT, Role.GLOBAL_ADMIN)
    actor = actor_for_user(agent)
    customer = buyable_customer(agent.organisation)
    cart = ordering_services.cart_create(actor=actor, customer=customer, items=[plan_line()])
    order = ordering_services.cart_checkout(actor=actor, cart=cart)[0]
    assert wait_until(lambda: Order.objects.get(pk=order.pk).status == "completed"), Order.objects.get(pk=order.pk).status
    plan = AzurePlan.objects.get(customer=customer)
    assert plan.status == "active" and plan.azure_subscriptions.count() == 1
    sub = plan.azure_subscriptions.get()
    plan_services.azure_subscription_cancel(actor=actor, sub=sub, reason="compromise")
    AzureSubscription.objects.filter(pk=sub.pk).update(delete_after=timezone.now() - timedelta(minutes=1))
    from azureplan.tasks import delete_expired_azure_subscriptions

    delete_expired_azure_subscriptions.delay()
    assert wait_until(lambda: AzureSubscription.objects.get(pk=sub.pk).status == "deleted")
