"""The cross-tenant sweep: every /v1/ route and every page that takes an id answers 404 to a user of
another organisation, with every method it accepts, and changes nothing.

Later issues extend it by adding an entry to FOREIGN_OBJECTS for each new id-taking route name; a
route with an id and no entry fails `test_every_id_route_is_swept`.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from accounts.choices import Role
from accounts.models import ApiCredential, User
from agreements.models import Agreement
from azureplan.models import (
    AzurePlan,
    AzureSubscription,
    Cart,
    CartLineItem,
    LegacyImport,
    LegacySubscription,
    Order,
    ProductUpgrade,
    ProductUpgradeLine,
    RoleAssignment,
)
from core.audit import audit_record
from core.jobs import job_create
from core.models import AuditEvent, Job
from core.testing import page_url
from customers.models import Customer, RelationshipRequest
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _user(foreign):
    return str(foreign["user"].public_id)


def _credential(foreign):
    return str(foreign["credential"].public_id)


def _job(foreign):
    return str(foreign["job"].public_id)


def _customer(foreign):
    return str(foreign["customer"].tenant_id)


def _relationship_request(foreign):
    return str(foreign["relationship_request"].public_id)


def _azure_plan(foreign):
    return "DZH318Z0BPS6"


def _azure_plan_sku(foreign):
    return "0001"


def _azure_plan_us(foreign):
    return "DZH318Z0BML6"  # the foreign customer is in the United States (CustomerFactory)


def _cart(foreign):
    return str(foreign["cart"].public_id)


def _order(foreign):
    return str(foreign["order"].public_id)


def _plan(foreign):
    return str(foreign["plan"].public_id)


def _azure_subscription(foreign):
    return str(foreign["azure_subscription"].subscription_id)


def _role_assignment(foreign):
    return str(foreign["role_assignment"].public_id)


def _upgrade(foreign):
    return str(foreign["upgrade"].public_id)


def _batch(foreign):
    return str(foreign["batch"].public_id)


def _legacy_customer(foreign):
    return str(foreign["legacy"].customer.tenant_id)


def _legacy(foreign):
    return str(foreign["legacy"].public_id)


def _usage_import(foreign):
    return str(foreign["usage_import"].public_id)


def _billing_run(foreign):
    return str(foreign["billing_run"].public_id)


def _invoice(foreign):
    return foreign["invoice"].number


def _invoice_public_id(foreign):
    return str(foreign["invoice"].public_id)


def _payment(foreign):
    return str(foreign["payment"].public_id)


def _invoice_provider(foreign):
    return "OneTime"  # Partner Center's billing provider: not an id


def _invoice_line_item_type(foreign):
    return "BillingLineItems"


_ENTITLEMENT = {"customer_id": _customer, "subscription_id": _plan, "entitlement_id": _azure_subscription}


# route name -> {url kwarg: function(foreign objects) -> id}
FOREIGN_OBJECTS = {
    "api-user": {"user_id": _user},
    "api-credential": {"credential_id": _credential},
    "api-credential-revoke": {"credential_id": _credential},
    "api-job": {"job_id": _job},
    "api-customer": {"customer_id": _customer},
    "api-customer-company-profile": {"customer_id": _customer},
    "api-customer-billing-profile": {"customer_id": _customer},
    "api-customer-agreements": {"customer_id": _customer},
    "api-customer-direct-signed-mca-status": {"customer_id": _customer},
    # The catalog as sold to a customer (azureplan/api/urls.py): the customer is looked up first.
    "api-customer-products": {"customer_id": _customer},
    "api-customer-product": {"customer_id": _customer, "product_id": _azure_plan},
    "api-customer-product-skus": {"customer_id": _customer, "product_id": _azure_plan},
    "api-customer-product-sku": {"customer_id": _customer, "product_id": _azure_plan, "sku_id": _azure_plan_sku},
    "api-customer-product-sku-availabilities": {"customer_id": _customer, "product_id": _azure_plan,
                                                "sku_id": _azure_plan_sku},
    "api-customer-product-sku-availability": {"customer_id": _customer, "product_id": _azure_plan,
                                              "sku_id": _azure_plan_sku, "availability_id": _azure_plan_us},
    # Ordering and the Azure plan (azureplan/api/urls.py): the customer is looked up first.
    "api-customer-carts": {"customer_id": _customer},
    "api-customer-cart": {"customer_id": _customer, "cart_id": _cart},
    "api-customer-cart-checkout": {"customer_id": _customer, "cart_id": _cart},
    "api-customer-orders": {"customer_id": _customer},
    "api-customer-order": {"customer_id": _customer, "order_id": _order},
    "api-customer-order-provisioning-status": {"customer_id": _customer, "order_id": _order},
    "api-customer-subscriptions": {"customer_id": _customer},
    # Azure spending (billing/rating/api/urls.py).
    "api-customer-usagesummary": {"customer_id": _customer},
    "api-customer-usagebudget": {"customer_id": _customer},
    "api-customer-subscriptions-usagerecords": {"customer_id": _customer},
    "api-customer-subscription-usagesummary": {"customer_id": _customer, "plan_id": _plan},
    "api-customer-subscription-meterusagerecords": {"customer_id": _customer, "plan_id": _plan},
    "api-customer-subscription-resourceusagerecords": {"customer_id": _customer, "plan_id": _plan},
    "api-customer-subscription": {"customer_id": _customer, "subscription_id": _plan},
    "api-customer-subscription-cancel": {"customer_id": _customer, "subscription_id": _plan},
    "api-customer-subscription-provisioning-status": {"customer_id": _customer, "subscription_id": _plan},
    "api-customer-azure-entitlements": {"customer_id": _customer, "subscription_id": _plan},
    "api-customer-azure-entitlement": _ENTITLEMENT,
    "api-customer-azure-entitlement-cancel": _ENTITLEMENT,
    "api-customer-azure-entitlement-reactivate": _ENTITLEMENT,
    "api-customer-azure-entitlement-role-assignments": _ENTITLEMENT,
    "api-customer-azure-entitlement-role-assignment-remove": {**_ENTITLEMENT, "assignment_id": _role_assignment},
    # Product upgrades (legacy Azure transitions) and transition batches (azureplan/api/urls.py).
    "api-product-upgrade": {"upgrade_id": _upgrade},
    "api-product-upgrade-status": {"upgrade_id": _upgrade},
    "api-product-upgrade-retry": {"upgrade_id": _upgrade},
    "api-product-upgrade-batch": {"batch_id": _batch},
    "api-product-upgrade-batch-cancel": {"batch_id": _batch},
    # Legacy Azure pages (azureplan/urls.py).
    "legacy_batch_detail": {"public_id": _batch},
    "legacy_batch_cancel": {"public_id": _batch},
    "customer_legacy_section": {"tenant_id": _legacy_customer},
    "customer_legacy_start": {"tenant_id": _legacy_customer},
    "customer_legacy_retry": {"tenant_id": _legacy_customer, "upgrade_id": _upgrade},
    "legacy_subscription_rename": {"public_id": _legacy},
    # Invoices (billing/invoicing/api/urls.py): partner B's invoice number, which partner A does not have.
    "api-invoice": {"invoice_id": _invoice},
    "api-invoice-lineitems": {"invoice_id": _invoice},
    "api-invoice-lineitems-path": {"invoice_id": _invoice, "provider": _invoice_provider,
                                   "kind": _invoice_line_item_type},
    "api-invoice-statement": {"invoice_id": _invoice},
    # The invoice documents' downloads (billing/invoicing/urls_documents.py): partner B's invoice's public id.
    "invoice_pdf": {"public_id": _invoice_public_id},
    "invoice_recon": {"public_id": _invoice_public_id},
    "invoice_daily_usage": {"public_id": _invoice_public_id},
    # Usage imports (billing/usage/api/urls.py and the Billing workspace's pages).
    "api-usage-import": {"import_id": _usage_import},
    "usage-import-detail": {"public_id": _usage_import},
    # Billing runs (billing/invoicing/runs_api_urls.py and runs_urls.py).
    "api-billing-run": {"run_id": _billing_run},
    "run_detail": {"public_id": _billing_run},
    "run_resume": {"public_id": _billing_run},
    # The customer pages (customers/urls.py)
    "customer_detail": {"tenant_id": _customer},
    "customer_billing": {"tenant_id": _customer},
    "customer_assign_reseller": {"tenant_id": _customer},
    "customer_remove_relationship": {"tenant_id": _customer},
    "customer_attest": {"tenant_id": _customer},
    "invitation_revoke": {"public_id": _relationship_request},
    # Ordering and Azure plan pages (azureplan/urls.py): looked up through the tenant scope first.
    "azure_plan_cart": {"tenant_id": _customer},
    "cart_detail": {"tenant_id": _customer, "public_id": _cart},
    "cart_checkout": {"tenant_id": _customer, "public_id": _cart},
    "order_list": {"tenant_id": _customer},
    "order_detail": {"tenant_id": _customer, "public_id": _order},
    "azure_plan_action": {"public_id": _plan},
    "azure_subscription_create": {"public_id": _plan},
    "azure_subscriptions_cancel": {"public_id": _plan},
    "azure_subscription_detail": {"subscription_id": _azure_subscription},
    "azure_subscription_rename": {"subscription_id": _azure_subscription},
    "azure_subscription_reactivate": {"subscription_id": _azure_subscription},
    "role_assignment_add": {"subscription_id": _azure_subscription},
    "role_assignment_remove": {"public_id": _role_assignment},
    "user_detail": {"public_id": _user},
    "user_set_active": {"public_id": _user},
    "user_reset_mfa": {"public_id": _user},
    "user_resend_invitation": {"public_id": _user},
    "revoke_token": {"public_id": _credential},
    "job_detail": {"public_id": _job},
    # The Spend pages (billing/rating/urls.py): the customer is looked up through the tenant scope first.
    "spend_customer": {"tenant_id": _customer},
    "spend_budget": {"tenant_id": _customer},
    # Invoices and payments (billing/invoicing: the payments API extensions and the Billing workspace's pages).
    "api-payment": {"payment_id": _payment},
    "api-invoice-creditnotes": {"invoice_id": _invoice},
    "invoice_detail": {"public_id": _invoice_public_id},
    "invoice_credit_note": {"public_id": _invoice_public_id},
}
# Routes whose not-found answer has its own code rather than 1000 (an upgrade: 900106; a usage import: 990312).
NOT_FOUND_CODES = {"api-product-upgrade": 900106, "api-product-upgrade-status": 900106, "api-product-upgrade-retry": 900106,
                   "api-usage-import": 990312, "api-billing-run": 990334}
# Routes whose parameters are not object ids of a tenant.
NOT_TENANT_IDS = {
    "workspace", "invitation", "django.views.static.serve",
    # HEAD /v1/domains/{domain}: domains are unique across all partners (Partner Center: 200 taken, 404 free).
    "api-domain",
    # The signed, single-use invitation token a customer's global admin opens without a partner sign-in.
    "customer_invitation",
    # The catalog (products, SKUs, availabilities) is the same for every partner: its ids are Partner Center's
    # catalog ids, not ids of a tenant's rows (the customer-scoped catalog routes are swept above).
    "api-product", "api-product-skus", "api-product-sku", "api-product-sku-availabilities",
    "api-product-sku-availability",
    # Price lists, exchange rates and their imports are the install's reference data, shared by every partner
    # (billing.pricing): markets, views, months, product and SKU ids and import ids are not ids of a tenant's rows.
    "api-pricelist-diff", "api-meter-history", "api-meters", "api-meter-tiers", "api-pricing-import", "pc-pricesheet",
    "pc-fxrates",
    "api-agreement-template-document",  # Microsoft's agreement templates: the same for every partner
}
# The Pricing pages: price lists, exchange rates and their imports are reference data shared by every partner of the
# install (one global list per market, as Microsoft publishes): a meter, a month or an import is nobody's tenant row.
NOT_TENANT_IDS |= {"pricing_meter", "pricing_download", "pricing_fx_download", "pricing_import_detail"}


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def id_routes():
    routes = []
    for route, pattern in _walk(get_resolver().url_patterns):
        if not pattern.pattern.converters and "<" not in route:
            continue
        if pattern.name in NOT_TENANT_IDS:
            continue
        routes.append((route, pattern))
    return routes


def _methods(pattern):
    view = pattern.callback
    cls = getattr(view, "view_class", None) or getattr(view, "cls", None)
    if cls is not None:
        return [m.upper() for m in ("get", "post", "put", "patch", "delete") if hasattr(cls, m)]
    return ["GET", "POST"]


def test_every_id_route_is_swept():
    missing = [(route, p.name) for route, p in id_routes() if p.name not in FOREIGN_OBJECTS]
    assert not missing, f"add these routes to FOREIGN_OBJECTS: {missing}"


@pytest.fixture
def foreign(other_org, make_user):
    admin = make_user(Role.GLOBAL_ADMIN, organisation=other_org, email="admin@b.example.com")
    from accounts.actors import actor_for_user
    from accounts.services import credential_create

    credential, _ = credential_create(actor=actor_for_user(admin), name="b token")
    job = job_create(organisation_id=other_org.pk, kind="test", total=3)
    audit_record(actor=actor_for_user(admin), action="b.event", obj=admin)
    customer = CustomerFactory(organisation=other_org)
    from customers.services import relationship_request_create

    relationship_request, _url = relationship_request_create(actor=actor_for_user(make_user(
        Role.SALES_AGENT, organisation=other_org, email="sales@b.example.com")))
    # Its Azure plan, bought and provisioned through the services: cart, order, plan, Azure subscription, roles.
    from datetime import date

    from accounts.actors import system_actor
    from agreements.services import agreement_attest
    from azureplan.legacy import services as legacy_services
    from azureplan.ordering import services as ordering_services

    system = system_actor(other_org)
    agreement_attest(actor=system, customer=customer, first_name="Pat", last_name="Lee", email="pat@b.example.com",
                     date_agreed=date(2024, 1, 2), template_id="117a77b0-9360-443b-8795-c6dedc750cf9")
    cart = ordering_services.cart_create(actor=system, customer=customer, items=[
        {"catalog_item_id": "DZH318Z0BPS6:0001:DZH318Z0BML6", "quantity": 1, "billing_cycle": "one_time"}])
    (order,) = ordering_services.cart_checkout(actor=system, cart=cart)
    ordering_services.order_provision(order.pk)
    plan = AzurePlan.objects.get(order=order)
    azure_subscription = plan.azure_subscriptions.get()
    # Legacy Azure: an estate, one customer's upgrade (not run yet) and a batch of another customer.
    from azureplan.ordering import services as ordering_services
    from azureplan.tests.factories import buyable_customer, legacy_estate

    legacy_customer, batch_customer = buyable_customer(other_org), buyable_customer(other_org)
    legacy_estate(system, legacy_customer, 1)
    legacy_estate(system, batch_customer, 1, names=["Batch"])
    upgrade = legacy_services.upgrade_start(actor=system, customer=legacy_customer)
    batch = legacy_services.batch_start(actor=system, customers=[batch_customer]).job
    from django.utils import timezone

    from billing.models import UsageImport

    usage_import = UsageImport.objects.create(organisation_id=other_org.pk, source="csv", file_name="b.csv",
                                              created_at=timezone.now(), report={"status": "succeeded"})
    from billing.models import BillingRun, Invoice

    now = timezone.now()
    draft = Invoice.objects.create(organisation=other_org, period_start=date(2026, 8, 1),
                                   period_end=date(2026, 8, 31), currency="USD", created_at=now)
    billing_run = BillingRun.objects.create(
        organisation=other_org, month=date(2026, 8, 1), trigger="manual", invoice=draft, created_at=now,
        job=job_create(organisation_id=other_org.pk, kind="billing_run", total=1))
    # Partner B's invoices: the numbering is per organisation, so its second number is one partner A never issued.
    from billing.tests.factories_invoicing import invoice

    invoice(other_org, month=date(2026, 9, 1), customers=1)
    foreign_invoice = invoice(other_org, month=date(2026, 10, 1), customers=1)
    from billing.models import Payment

    payment = Payment.objects.create(organisation=other_org, amount=1, currency="USD", received_on=date(2026, 12, 1),
                                     reference="b", created_at=now)
    return {"invoice": foreign_invoice, "payment": payment,
            "usage_import": usage_import, "billing_run": billing_run, "user": admin,
            "credential": credential,
            "job": job, "customer": customer,
            "relationship_request": relationship_request, "cart": cart, "order": order, "plan": plan,
            "azure_subscription": azure_subscription, "role_assignment": azure_subscription.role_assignments.get(),
            "legacy": LegacySubscription.objects.get(customer=legacy_customer), "upgrade": upgrade, "batch": batch}


def _snapshot():
    return (
        list(User.objects.order_by("pk").values_list("pk", "version", "is_active", "roles", "totp_secret")),
        list(ApiCredential.objects.order_by("pk").values_list("pk", "revoked_at")),
        list(Job.objects.order_by("pk").values_list("pk", "status", "done")),
        AuditEvent.objects.count(),
        list(Customer.objects.order_by("pk").values_list("pk", "version", "relationship", "reseller_id", "city")),
        Agreement.objects.count(),
        list(RelationshipRequest.objects.order_by("pk").values_list("pk", "status")),
        list(Cart.objects.order_by("pk").values_list("pk", "status", "version")),
        list(CartLineItem.objects.order_by("pk").values_list("pk", "cart_id", "quantity")),
        list(Order.objects.order_by("pk").values_list("pk", "status")),
        list(AzurePlan.objects.order_by("pk").values_list("pk", "status", "version", "friendly_name")),
        list(AzureSubscription.objects.order_by("pk").values_list("pk", "status", "version", "friendly_name")),
        list(RoleAssignment.objects.order_by("pk").values_list("pk", "removed_at")),
        list(LegacySubscription.objects.order_by("pk").values_list("pk", "status", "version", "friendly_name")),
        list(ProductUpgrade.objects.order_by("pk").values_list("pk", "status")),
        list(ProductUpgradeLine.objects.order_by("pk").values_list("pk", "status")),
        LegacyImport.objects.count(),
        _billing_counts(),
    )


def _billing_counts():
    from billing.models import Invoice, Payment, PaymentAllocation

    return (list(Invoice.objects.order_by("pk").values_list("pk", "status")), Payment.objects.count(),
            PaymentAllocation.objects.count())


def test_foreign_ids_answer_404_everywhere(foreign, make_user, api_client_for, portal_client):
    # A caller holding every role: a route refuses a role that may not call it (403) before it looks at any id,
    # so only a caller every route admits shows that each foreign id answers 404.
    everyone = make_user(*Role, email="every-role@a.example.com")
    api = api_client_for(everyone)
    page = portal_client(everyone)
    before = _snapshot()
    checked = 0
    for _route, pattern in id_routes():
        kwargs = {name: make(foreign) for name, make in FOREIGN_OBJECTS[pattern.name].items()}

        url = page_url(pattern.name, kwargs=kwargs)
        client = api if url.startswith("/v1/") else page
        found = 0
        for method in _methods(pattern):
            call = getattr(client, method.lower())
            kwargs_call = {"format": "json"} if url.startswith("/v1/") and method != "GET" else {}
            response = call(url, {}, **kwargs_call) if method != "GET" else call(url)
            if response.status_code == 405 and not url.startswith("/v1/"):
                continue  # a page that takes only POST (or only GET): the method is refused before any lookup
            assert response.status_code == 404, f"{method} {url} answered {response.status_code}"
            if url.startswith("/v1/"):
                assert response.json()["code"] == NOT_FOUND_CODES.get(pattern.name, 1000), f"{method} {url}"
            found += 1
        assert found, f"no method of {url} was checked"
        checked += found
    assert checked >= 12
    assert _snapshot() == before


def test_foreign_commerce_ids_under_an_own_customer_are_not_found(foreign, global_admin, make_user, api_client_for):
    """The customer is looked up first; an own customer with a foreign cart, order, plan, Azure subscription or role
    assignment id answers that resource's own not-found code, and nothing changes. (The caller holds the roles every
    route needs: a role is checked before any id.)"""
    api = api_client_for(make_user(Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, email="ga-aa@a.example.com"))
    base = f"/v1/customers/{CustomerFactory(organisation=global_admin.organisation).tenant_id}"
    plan = f"{base}/subscriptions/{_plan(foreign)}"
    before = _snapshot()
    for method, url, code in [
        ("get", f"{base}/carts/{_cart(foreign)}", 800008), ("put", f"{base}/carts/{_cart(foreign)}", 800008),
        ("post", f"{base}/carts/{_cart(foreign)}/checkout", 800008),
        ("get", f"{base}/orders/{_order(foreign)}", 20000), ("get", f"{base}/orders/{foreign['order'].alternate_id}", 20000),
        ("get", f"{base}/orders/{_order(foreign)}/provisioningstatus", 20000),
        ("get", plan, 20003), ("patch", plan, 20003), ("post", f"{plan}/cancel", 20003),
        ("get", f"{plan}/azureEntitlements", 20003), ("post", f"{plan}/azureEntitlements", 20003),
        ("get", f"{plan}/provisioningstatus", 20003),
        # A legacy Azure subscription of partner B's customer.
        ("get", f"{base}/subscriptions/{foreign['legacy'].public_id}", 20003),
        ("patch", f"{base}/subscriptions/{foreign['legacy'].public_id}", 20003),
    ]:
        response = getattr(api, method)(url, {}, format="json") if method != "get" else api.get(url)
        assert (response.status_code, response.json()["code"]) == (404, code), f"{method} {url}"
    assert api.get(f"{base}/orders").json()["items"] == [] and api.get(f"{base}/subscriptions").json()["items"] == []
    assert _snapshot() == before


def test_foreign_audit_events_are_invisible(foreign, api):
    items = api.get("/v1/auditrecords").json()["items"]
    assert all(item["operationType"] != "b.event" for item in items)


def test_time_is_utc():
    assert timezone.now().tzinfo is not None
