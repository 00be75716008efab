"""Helpers to reach a customer that may buy: relationship + attested MCA, through the real services; and
factory_boy factories for the rows of a bought Azure plan (order, plan, Azure subscriptions, role
assignments) when a test needs them without the purchase: `azure_plan_with_subscriptions()`."""

import uuid
from datetime import date

import factory
from django.utils import timezone

from accounts.actors import system_actor
from accounts.tests.factories import OrganisationFactory
from agreements.services import agreement_attest, mca_confirmed
from agreements.tests.factories import AgreementFactory
from azureplan.choices import (
    AZURE_PLAN_PRODUCT_ID,
    AZURE_PLAN_SKU_ID,
    AzureSubscriptionStatus,
    OrderStatus,
    PlanStatus,
    PrincipalType,
)
from azureplan.models import Availability, AzurePlan, AzureRole, AzureSubscription, Order, OrderLineItem, RoleAssignment
from azureplan.plans.services import AOBO_ROLE, admin_agents_principal
from customers.tests.factories import CustomerFactory

AZURE_PLAN_US = "DZH318Z0BPS6:0001:DZH318Z0BML6"
MCA_TEMPLATE = "117a77b0-9360-443b-8795-c6dedc750cf9"


def buyable_customer(organisation, **kwargs):
    customer = CustomerFactory(organisation=organisation, **kwargs)
    agreement_attest(actor=system_actor(organisation), customer=customer, first_name="Pat", last_name="Lee",
                     email="pat@customer.example.com", date_agreed=date(2024, 1, 2), template_id=MCA_TEMPLATE)
    return customer


def plan_line(**overrides):
    line = {"catalog_item_id": AZURE_PLAN_US, "quantity": 1, "billing_cycle": "one_time"}
    line.update(overrides)
    return line


LEGACY_HEADER = "customerId,subscriptionId,friendlyName,resellerPartnerId,createdDate,roleAssignments"


def legacy_csv(rows, header=LEGACY_HEADER):
    """A legacy import file: rows of (customer, subscription id, name[, reseller PartnerID[, created[, roles]]])."""
    import uuid as _uuid

    lines = [header]
    for row in rows:
        customer, sub_id, name, *rest = row
        reseller = rest[0] if len(rest) > 0 else ""
        created = rest[1] if len(rest) > 1 else "2019-05-10"
        roles = rest[2] if len(rest) > 2 else ""
        tenant = getattr(customer, "tenant_id", customer)
        lines.append(",".join([str(tenant), str(sub_id or _uuid.uuid4()), name, reseller, created, roles]))
    return ("\n".join(lines) + "\n").encode()


def legacy_estate(actor, customer, count=2, names=None, reseller=""):
    """Import `count` legacy subscriptions of `customer` through the real import service."""
    import uuid as _uuid

    from azureplan.legacy.importer import legacy_import

    names = names or [f"Legacy {i + 1}" for i in range(count)]
    return legacy_import(actor=actor, content=legacy_csv([(customer, _uuid.uuid4(), n, reseller) for n in names]),
                         file_name="estate.csv")


def azure_plan_availability(country):
    """The Azure plan's catalog item in `country` (the catalog the migrations load)."""
    return Availability.objects.get(sku__product_id=AZURE_PLAN_PRODUCT_ID, sku__sku_id=AZURE_PLAN_SKU_ID,
                                    country=country)


class OrderFactory(factory.django.DjangoModelFactory):
    """A completed order of the customer (of a new partner unless `customer` is given), without lines."""

    class Meta:
        model = Order

    customer = factory.SubFactory(CustomerFactory, organisation=factory.SubFactory(OrganisationFactory))
    reseller = None
    currency = factory.LazyAttribute(lambda o: o.customer.country.currency)
    status = OrderStatus.COMPLETED
    completed_at = factory.LazyFunction(timezone.now)


class AzurePlanFactory(factory.django.DjangoModelFactory):
    """An active Azure plan as provisioning leaves it: its order (completed, one fulfilled Azure plan line)
    and the customer's confirmed MCA (made unless the customer has one; `mca=False` leaves it out)."""

    class Meta:
        model = AzurePlan
        skip_postgeneration_save = True

    customer = factory.SubFactory(CustomerFactory, organisation=factory.SubFactory(OrganisationFactory))
    reseller = None
    order = factory.SubFactory(OrderFactory, customer=factory.SelfAttribute("..customer"),
                               reseller=factory.SelfAttribute("..reseller"))
    offer_id = factory.LazyAttribute(lambda o: azure_plan_availability(o.customer.country_id).catalog_item_id)
    status = PlanStatus.ACTIVE
    activated_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def mca(plan, create, extracted, **kwargs):
        if create and extracted is not False and not mca_confirmed(plan.customer):
            AgreementFactory(customer=plan.customer)

    @factory.post_generation
    def order_line(plan, create, extracted, **kwargs):
        if create and not plan.order.line_items.filter(plan=plan).exists():
            OrderLineItem.objects.create(order=plan.order, line_number=plan.order.line_items.count(),
                                         availability_id=plan.offer_id, offer_id=plan.offer_id, quantity=1,
                                         plan=plan, fulfilled=plan.status != PlanStatus.PENDING)


class AzureSubscriptionFactory(factory.django.DjangoModelFactory):
    """An active Azure subscription under a plan, with the partner's Admin agents as Owner (AOBO) as
    provisioning gives it (`aobo=False` leaves that assignment out)."""

    class Meta:
        model = AzureSubscription
        skip_postgeneration_save = True

    plan = factory.SubFactory(AzurePlanFactory)
    friendly_name = factory.Sequence(lambda n: f"Azure subscription {n + 1}")
    status = AzureSubscriptionStatus.ACTIVE
    reseller = factory.SelfAttribute("plan.reseller")

    @factory.post_generation
    def aobo(sub, create, extracted, **kwargs):
        if create and extracted is not False:
            organisation = sub.plan.customer.organisation
            principal_id, principal_name = admin_agents_principal(organisation)
            RoleAssignmentFactory(azure_subscription=sub, principal_type=PrincipalType.PARTNER_ADMIN_AGENTS,
                                  principal_id=principal_id, principal_name=principal_name, partner=organisation,
                                  role=AzureRole.objects.get(name=AOBO_ROLE))


class RoleAssignmentFactory(factory.django.DjangoModelFactory):
    """A customer user's role on an Azure subscription (Reader unless `role` is given: a name or an AzureRole)."""

    class Meta:
        model = RoleAssignment

    azure_subscription = factory.SubFactory(AzureSubscriptionFactory, aobo=False)
    principal_type = PrincipalType.CUSTOMER_USER
    principal_id = factory.Sequence(lambda n: str(uuid.UUID(int=n + 1)))
    principal_name = factory.Sequence(lambda n: f"Customer user {n}")
    role = "Reader"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        if isinstance(kwargs["role"], str):
            kwargs["role"] = AzureRole.objects.get(name=kwargs["role"])
        return super()._create(model_class, *args, **kwargs)


def azure_plan_with_subscriptions(customer=None, n=3, *, organisation=None, **plan_fields):
    """One line for a billing test: a customer (of `organisation`, else a new partner) with a confirmed MCA, an
    active Azure plan and `n` active Azure subscriptions, each with its AOBO Owner. Returns the plan."""
    if customer is None:
        customer = CustomerFactory(organisation=organisation or OrganisationFactory())
    plan = AzurePlanFactory(customer=customer, **plan_fields)
    AzureSubscriptionFactory.create_batch(n, plan=plan)
    return plan
