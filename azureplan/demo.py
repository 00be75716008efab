"""Demo Azure plans for `make run`: customers with an Azure plan and several Azure subscriptions, a
suspended plan, and a cancelled Azure subscription waiting for its deletion; and customers with legacy Azure
(MS-AZR-0145P) subscriptions ready to transition, imported through the legacy import with role assignments
(one with a name too long for an Azure subscription, so a transition shows a failed line to rename and retry).
Idempotent: a customer that already has legacy subscriptions is left as it is."""

import uuid
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.actors import system_actor
from customers.models import Customer

from .catalog.selectors import availability_list
from .models import AzurePlan, AzureSubscription, LegacySubscription, Order, RoleAssignment

LEGACY_HEADER = "customerId,subscriptionId,friendlyName,resellerPartnerId,createdDate,roleAssignments"
# customer domain: [(friendly name, created date, role assignments)]; "{reseller}" is the indirect reseller of
# record (the provider's first reseller). Customer principals are Entra object ids (GUIDs), as in Partner Center.
LEGACY = {
    "contoso-legacy.onmicrosoft.com": [
        ("Contoso Production", "2017-03-14", "customer_user:6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f7:Owner;"
         "partner_admin_agents:-:Owner"),
        ("Contoso Data Warehouse", "2018-09-02", "customer_user:7a2d3b4c-5e6f-4071-9b82-a3c4d5e6f708:Reader"),
        ("Contoso Test and Development Environment for the Retail Web Shop Team", "2019-11-20", ""),
    ],
    "tailspin-legacy.onmicrosoft.com": [
        ("Tailspin Games Backend", "2016-06-01", ""),
        ("Tailspin Analytics", "2018-01-15", "customer_user:8b3e4c5d-6f70-4182-8c93-b4d5e6f70819:Contributor;"
         "partner_admin_agents:-:Owner"),
        ("Tailspin Sandbox", "2020-02-29", "customer_user:9c4f5d6e-7081-4293-9da4-c5e6f708192a:Reader"),
        ("Tailspin Backups", "2021-07-07", ""),
    ],
    "heritage-conseil.onmicrosoft.com": [
        ("Héritage Production", "2018-04-03", "indirect_reseller:{reseller}:Owner;"
         "partner_admin_agents:-:Owner"),
        ("Héritage Recette", "2019-10-21", "indirect_reseller:{reseller}:Contributor"),
        ("Héritage Archives", "2020-05-12", "customer_user:ad506e7f-8192-43a4-8eb5-d6f708192a3b:Reader"),
    ],
}

PLANS = [
    # (customer domain, Azure subscriptions to add, cancel the first one?, suspend the plan?)
    ("fabrikam-example.onmicrosoft.com", ["Production", "Development"], True, False),
    ("exemple-industrie.onmicrosoft.com", ["Production"], False, False),
    ("przyklad-uslugi.onmicrosoft.com", [], True, True),
]


@transaction.atomic
def load_demo(organisations):
    from .ordering import services as ordering_services
    from .plans import services as plan_services

    for domain, extra, cancel_first, suspend in PLANS:
        customer = Customer.objects.filter(domain=domain).select_related("organisation", "reseller").first()
        if customer is None or AzurePlan.objects.filter(customer=customer).exists():
            continue
        actor = system_actor(customer.organisation, label="demo data")
        availability = availability_list(product_id="DZH318Z0BPS6", sku_id="0001", country=customer.country_id)[0]
        reseller = customer.reseller or customer.organisation.resellers.order_by("pk").first()
        line = {"catalog_item_id": availability.catalog_item_id, "quantity": 1, "billing_cycle": "one_time",
                "reseller": reseller.partner_id if reseller else None}
        cart = ordering_services.cart_create(actor=actor, customer=customer, items=[line])
        for order in ordering_services.cart_checkout(actor=actor, cart=cart):
            ordering_services.order_provision(order.pk)
        plan = AzurePlan.objects.get(customer=customer)
        for name in extra:
            plan_services.azure_subscription_create(actor=actor, plan=plan, name=name)
        _bought_earlier(plan)
        if cancel_first:
            plan_services.azure_subscription_cancel(actor=actor, sub=plan.azure_subscriptions.order_by("created_at").first(),
                                               reason="unused")
        if suspend:
            plan_services.plan_update(actor=actor, plan=plan, status="suspended")
    _load_legacy()


def _bought_earlier(plan):
    """The demo's history: the plan was bought, its Azure subscriptions created and their Owner (AOBO) assignments
    granted the day before the month before this one began, so the usage `make run` simulates for that month
    (billing/usage/simulate.py) has subscriptions to run on and partner earned credit from its first whole day."""
    now = timezone.now()
    this_month = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    then = (this_month - timedelta(days=1)).replace(day=1, hour=9) - timedelta(days=1)
    Order.objects.filter(pk=plan.order_id).update(created_at=then, completed_at=then)
    AzurePlan.objects.filter(pk=plan.pk).update(created_at=then, activated_at=then)
    AzureSubscription.objects.filter(plan=plan).update(created_at=then)
    RoleAssignment.objects.filter(azure_subscription__plan=plan).update(granted_at=then)


def _load_legacy():
    """One legacy import per partner, of the customers in LEGACY that have no legacy subscription yet."""
    from .legacy.importer import legacy_import

    rows_by_org = {}
    for domain, subscriptions in LEGACY.items():
        customer = Customer.objects.filter(domain=domain).select_related("organisation").first()
        if customer is None or LegacySubscription.objects.filter(customer=customer).exists() \
                or AzurePlan.objects.filter(customer=customer).exists():
            continue
        organisation = customer.organisation
        reseller = customer.reseller or organisation.resellers.order_by("pk").first()
        is_provider = organisation.tier == "indirect_provider"
        if is_provider and reseller is None:
            continue
        for number, (name, created, roles) in enumerate(subscriptions, start=1):
            sub_id = uuid.uuid5(uuid.NAMESPACE_URL, f"demo-legacy-azure:{domain}:{number}")
            roles = roles.format(reseller=reseller.partner_id if reseller else "")
            rows_by_org.setdefault(organisation.pk, (organisation, []))[1].append(
                [str(customer.tenant_id), str(sub_id), name, reseller.partner_id if is_provider else "", created,
                 roles])
    for organisation, rows in rows_by_org.values():
        content = "\n".join([LEGACY_HEADER, *(",".join(row) for row in rows)]) + "\n"
        legacy_import(actor=system_actor(organisation, label="demo data"), content=content,
                      file_name="legacy-azure-estate.csv")
