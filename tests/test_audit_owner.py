"""Events an indirect reseller records on a provider's customer show in the owning partner's audit log too."""

import pytest
from django.urls import reverse

from accounts import selectors as account_selectors
from accounts.actors import actor_for_user, system_actor
from accounts.choices import Role, Tier
from accounts.models import Country
from azureplan.models import AzurePlan
from azureplan.ordering import services as ordering_services
from azureplan.plans import services as plan_services
from azureplan.tests.factories import buyable_customer, plan_line
from core.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting(make_org, make_user, django_capture_on_commit_callbacks):
    us = Country.objects.get(code="US")
    provider = make_org(tier=Tier.INDIRECT_PROVIDER, country=us, name="Provider")
    reseller = make_org(tier=Tier.INDIRECT_RESELLER, provider=provider, country=us, name="Northwind Resale")
    customer = buyable_customer(provider, reseller=reseller)
    cart = ordering_services.cart_create(actor=system_actor(provider), customer=customer,
                                         items=[plan_line(reseller=reseller.partner_id)])
    with django_capture_on_commit_callbacks(execute=True):
        ordering_services.cart_checkout(actor=system_actor(provider), cart=cart)
    sub = AzurePlan.objects.get(customer=customer).azure_subscriptions.get()
    seller = make_user(Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, organisation=reseller, email="sam@reseller.example.com")
    plan_services.azure_subscription_rename(actor=actor_for_user(seller), sub=sub, name="Renamed by reseller")
    admin = make_user(Role.GLOBAL_ADMIN, organisation=provider, email="ga@provider.example.com")
    stranger = make_user(Role.GLOBAL_ADMIN, organisation=make_org(tier=Tier.INDIRECT_PROVIDER, country=us),
                         email="ga@stranger.example.com")
    return {"provider": provider, "reseller": reseller, "customer": customer, "seller": seller, "admin": admin,
            "stranger": stranger}


def test_reseller_event_records_the_owning_organisation(setting):
    event = AuditEvent.objects.get(action="azure_subscription.renamed")
    assert event.organisation_id == setting["reseller"].pk
    assert event.owner_organisation_id == setting["provider"].pk


def test_reseller_event_shows_in_both_audit_logs_and_no_other(setting):
    def actions(user):
        return set(account_selectors.audit_list(actor=actor_for_user(user)).values_list("action", flat=True))

    assert "azure_subscription.renamed" in actions(setting["seller"])
    assert "azure_subscription.renamed" in actions(setting["admin"])
    assert "azure_subscription.renamed" not in actions(setting["stranger"])


def test_owning_partner_sees_it_on_the_page_and_the_api(setting, portal_client, api_client_for):
    api = api_client_for(setting["admin"])
    items = api.get("/v1/auditrecords").json()["items"]
    assert "azure_subscription.renamed" in [item["operationType"] for item in items]
    page = portal_client(setting["admin"]).get(reverse("accounts:settings_audit"))
    assert "azure_subscription.renamed" in page.content.decode()
    assert "sam@reseller.example.com" in page.content.decode()


def test_own_events_carry_no_owner(setting):
    # The provider's own events on its customer: the owner is the organisation itself, nothing extra is stored.
    assert AuditEvent.objects.filter(organisation_id=setting["provider"].pk,
                                     owner_organisation_id__isnull=False).count() == 0
