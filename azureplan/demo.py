"""Demo Azure plans for `make run`: customers with an Azure plan and several Azure subscriptions, a
suspended plan, and a cancelled Azure subscription waiting for its deletion. Idempotent."""

from django.db import transaction

from accounts.actors import system_actor
from customers.models import Customer

from .models import AzurePlan
from .selectors import availability_list

PLANS = [
    # (customer domain, Azure subscriptions to add, cancel the first one?, suspend the plan?)
    ("fabrikam-example.onmicrosoft.com", ["Production", "Development"], True, False),
    ("exemple-industrie.onmicrosoft.com", ["Production"], False, False),
    ("przyklad-uslugi.onmicrosoft.com", [], True, True),
]


@transaction.atomic
def load_demo(organisations):
    from . import services

    for domain, extra, cancel_first, suspend in PLANS:
        customer = Customer.objects.filter(domain=domain).select_related("organisation", "reseller").first()
        if customer is None or AzurePlan.objects.filter(customer=customer).exists():
            continue
        actor = system_actor(customer.organisation, label="demo data")
        availability = availability_list(product_id="DZH318Z0BPS6", sku_id="0001", country=customer.country_id)[0]
        reseller = customer.reseller or customer.organisation.resellers.order_by("pk").first()
        line = {"catalog_item_id": availability.catalog_item_id, "quantity": 1, "billing_cycle": "one_time",
                "reseller": reseller.partner_id if reseller else None}
        cart = services.cart_create(actor=actor, customer=customer, items=[line])
        for order in services.cart_checkout(actor=actor, cart=cart):
            services.order_provision(order.pk)
        plan = AzurePlan.objects.get(customer=customer)
        for name in extra:
            services.azure_subscription_create(actor=actor, plan=plan, name=name)
        if cancel_first:
            services.azure_subscription_cancel(actor=actor, sub=plan.azure_subscriptions.order_by("created_at").first(),
                                               reason="unused")
        if suspend:
            services.plan_update(actor=actor, plan=plan, status="suspended")
