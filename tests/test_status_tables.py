"""One test per lifecycle: a move its transition table forbids is refused through the service with the API's
answer (code and status) and changes nothing; the same move asked of core.status directly is refused too. And the
transition batch's Job decision: a retried customer reopens a succeeded batch (succeeded -> running), which then
succeeds again; nothing else reopens a finished Job."""

import pytest
from django.db import transaction

from accounts.actors import actor_for_user
from accounts.choices import Role
from azureplan import errors
from azureplan.choices import TRANSITION_BATCH_TRANSITIONS, UpgradeLineStatus, UpgradeStatus
from azureplan.legacy import services as legacy_services
from azureplan.legacy import transition as legacy_transition
from azureplan.models import (
    AzurePlan,
    AzureSubscription,
    Cart,
    LegacySubscription,
    Order,
    ProductUpgrade,
    ProductUpgradeLine,
)
from azureplan.ordering import services as ordering_services
from azureplan.plans import services as plan_services
from azureplan.tests.factories import azure_plan_with_subscriptions, buyable_customer, legacy_estate, plan_line
from core.errors import Conflict, PartnerCenterError, StatusMoveRefused
from core.jobs import job_create, job_start, job_succeed
from core.models import Job
from core.status import status_move
from core.testing import assert_error
from customers import services as customer_services
from customers.models import RelationshipRequest
from customers.tests.factories import customer_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(make_user):
    return make_user(Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, email="ga-aa@a.example.com")


@pytest.fixture
def actor(admin):
    return actor_for_user(admin)


def refused(exc, status, code):
    assert isinstance(exc, PartnerCenterError) and (exc.status, exc.code) == (status, code), (exc.status, exc.code)


def test_relationship_request(actor):
    row, url = customer_services.relationship_request_create(actor=actor)
    customer_services.relationship_request_revoke(actor=actor, request_row=row)
    with pytest.raises(Conflict) as exc:  # withdrawn twice: 409
        customer_services.relationship_request_revoke(actor=actor, request_row=row)
    refused(exc.value, 409, 990005)
    token = url.rstrip("/").rsplit("/", 1)[1]
    with pytest.raises(customer_services.InvitationInvalid) as exc:  # accepting a withdrawn one: 400/990021
        customer_services.relationship_request_accept(token=token, data=customer_data())
    refused(exc.value, 400, 990021)
    with pytest.raises(StatusMoveRefused):
        status_move(RelationshipRequest.objects.get(pk=row.pk), "accepted")
    assert RelationshipRequest.objects.get(pk=row.pk).status == "revoked"


def test_cart_and_order(actor, admin):
    customer = buyable_customer(admin.organisation)
    cart = ordering_services.cart_create(actor=actor, customer=customer, items=[plan_line()])
    (order,) = ordering_services.cart_checkout(actor=actor, cart=cart)
    with pytest.raises(errors.CartAlreadySubmitted) as exc:  # checked out twice: 400/800065
        ordering_services.cart_checkout(actor=actor, cart=cart)
    refused(exc.value, 400, 800065)
    with pytest.raises(StatusMoveRefused):
        status_move(Cart.objects.get(pk=cart.pk), "Active")
    assert Cart.objects.get(pk=cart.pk).status == "Ordered"

    assert ordering_services.order_provision(order.pk).status == "completed"
    completed_at = Order.objects.get(pk=order.pk).completed_at
    assert ordering_services.order_provision(order.pk).status == "completed"  # run twice: left alone
    with pytest.raises(StatusMoveRefused) as exc:
        status_move(Order.objects.get(pk=order.pk), "failed")
    refused(exc.value, 409, 990005)
    row = Order.objects.get(pk=order.pk)
    assert (row.status, row.completed_at) == ("completed", completed_at)


def test_azure_plan(admin, api_client_for):
    """Cancelling a cancelled plan answers 400/800096 as docs/api.md says (it answered 200 and audited again)."""
    plan = azure_plan_with_subscriptions(organisation=admin.organisation, n=0)
    api = api_client_for(admin)
    url = f"/v1/customers/{plan.customer.tenant_id}/subscriptions/{plan.public_id}"
    assert api.post(f"{url}/cancel").status_code == 200
    version = AzurePlan.objects.get(pk=plan.pk).version
    assert_error(api.post(f"{url}/cancel"), 400, 800096, "status")
    assert_error(api.patch(url, {"status": "active"}, format="json"), 400, 2011)
    with pytest.raises(errors.SubscriptionStatusNotChangeable) as exc:
        plan_services.move_plan(AzurePlan.objects.get(pk=plan.pk), "active")
    refused(exc.value, 400, 800096)
    assert str(exc.value.description) == "The Azure plan cannot go from Cancelled to Active."
    row = AzurePlan.objects.get(pk=plan.pk)
    assert (row.status, row.version) == ("deleted", version)


def test_azure_subscription(admin, api_client_for):
    plan = azure_plan_with_subscriptions(organisation=admin.organisation, n=1)
    sub = plan.azure_subscriptions.get()
    api = api_client_for(admin)
    url = f"/v1/customers/{plan.customer.tenant_id}/subscriptions/{plan.public_id}/azureEntitlements/{sub.subscription_id}"
    assert_error(api.post(f"{url}/reactivate"), 400, 900337)  # active: nothing to reactivate
    assert AzureSubscription.objects.get(pk=sub.pk).status == "active"
    AzureSubscription.objects.filter(pk=sub.pk).update(status="deleted")
    with pytest.raises(errors.CannotReactivate) as exc:
        plan_services.move_subscription(AzureSubscription.objects.get(pk=sub.pk), "active")
    refused(exc.value, 400, 900337)
    assert AzureSubscription.objects.get(pk=sub.pk).status == "deleted"


def test_legacy_subscription_and_product_upgrade(actor, admin, api_client_for, django_capture_on_commit_callbacks):
    customer = buyable_customer(admin.organisation)
    legacy_estate(actor, customer, 1)
    legacy = LegacySubscription.objects.get(customer=customer)
    api = api_client_for(admin)
    url = f"/v1/customers/{customer.tenant_id}/subscriptions/{legacy.public_id}"
    assert_error(api.patch(url, {"status": "suspended"}, format="json"), 400, 800096, "status")
    assert LegacySubscription.objects.get(pk=legacy.pk).status == "active"

    with django_capture_on_commit_callbacks(execute=True):
        upgrade = legacy_services.upgrade_start(actor=actor, customer=customer)
    upgrade.refresh_from_db()
    assert upgrade.status == UpgradeStatus.COMPLETED
    with pytest.raises(PartnerCenterError) as exc:  # retrying a completed upgrade: 400/900110
        legacy_services.upgrade_retry(actor=actor, upgrade=upgrade)
    refused(exc.value, 400, 900110)
    with pytest.raises(StatusMoveRefused):
        status_move(upgrade, UpgradeStatus.IN_PROGRESS)
    with pytest.raises(StatusMoveRefused):  # moved once: never active again
        status_move(LegacySubscription.objects.get(pk=legacy.pk), "active")
    line = ProductUpgradeLine.objects.get(upgrade=upgrade)
    with pytest.raises(StatusMoveRefused):
        status_move(line, UpgradeLineStatus.PENDING)
    assert ProductUpgrade.objects.get(pk=upgrade.pk).status == "completed"
    assert LegacySubscription.objects.get(pk=legacy.pk).status == "suspended"
    assert ProductUpgradeLine.objects.get(pk=line.pk).status == "completed"


def _failed_batch(actor, admin, capture):
    """A batch of two customers, one finished with a failed line (a name too long): the batch succeeded."""
    first, second = buyable_customer(admin.organisation), buyable_customer(admin.organisation)
    legacy_estate(actor, first, 1)
    legacy_estate(actor, second, names=["L" * 80])
    with capture(execute=True):
        started = legacy_services.batch_start(actor=actor, customers=[first, second])
    job = Job.objects.get(pk=started.job.pk)
    assert (job.status, job.done, job.failures) == ("succeeded", 2, 1)
    return job, ProductUpgrade.objects.get(customer=second)


def test_a_retried_customer_reopens_its_succeeded_batch_which_succeeds_again(actor, admin,
                                                                              django_capture_on_commit_callbacks):
    job, failed = _failed_batch(actor, admin, django_capture_on_commit_callbacks)
    legacy_services.legacy_rename(actor=actor, legacy=failed.lines.get().legacy, name="short")
    with django_capture_on_commit_callbacks() as callbacks:  # the retry commits; its run is not yet done
        legacy_services.upgrade_retry(actor=actor, upgrade=failed)
    legacy_transition.batch_refresh(job.pk)
    job.refresh_from_db()
    assert (job.status, job.done, job.finished_at) == ("running", 1, None)  # reopened: succeeded -> running
    for callback in callbacks:
        callback()
    job.refresh_from_db()
    assert (job.status, job.done, job.failures) == ("succeeded", 2, 0) and job.finished_at


def test_nothing_else_reopens_a_finished_job(actor, admin, org, django_capture_on_commit_callbacks):
    job, _failed = _failed_batch(actor, admin, django_capture_on_commit_callbacks)
    with pytest.raises(PartnerCenterError) as exc:  # a finished batch cannot be cancelled: 409/990040
        legacy_services.batch_cancel(actor=actor, job=job)
    refused(exc.value, 409, 990040)
    with pytest.raises(StatusMoveRefused):  # the batch table has no succeeded -> cancelled either
        status_move(job, "cancelled", table=TRANSITION_BATCH_TRANSITIONS)
    # Any other Job follows JOB_TRANSITIONS: succeeded is final, job_start refuses it.
    other = job_create(organisation_id=org.pk, kind="test", total=1)
    job_start(other.pk)
    job_succeed(other.pk)
    with pytest.raises(StatusMoveRefused):
        job_start(other.pk)
    with pytest.raises(StatusMoveRefused):
        status_move(Job.objects.get(pk=other.pk), "running")
    assert Job.objects.get(pk=other.pk).status == "succeeded"


def test_a_cancelled_batch_is_recounted_but_never_reopened(actor, admin):
    customer = buyable_customer(admin.organisation)
    legacy_estate(actor, customer, 1)
    with transaction.atomic():  # tasks not run: the customer stays pending
        started = legacy_services.batch_start(actor=actor, customers=[customer])
    job = legacy_services.batch_cancel(actor=actor, job=started.job)
    assert (job.status, job.done) == ("cancelled", 1)
    upgrade = ProductUpgrade.objects.get(batch=job)
    assert upgrade.status == "cancelled"
    assert legacy_transition.batch_refresh(job.pk).status == "cancelled"
