"""The ordering and Azure plan pages (Django client): the customer page's Azure plan section by role, the cart
and checkout with every refusal shown on the page (nothing changed), bulk cancel and its limit of 10, the
order page's provisioning status partial, an Azure subscription's page, and ids looked up before roles."""

import re
import uuid
from html import unescape

import pytest
from django.urls import reverse

from accounts.choices import Role, Tier
from accounts.models import Country
from azureplan.models import AzurePlan, AzureSubscription, Cart, Order, RoleAssignment
from azureplan.ordering import services as ordering_services
from azureplan.plans import services as plan_services
from core.models import AuditEvent
from customers.tests.factories import CustomerFactory

from ..factories import buyable_customer, plan_line

pytestmark = pytest.mark.django_db

# Principals are Entra object ids (GUIDs).
P1, P2, P3 = ("11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222",
              "33333333-3333-4333-8333-333333333333")


def html(response):
    return response.content.decode()


def text(response):
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html(response))))


def snapshot():
    return (list(Order.objects.order_by("pk").values_list("pk", "status")),
            list(AzurePlan.objects.order_by("pk").values_list("pk", "status", "friendly_name")),
            list(AzureSubscription.objects.order_by("pk").values_list("pk", "status", "friendly_name")),
            list(Cart.objects.order_by("pk").values_list("pk", "status")),
            RoleAssignment.objects.filter(removed_at__isnull=True).count(), AuditEvent.objects.count())


@pytest.fixture
def sales(make_user):
    return make_user(Role.SALES_AGENT, email="sales@a.example.com", first_name="Sam", last_name="Seller")


@pytest.fixture
def admin_agent(make_user):
    return make_user(Role.ADMIN_AGENT, email="aa@a.example.com")


@pytest.fixture
def ga(make_user):
    return make_user(Role.GLOBAL_ADMIN, email="ga@a.example.com")


@pytest.fixture
def ga_aa(make_user):
    return make_user(Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, email="ga-aa@a.example.com")


@pytest.fixture
def customer(org):
    return buyable_customer(org, company_name="Contoso Ltd")


def buy(actor, customer, capture):
    cart = ordering_services.cart_create(actor=actor, customer=customer, items=[plan_line()])
    with capture(execute=True):
        ordering_services.cart_checkout(actor=actor, cart=cart)
    return AzurePlan.objects.get(customer=customer, status="active")


@pytest.fixture
def plan(customer, sales, actor_of, django_capture_on_commit_callbacks):
    return buy(actor_of(sales), customer, django_capture_on_commit_callbacks)


def customer_page(client, customer):
    return client.get(reverse("customers:customer_detail", args=[customer.tenant_id]))


def refusal(response):
    match = re.search(r'<div class="alert alert-danger" role="alert" data-testid="refusal" data-code="(\d+)">(.*?)</div>\s*'
                      r'(?:<a class="alert-link[^"]*" href="([^"]+)")?', html(response), re.S)
    assert match, "no refusal on the page"
    message = unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", match.group(2))).strip())
    return int(match.group(1)), message, match.group(3)


# ---------------------------------------------------------------- buying: cart, checkout, order


def test_no_plan_yet_the_sales_agent_is_offered_to_buy(portal_client, sales, customer):
    response = customer_page(portal_client(sales), customer)
    assert "No Azure plan yet." in text(response)
    assert f'href="{reverse("azureplan:azure_plan_cart", args=[customer.tenant_id])}"' in html(response)
    assert "Buy the Azure plan" in text(response)


def test_before_the_mca_is_attested_the_buy_button_is_disabled_and_says_why(portal_client, sales, org):
    customer = CustomerFactory(organisation=org, company_name="Fabrikam Inc")  # no MCA attested
    response = customer_page(portal_client(sales), customer)
    assert f'href="{reverse("azureplan:azure_plan_cart", args=[customer.tenant_id])}"' not in html(response)
    blocked = re.search(r'data-testid="buy-blocked">(.*?)</div>', html(response), re.S)
    assert blocked and "disabled" in blocked.group(1)
    assert "Fabrikam Inc has not accepted the Microsoft Customer Agreement" in text(response)
    assert 'data-testid="buy-blocked-fix"' in html(response)


def test_a_role_without_the_azure_plan_sees_why(portal_client, make_user, customer):
    helpdesk = make_user(Role.HELPDESK_AGENT, email="hd@a.example.com")
    response = customer_page(portal_client(helpdesk), customer)
    assert response.status_code == 200
    assert "This needs one of the roles: Global admin, Admin agent, Sales agent." in text(response)
    assert "Buy the Azure plan" not in text(response)


def test_cart_checkout_and_order_completed(portal_client, sales, customer, django_capture_on_commit_callbacks):
    client = portal_client(sales)
    cart_url = reverse("azureplan:azure_plan_cart", args=[customer.tenant_id])
    page = client.get(cart_url)
    assert page.status_code == 200
    assert "DZH318Z0BPS6:0001:DZH318Z0BML6" in text(page) and "Add to cart" in text(page)
    assert 'data-testid="gate"' not in html(page)  # relationship and agreement are there
    assert not Cart.objects.exists()  # GET changes nothing

    response = client.post(cart_url)
    cart = Cart.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("azureplan:cart_detail", args=[customer.tenant_id, cart.public_id])
    page = client.get(response["Location"])
    assert "Microsoft Azure plan" in text(page) and "Place order" in text(page)
    assert not Order.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("azureplan:cart_checkout", args=[customer.tenant_id, cart.public_id]))
    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("azureplan:order_detail", args=[customer.tenant_id, order.public_id])
    page = client.get(response["Location"])
    plan = AzurePlan.objects.get()
    assert order.status == "pending" or "Completed" in text(page)
    assert "Completed" in text(page) and 'hx-get' not in html(page)
    assert f'#plan-{plan.public_id}"' in html(page) and "Open the Azure plan" in text(page)

    page = customer_page(client, customer)
    section = text(page)
    assert "Azure plan Active" in section and "Azure subscription 1" in section
    assert "1 role assignment" in section and "Eligible" in section
    assert "Foreign Principal for 'Partner A' holds Owner." in section
    assert "1 order" in section
    orders = client.get(reverse("azureplan:order_list", args=[customer.tenant_id]))
    assert order.alternate_id in text(orders) and "Completed" in text(orders) and "Microsoft Azure plan" in text(orders)
    # the plan exists: no "Buy" button any more for a direct partner
    assert 'data-testid="no-plan"' not in html(page)


def test_no_relationship_20002_shown_on_the_cart_nothing_changed(portal_client, sales, ga, customer, actor_of):
    cart = ordering_services.cart_create(actor=actor_of(sales), customer=customer, items=[plan_line()])
    from customers.services import relationship_remove

    relationship_remove(actor=actor_of(ga), customer=customer)
    client = portal_client(sales)
    before = snapshot()
    response = client.post(reverse("azureplan:cart_checkout", args=[customer.tenant_id, cart.public_id]))
    assert response.status_code == 400
    code, message, link = refusal(response)
    assert code == 20002 and "no reseller relationship with Contoso Ltd" in message
    assert link == reverse("customers:customer_detail", args=[customer.tenant_id])
    assert snapshot() == before


def test_mca_missing_13605_warned_then_refused_with_the_fix(portal_client, sales, org):
    customer = CustomerFactory(organisation=org, company_name="Fabrikam Inc")
    client = portal_client(sales)
    page = client.get(reverse("azureplan:azure_plan_cart", args=[customer.tenant_id]))
    assert 'data-testid="gate"' in html(page) and "has not accepted the Microsoft Customer Agreement" in text(page)
    client.post(reverse("azureplan:azure_plan_cart", args=[customer.tenant_id]))
    cart = Cart.objects.get()
    before = snapshot()
    response = client.post(reverse("azureplan:cart_checkout", args=[customer.tenant_id, cart.public_id]))
    assert response.status_code == 400
    code, message, link = refusal(response)
    assert code == 13605 and "Attest it on the customer's page" in message
    assert link == reverse("customers:customer_detail", args=[customer.tenant_id]) + "#agreements"
    assert "Attest the Microsoft Customer Agreement" in text(response)
    assert snapshot() == before


def test_second_plan_800066_refused_on_the_cart(portal_client, sales, customer, plan, actor_of):
    client = portal_client(sales)
    page = client.get(reverse("azureplan:azure_plan_cart", args=[customer.tenant_id]))
    assert 'data-testid="existing-plans"' in html(page)  # the cart page says there is one already
    client.post(reverse("azureplan:azure_plan_cart", args=[customer.tenant_id]))
    cart = Cart.objects.get(status="Active")
    before = snapshot()
    response = client.post(reverse("azureplan:cart_checkout", args=[customer.tenant_id, cart.public_id]))
    assert response.status_code == 400
    code, message, link = refusal(response)
    assert code == 800066 and "Contoso Ltd already has an Azure plan" in message
    assert link == reverse("customers:customer_detail", args=[customer.tenant_id]) + "#azure-plan"
    assert snapshot() == before


def test_legacy_azure_990050_refused_on_the_cart(portal_client, sales, customer, actor_of):
    cart = ordering_services.cart_create(actor=actor_of(sales), customer=customer, items=[plan_line()])
    ordering_services.LEGACY_AZURE_COUNTERS.append(lambda c, o: 2 if c.pk == customer.pk else 0)
    try:
        before = snapshot()
        response = portal_client(sales).post(reverse("azureplan:cart_checkout", args=[customer.tenant_id, cart.public_id]))
    finally:
        ordering_services.LEGACY_AZURE_COUNTERS.pop()
    assert response.status_code == 400
    code, message, link = refusal(response)
    assert code == 990050 and "2 active legacy Azure (MS-AZR-0145P)" in message and "transition" in message
    assert link == reverse("customers:customer_detail", args=[customer.tenant_id]) + "#legacy-azure"
    assert snapshot() == before


def test_with_legacy_azure_left_the_buy_button_is_disabled_before_the_cart_and_points_to_the_transition(
        portal_client, sales, customer):
    """Said on the customer page, not only at Place order after a cart was filled."""
    ordering_services.LEGACY_AZURE_COUNTERS.append(lambda c, o: 2 if c.pk == customer.pk else 0)
    try:
        response = customer_page(portal_client(sales), customer)
    finally:
        ordering_services.LEGACY_AZURE_COUNTERS.pop()
    assert f'href="{reverse("azureplan:azure_plan_cart", args=[customer.tenant_id])}"' not in html(response)
    blocked = re.search(r'data-testid="buy-blocked">(.*?)</div>', html(response), re.S)
    assert blocked and "disabled" in blocked.group(1) and "2 active legacy Azure" in text(response)
    fix = re.search(r'<a href="([^"]+)" data-testid="buy-blocked-fix">', html(response))
    assert fix and fix.group(1) == reverse("customers:customer_detail", args=[customer.tenant_id]) + "#legacy-azure"


def test_indirect_provider_must_pick_the_reseller(portal_client, make_org, make_user):
    us = Country.objects.get(code="US")
    provider = make_org(tier=Tier.INDIRECT_PROVIDER, country=us, name="Provider")
    reseller = make_org(tier=Tier.INDIRECT_RESELLER, provider=provider, country=us, name="Northwind Resale")
    agent = make_user(Role.SALES_AGENT, organisation=provider, email="sales@provider.example.com")
    customer = buyable_customer(provider)
    client = portal_client(agent)
    url = reverse("azureplan:azure_plan_cart", args=[customer.tenant_id])
    page = client.get(url)
    assert f'<option value="{reseller.partner_id}">Northwind Resale ({reseller.partner_id})</option>' in html(page)
    before = snapshot()
    response = client.post(url, {"participants": ""})
    assert response.status_code == 400
    errors = re.findall(r'data-field-error="participants">([^<]+)<', html(response))
    assert errors == ["Choose the indirect reseller who sells the Azure plan to this customer."]
    stranger = make_org(tier=Tier.INDIRECT_RESELLER, provider=make_org(tier=Tier.INDIRECT_PROVIDER), name="Stranger")
    response = client.post(url, {"participants": stranger.partner_id})  # the service refuses another's reseller
    assert response.status_code == 400
    errors = re.findall(r'data-field-error="participants">([^<]+)<', html(response))
    assert errors == [f"Line 0: {stranger.partner_id} is not one of your indirect resellers."]
    assert snapshot() == before
    response = client.post(url, {"participants": reseller.partner_id})
    assert response.status_code == 302
    line = Cart.objects.get().line_items.get()
    assert line.reseller == reseller


def test_indirect_provider_plan_per_reseller_and_the_resellers_view(portal_client, make_org, make_user, actor_of,
                                                                   django_capture_on_commit_callbacks):
    us = Country.objects.get(code="US")
    provider = make_org(tier=Tier.INDIRECT_PROVIDER, country=us, name="Provider")
    reseller = make_org(tier=Tier.INDIRECT_RESELLER, provider=provider, country=us, name="Northwind Resale")
    agent = make_user(Role.SALES_AGENT, Role.ADMIN_AGENT, organisation=provider, email="aa@provider.example.com")
    customer = buyable_customer(provider, reseller=reseller)
    cart = ordering_services.cart_create(actor=actor_of(agent), customer=customer,
                                items=[plan_line(reseller=reseller.partner_id)])
    with django_capture_on_commit_callbacks(execute=True):
        ordering_services.cart_checkout(actor=actor_of(agent), cart=cart)
    page = customer_page(portal_client(agent), customer)
    body = text(page)
    assert f"Reseller of record Northwind Resale ({reseller.partner_id})" in body
    assert "Buy an Azure plan for another reseller" in body  # one plan per reseller of record
    assert "The reseller of record of the plan" in body  # the add form lets the provider pick the reseller
    plan = AzurePlan.objects.get(customer=customer)
    stranger = make_org(tier=Tier.INDIRECT_RESELLER, provider=make_org(tier=Tier.INDIRECT_PROVIDER))
    before = snapshot()
    response = portal_client(agent).post(reverse("azureplan:azure_subscription_create", args=[plan.public_id]),
                                         {"friendly_name": "Shop", "participants": stranger.partner_id})
    assert response.status_code == 400
    # beside the reseller picker, in words about this form (not "Line 0:" of a cart)
    assert re.findall(r'data-field-error="participants">([^<]+)<', html(response)) == [
        f"{stranger.partner_id} is not one of your indirect resellers."]
    assert snapshot() == before
    response = portal_client(agent).post(reverse("azureplan:azure_subscription_create", args=[plan.public_id]),
                                         {"friendly_name": "Shop", "participants": reseller.partner_id})
    assert response.status_code == 302
    assert AzureSubscription.objects.get(friendly_name="Shop").reseller == reseller

    seller = make_user(Role.SALES_AGENT, Role.ADMIN_AGENT, organisation=reseller, email="sam@reseller.example.com")
    page = customer_page(portal_client(seller), customer)
    body = text(page)
    assert "Azure subscription 1" in body and "Buy an Azure plan" not in body
    response = portal_client(seller).get(reverse("azureplan:order_list", args=[customer.tenant_id]))
    assert response.status_code == 200


def test_an_expired_or_ordered_cart_offers_a_new_one(portal_client, sales, customer, plan):
    cart = Cart.objects.get()
    page = portal_client(sales).get(reverse("azureplan:cart_detail", args=[customer.tenant_id, cart.public_id]))
    assert "This cart was ordered on" in text(page) and "Place order" not in text(page)
    response = portal_client(sales).post(reverse("azureplan:cart_checkout", args=[customer.tenant_id, cart.public_id]))
    code, message, link = refusal(response)
    assert code == 800065 and link == reverse("azureplan:azure_plan_cart", args=[customer.tenant_id])


def test_new_azure_subscription_reseller_refusal_names_no_cart_line(make_org, make_user, actor_of,
                                                                    django_capture_on_commit_callbacks):
    """plan_services.azure_subscription_create: a reseller that is not the provider's is refused without the
    "Line 0:" of a cart line (service fix), while a cart line still names its line."""
    from azureplan import errors
    from azureplan.ordering import services as ordering_services
    from azureplan.plans import services as plan_services

    us = Country.objects.get(code="US")
    provider = make_org(tier=Tier.INDIRECT_PROVIDER, country=us)
    reseller = make_org(tier=Tier.INDIRECT_RESELLER, provider=provider, country=us)
    stranger = make_org(tier=Tier.INDIRECT_RESELLER, provider=make_org(tier=Tier.INDIRECT_PROVIDER))
    actor = actor_of(make_user(Role.SALES_AGENT, Role.ADMIN_AGENT, organisation=provider, email="p@p.example.com"))
    customer = buyable_customer(provider)
    cart = ordering_services.cart_create(actor=actor, customer=customer, items=[plan_line(reseller=reseller.partner_id)])
    with django_capture_on_commit_callbacks(execute=True):
        ordering_services.cart_checkout(actor=actor, cart=cart)
    plan = AzurePlan.objects.get(customer=customer)
    with pytest.raises(errors.CartItemError) as exc:
        plan_services.azure_subscription_create(actor=actor, plan=plan, name="X", reseller=stranger.partner_id)
    assert str(exc.value.description) == f"{stranger.partner_id} is not one of your indirect resellers."
    assert exc.value.field == "participants" and "lineItem" not in exc.value.parameters
    with pytest.raises(errors.CartItemError) as exc:
        ordering_services.cart_create(actor=actor, customer=customer, items=[plan_line(reseller=stranger.partner_id)])
    assert str(exc.value.description).startswith("Line 0: ") and exc.value.parameters["lineItem"] == 0


# ---------------------------------------------------------------- the order page


def test_order_status_partial_polls_while_pending_then_shows_the_plan(portal_client, sales, customer, actor_of):
    cart = ordering_services.cart_create(actor=actor_of(sales), customer=customer, items=[plan_line()])
    order = ordering_services.cart_checkout(actor=actor_of(sales), cart=cart)[0]  # on-commit task not run: pending
    client = portal_client(sales)
    url = reverse("azureplan:order_detail", args=[customer.tenant_id, order.public_id])
    page = client.get(url)
    assert "<html" in html(page) and "Pending" in text(page)
    partial = client.get(url, HTTP_HX_REQUEST="true")
    assert partial.status_code == 200 and "<html" not in html(partial)
    assert f'hx-get="{url}"' in html(partial) and 'hx-trigger="every 2s"' in html(partial)
    assert "This page updates by itself." in text(partial)

    ordering_services.order_provision(order.pk)
    partial = client.get(url, HTTP_HX_REQUEST="true")
    assert "hx-get" not in html(partial) and "Completed" in text(partial)
    plan = AzurePlan.objects.get()
    assert f'{reverse("customers:customer_detail", args=[customer.tenant_id])}#plan-{plan.public_id}' in html(partial)


def test_a_failed_order_shows_its_reason(portal_client, sales, customer, actor_of):
    cart = ordering_services.cart_create(actor=actor_of(sales), customer=customer, items=[plan_line()])
    order = ordering_services.cart_checkout(actor=actor_of(sales), cart=cart)[0]
    AzurePlan.objects.filter(order=order).update(status="suspended")  # a refusal: the plan is not provisionable
    ordering_services.order_provision(order.pk)
    order.refresh_from_db()
    assert order.status == "failed"
    partial = portal_client(sales).get(reverse("azureplan:order_detail", args=[customer.tenant_id, order.public_id]),
                                       HTTP_HX_REQUEST="true")
    assert "hx-get" not in html(partial) and "The order failed:" in text(partial)
    assert order.error_reason in text(partial) and "Start a new cart" in text(partial)


# ---------------------------------------------------------------- the Azure plan section by role


def actions(response):
    body = text(response)
    return {name for name in ("Rename", "Suspend", "Cancel the plan", "Add Azure subscription", "Cancel selected")
            if name in body}


def test_buttons_follow_the_roles(portal_client, sales, admin_agent, ga, ga_aa, customer, plan):
    assert actions(customer_page(portal_client(sales), customer)) == {"Rename"}
    # Suspend is offered once no Azure subscription is active (the plan has one): the page says so instead.
    assert actions(customer_page(portal_client(admin_agent), customer)) == {"Rename", "Add Azure subscription"}
    assert 'data-testid="suspend-blocked"' in html(customer_page(portal_client(admin_agent), customer))
    # Cancelling the plan waits for its active Azure subscriptions: offered only once it can happen (item 19).
    assert actions(customer_page(portal_client(ga), customer)) == {"Rename"}
    assert 'data-testid="cancel-blocked"' in html(customer_page(portal_client(ga), customer))
    assert actions(customer_page(portal_client(ga_aa), customer)) == {"Rename", "Add Azure subscription",
                                                                      "Cancel selected"}
    # the checkboxes come with the bulk cancel only
    assert 'name="subscriptions"' not in html(customer_page(portal_client(admin_agent), customer))
    assert 'name="subscriptions"' in html(customer_page(portal_client(ga_aa), customer))


def test_posting_without_the_role_is_403_naming_it(portal_client, sales, admin_agent, customer, plan):
    sub = plan.azure_subscriptions.get()
    before = snapshot()
    client = portal_client(sales)
    for url, data, needed in [
        (reverse("azureplan:azure_plan_action", args=[plan.public_id]), {"action": "suspend"}, "Admin agent"),
        (reverse("azureplan:azure_plan_action", args=[plan.public_id]), {"action": "cancel"}, "Global admin"),
        (reverse("azureplan:azure_subscription_create", args=[plan.public_id]), {"friendly_name": "X"}, "Admin agent"),
        (reverse("azureplan:azure_subscriptions_cancel", args=[plan.public_id]),
         {"subscriptions": [str(sub.subscription_id)], "cancellation_reason": "unused"}, "Global admin, Admin agent"),
    ]:
        response = client.post(url, data)
        assert response.status_code == 403, url
        assert needed in text(response), url
    response = portal_client(admin_agent).post(reverse("azureplan:azure_subscriptions_cancel", args=[plan.public_id]),
                                               {"subscriptions": [str(sub.subscription_id)],
                                                "cancellation_reason": "unused"})
    assert response.status_code == 403 and "This needs both roles: Global admin, Admin agent." in text(response)
    assert snapshot() == before


def test_admin_agent_adds_renames_and_suspend_is_refused_on_the_page(portal_client, admin_agent, customer, plan):
    client = portal_client(admin_agent)
    response = client.post(reverse("azureplan:azure_subscription_create", args=[plan.public_id]), {"friendly_name": "Dev"})
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:customer_detail", args=[customer.tenant_id]) + "#azure-plan"
    page = client.get(response["Location"])
    assert "Azure subscription “Dev” was created." in text(page)
    assert plan.azure_subscriptions.filter(friendly_name="Dev", status="active").exists()

    before = snapshot()
    response = client.post(reverse("azureplan:azure_subscription_create", args=[plan.public_id]), {"friendly_name": " "})
    assert response.status_code == 400 and 'data-field-error="friendly_name"' in html(response)
    response = client.post(reverse("azureplan:azure_plan_action", args=[plan.public_id]), {"action": "suspend"})
    assert response.status_code == 400
    code, message, _link = refusal(response)
    assert code == 900115 and "has 2 active Azure subscription(s): cancel them first" in message
    assert "Cancelling Azure subscriptions: This needs both roles: Global admin, Admin agent." in text(response)
    assert snapshot() == before

    response = client.post(reverse("azureplan:azure_plan_action", args=[plan.public_id]),
                           {"action": "rename", "friendly_name": "Contoso production"})
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.friendly_name == "Contoso production"


def test_cancelling_the_plan_from_the_page_then_a_new_one_can_be_bought(portal_client, ga_aa, customer, plan):
    client = portal_client(ga_aa)
    sub = plan.azure_subscriptions.get()
    before = snapshot()
    response = client.post(reverse("azureplan:azure_plan_action", args=[plan.public_id]), {"action": "cancel"})
    assert response.status_code == 400
    code, message, link = refusal(response)
    assert code == 900115 and "cancel them first" in message
    assert link == reverse("customers:customer_detail", args=[customer.tenant_id]) + "#azure-plan"
    assert "Cancelling Azure subscriptions:" not in text(response)  # this user may cancel them
    assert snapshot() == before
    client.post(reverse("azureplan:azure_subscriptions_cancel", args=[plan.public_id]),
                {"subscriptions": [str(sub.subscription_id)], "cancellation_reason": "customer_request"})
    response = client.post(reverse("azureplan:azure_plan_action", args=[plan.public_id]), {"action": "cancel"})
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.status == "deleted"
    page = customer_page(client, customer)
    assert "is cancelled. A new Azure plan can be bought for this customer." in text(page)
    assert "Buy a new Azure plan" in text(page) and "Azure plan Cancelled" in text(page)
    assert not actions(page) & {"Suspend", "Cancel the plan", "Add Azure subscription", "Cancel selected", "Rename"}


def test_bulk_cancel_refuses_eleven_and_cancels_ten(portal_client, ga_aa, customer, plan, actor_of):
    for n in range(10):
        plan_services.azure_subscription_create(actor=actor_of(ga_aa), plan=plan, name=f"Team {n}")
    ids = [str(s) for s in plan.azure_subscriptions.values_list("subscription_id", flat=True)]
    assert len(ids) == 11
    client = portal_client(ga_aa)
    url = reverse("azureplan:azure_subscriptions_cancel", args=[plan.public_id])
    before = snapshot()
    response = client.post(url, {"subscriptions": ids, "cancellation_reason": "unused"})
    assert response.status_code == 400
    assert re.search(r"data-form-error>Cancel at most 10 Azure subscriptions at a time.<", html(response))
    assert all(f'value="{i}" form="cancel-{plan.public_id}" id="choose-{i}" checked' in html(response) for i in ids)
    assert snapshot() == before

    response = client.post(url, {"subscriptions": ids[:2]})  # no reason
    assert response.status_code == 400 and 'data-field-error="cancellation_reason"' in html(response)
    response = client.post(url, {"subscriptions": [], "cancellation_reason": "unused"})
    assert response.status_code == 400 and "Choose at least one Azure subscription." in text(response)
    assert snapshot() == before

    response = client.post(url, {"subscriptions": ids[:10], "cancellation_reason": "unused"})
    assert response.status_code == 302
    assert AzureSubscription.objects.filter(status="inactive").count() == 10
    page = client.get(response["Location"])
    assert "Cancelled: “Azure subscription 1”" in text(page) and "they are deleted on" in text(page)
    assert text(page).count("deleted on") >= 10
    assert text(page).count("Reactivate") == 10  # one per cancelled Azure subscription
    activity = re.search(r'data-testid="activity".*?</table>', html(page), re.S).group(0)
    assert "Azure subscription cancelled" in activity and "Team 3 · No longer used" in activity
    assert "Order placed" in activity and "cart." not in activity and "azure_subscription." not in activity

    cancelled = AzureSubscription.objects.filter(status="inactive").first()
    response = client.post(reverse("azureplan:azure_subscription_reactivate", args=[cancelled.subscription_id]))
    assert response.status_code == 302
    cancelled.refresh_from_db()
    assert cancelled.status == "active"


# ---------------------------------------------------------------- one Azure subscription


def test_azure_subscription_page_roles_history_and_pec(portal_client, admin_agent, customer, plan):
    sub = plan.azure_subscriptions.get()
    client = portal_client(admin_agent)
    url = reverse("azureplan:azure_subscription_detail", args=[sub.subscription_id])
    page = client.get(url)
    assert page.status_code == 200
    body = text(page)
    assert "Azure subscription 1" in body and "Foreign Principal for 'Partner A'" in body
    assert f"/subscriptions/{sub.subscription_id}" in body and "Eligible" in body

    response = client.post(reverse("azureplan:azure_subscription_rename", args=[sub.subscription_id]),
                           {"friendly_name": "Prod"})
    assert response.status_code == 302
    response = client.post(reverse("azureplan:role_assignment_add", args=[sub.subscription_id]), {
        "principal_type": "customer_user", "principal_id": P1, "principal_name": "Dana Admin", "role_name": "Reader",
        "resource_group": "rg-web", "partner_id": ""})
    assert response.status_code == 302
    before = snapshot()
    response = client.post(reverse("azureplan:role_assignment_add", args=[sub.subscription_id]), {
        "principal_type": "customer_user", "principal_id": P1, "principal_name": "Dana Admin", "role_name": "Reader",
        "resource_group": "rg-web", "partner_id": ""})
    assert response.status_code == 400
    assert "This principal already holds this role at this scope." in text(response)
    response = client.post(reverse("azureplan:role_assignment_add", args=[sub.subscription_id]), {
        "principal_type": "customer_user", "principal_id": P2, "principal_name": "X", "role_name": "Emperor",
        "resource_group": "", "partner_id": ""})
    assert response.status_code == 400 and 'data-field-error="role_name"' in html(response)
    assert snapshot() == before

    owner = RoleAssignment.objects.get(azure_subscription=sub, role_id="Owner")
    response = client.post(reverse("azureplan:role_assignment_remove", args=[owner.public_id]))
    assert response.status_code == 302
    page = client.get(url)
    body = text(page)
    assert "Prod" in body and "Not eligible" in body and "Only other principals" in body
    assert f"/subscriptions/{sub.subscription_id}/resourceGroups/rg-web" in body
    owner.refresh_from_db()
    assert owner.removed_at is not None and "Foreign Principal for 'Partner A'" in body  # history kept
    assert re.search(r'<tr data-assignment="Foreign Principal for &#x27;Partner A&#x27;" class="role-removed">',
                     html(page))

    # one click gives the Admin agents Owner back: eligible again, the removed row stays in the history
    form = re.search(r'data-testid="restore-aobo">(.*?)</form>', html(page), re.S).group(1)
    data = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form))
    data = {k: unescape(v) for k, v in data.items()}
    assert data["principal_type"] == "partner_admin_agents" and data["role_name"] == "Owner"
    response = client.post(reverse("azureplan:role_assignment_add", args=[sub.subscription_id]), data)
    assert response.status_code == 302
    page = client.get(url)
    assert "Eligible" in text(page) and 'data-testid="restore-aobo"' not in html(page)
    assert RoleAssignment.objects.filter(azure_subscription=sub, role_id="Owner").count() == 2


def test_sales_agent_reads_the_subscription_page_without_the_forms(portal_client, sales, plan):
    sub = plan.azure_subscriptions.get()
    page = portal_client(sales).get(reverse("azureplan:azure_subscription_detail", args=[sub.subscription_id]))
    assert page.status_code == 200
    assert 'data-testid="add-role"' not in html(page) and 'data-testid="rename"' not in html(page)
    assert ">Remove</button>" not in html(page)


# ---------------------------------------------------------------- ids first (404), then roles (403); GET changes nothing


def test_foreign_ids_are_404_and_roles_403(portal_client, make_user, other_org, sales, customer, plan, actor_of):
    sub = plan.azure_subscriptions.get()
    order = Order.objects.get()
    cart = Cart.objects.get()
    assignment = sub.role_assignments.get()
    get_pages = [
        reverse("azureplan:azure_plan_cart", args=[customer.tenant_id]),
        reverse("azureplan:cart_detail", args=[customer.tenant_id, cart.public_id]),
        reverse("azureplan:order_list", args=[customer.tenant_id]),
        reverse("azureplan:order_detail", args=[customer.tenant_id, order.public_id]),
        reverse("azureplan:azure_subscription_detail", args=[sub.subscription_id]),
    ]
    post_pages = [
        reverse("azureplan:azure_plan_action", args=[plan.public_id]),
        reverse("azureplan:azure_subscription_create", args=[plan.public_id]),
        reverse("azureplan:azure_subscriptions_cancel", args=[plan.public_id]),
        reverse("azureplan:azure_subscription_rename", args=[sub.subscription_id]),
        reverse("azureplan:azure_subscription_reactivate", args=[sub.subscription_id]),
        reverse("azureplan:role_assignment_add", args=[sub.subscription_id]),
        reverse("azureplan:role_assignment_remove", args=[assignment.public_id]),
        reverse("azureplan:cart_checkout", args=[customer.tenant_id, cart.public_id]),
    ]
    before = snapshot()
    stranger = portal_client(make_user(Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, Role.SALES_AGENT, organisation=other_org,
                                       email="x@b.example.com"))
    for url in get_pages:
        assert stranger.get(url).status_code == 404, url
    for url in post_pages:
        assert stranger.post(url, {"action": "suspend"}).status_code == 404, url
    helpdesk = portal_client(make_user(Role.HELPDESK_AGENT, email="hd@a.example.com"))
    for url in get_pages:
        response = helpdesk.get(url)
        assert response.status_code == 403 and "This needs one of the roles" in text(response), url
    # an unknown id in a known customer is 404 too
    owner = portal_client(sales)
    assert owner.get(reverse("azureplan:order_detail", args=[customer.tenant_id, uuid.uuid4()])).status_code == 404
    assert owner.get(reverse("azureplan:azure_subscription_detail", args=[uuid.uuid4()])).status_code == 404
    for url in post_pages:  # a reload of a form's error page goes back to the form's page (and changes nothing)
        assert owner.get(url).status_code in (302, 403), url
    assert snapshot() == before
