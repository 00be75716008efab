"""The agreement and Azure plan factories build rows the application accepts: full_clean passes, the model
constraints hold, and the services and the API treat them as they treat rows made by a purchase."""

import pytest
from django.db import IntegrityError, transaction

from accounts.choices import Role
from agreements.choices import AgreementSource, AgreementType
from agreements.models import Agreement
from agreements.services import direct_signed, mca_confirmed, purchase_gate
from agreements.tests.factories import MCA_TEMPLATE_ID, AgreementFactory
from azureplan import errors
from azureplan.choices import OrderStatus, PlanStatus, PrincipalType
from azureplan.models import AzurePlan, AzureSubscription, RoleAssignment
from azureplan.plans import services as plan_services
from azureplan.tests.factories import (
    AZURE_PLAN_US,
    AzurePlanFactory,
    AzureSubscriptionFactory,
    RoleAssignmentFactory,
    azure_plan_with_subscriptions,
)
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_agreement_factory_is_a_confirmed_mca(org):
    customer = CustomerFactory(organisation=org)
    assert not mca_confirmed(customer)
    agreement = AgreementFactory(customer=customer)
    agreement.full_clean()
    assert agreement.organisation == org and agreement.agreement_type == AgreementType.MICROSOFT_CUSTOMER_AGREEMENT
    assert str(agreement.template.template_id) == MCA_TEMPLATE_ID
    assert mca_confirmed(customer) and not direct_signed(customer)
    purchase_gate(customer=customer)  # may buy: no McaMissing
    AgreementFactory(customer=customer).full_clean()  # a second contact: agreement_same_contact_once holds
    assert Agreement.objects.filter(customer=customer).count() == 2


def test_agreement_factory_direct_sign_and_own_customer():
    agreement = AgreementFactory(source=AgreementSource.CUSTOMER_ACCEPTANCE)
    agreement.full_clean()
    assert direct_signed(agreement.customer) and agreement.organisation == agreement.customer.organisation


def test_azure_plan_with_subscriptions_in_one_line(org):
    plan = azure_plan_with_subscriptions(CustomerFactory(organisation=org))
    plan.full_clean()
    assert plan.status == PlanStatus.ACTIVE and plan.offer_id == AZURE_PLAN_US and plan.customer.organisation == org
    assert mca_confirmed(plan.customer) and Agreement.objects.filter(customer=plan.customer).count() == 1
    plan.order.full_clean()
    assert plan.order.status == OrderStatus.COMPLETED and plan.order.customer == plan.customer
    (line,) = plan.order.line_items.all()
    line.full_clean()
    assert line.plan == plan and line.fulfilled and line.availability_id == AZURE_PLAN_US
    subs = list(plan.azure_subscriptions.all())
    assert len(subs) == 3
    for sub in subs:
        sub.full_clean()
        (aobo,) = sub.role_assignments.all()
        aobo.full_clean()
        assert (aobo.principal_type, aobo.role_id, aobo.partner) == (PrincipalType.PARTNER_ADMIN_AGENTS, "Owner", org)
        assert plan_services.pec_status(sub)[0] is True


def test_factory_rows_work_with_the_services_and_the_api(org, make_user, actor_of, api_client_for):
    plan = azure_plan_with_subscriptions(CustomerFactory(organisation=org), n=2)
    agent = make_user(Role.SALES_AGENT, Role.ADMIN_AGENT, email="agent@a.example.com")
    with pytest.raises(errors.PlanHasActiveSubscriptions):
        plan_services.plan_update(actor=actor_of(agent), plan=plan, status="suspended")
    plan_services.azure_subscription_create(actor=actor_of(agent), plan=plan, name="Third")
    api = api_client_for(agent)
    base = f"/v1/customers/{plan.customer.tenant_id}/subscriptions"
    body = api.get(base).json()
    assert [(i["id"], i["orderId"], i["status"]) for i in body["items"]] == [
        (str(plan.public_id), str(plan.order.public_id), "active")]
    assert api.get(f"{base}/{plan.public_id}/azureEntitlements").json()["totalCount"] == 3


def test_one_plan_per_customer_and_reseller_still_holds(org):
    plan = azure_plan_with_subscriptions(CustomerFactory(organisation=org), n=0)
    assert not plan.azure_subscriptions.exists()
    with pytest.raises(IntegrityError), transaction.atomic():
        AzurePlanFactory(customer=plan.customer)
    assert AzurePlan.objects.filter(customer=plan.customer).count() == 1


def test_defaults_build_every_parent():
    plan = azure_plan_with_subscriptions()  # a new partner's customer
    assert plan.customer.organisation_id and plan.azure_subscriptions.count() == 3
    sub = AzureSubscriptionFactory(aobo=False)
    assert not sub.role_assignments.exists() and mca_confirmed(sub.plan.customer)
    reader = RoleAssignmentFactory()
    reader.full_clean()
    assert reader.role_id == "Reader" and reader.principal_type == PrincipalType.CUSTOMER_USER
    eligible, reason = plan_services.pec_status(reader.azure_subscription)
    assert not eligible and "Only other principals" in str(reason)
    assert AzureSubscription.objects.count() == 5 and RoleAssignment.objects.count() == 4
