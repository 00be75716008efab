import pytest

from accounts.choices import Role, Tier
from accounts.models import Country
from core.errors import InvalidInput, NotFound, PermissionDenied
from core.models import AuditEvent
from customers import errors, services
from customers.models import Customer, RelationshipRequest
from customers.registry import ActiveItems

from .factories import CustomerFactory, customer_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(make_user):
    return make_user(Role.SALES_AGENT, Role.ADMIN_AGENT, email="agent@a.example.com")


def test_create_customer(agent, actor_of):
    data = customer_data(domain="NewCo.OnMicrosoft.com")
    customer, credentials = services.customer_create(actor=actor_of(agent), data=data)
    assert customer.domain == "newco.onmicrosoft.com" and customer.has_relationship
    assert customer.billing_company_name == "NewCo Inc"
    assert credentials["userName"] == "admin@newco.onmicrosoft.com" and credentials["password"]
    assert AuditEvent.objects.filter(action="customer.created", subject_id=str(customer.tenant_id)).exists()


@pytest.mark.parametrize("overrides,field,code", [
    ({"domain": ""}, "companyProfile.domain", 800002),
    ({"domain": "not a domain"}, "companyProfile.domain", 800002),
    ({"company_name": ""}, "companyProfile.companyName", 800002),
    ({"email": "nope"}, "billingProfile.email", 800002),
    ({"address_line1": "x" * 201}, "billingProfile.defaultAddress.addressLine1", 800002),
    ({"first_name": "x" * 51}, "billingProfile.defaultAddress.firstName", 800002),
    ({"state": "WAS"}, "billingProfile.defaultAddress.state", 800002),
    ({"country": "USA"}, "billingProfile.defaultAddress.country", 800002),
    ({"country": "ZZ"}, "billingProfile.defaultAddress.country", 800002),
    ({"country": "FR", "state": ""}, "billingProfile.defaultAddress.country", 2030),
    ({"organization_registration_number": "123456"}, "companyProfile.organizationRegistrationNumber", 600002),
])
def test_invalid_customer_data(agent, actor_of, overrides, field, code):
    with pytest.raises(InvalidInput.__mro__[1]) as exc:
        services.customer_create(actor=actor_of(agent), data=customer_data(**overrides))
    assert exc.value.field == field and exc.value.code == code and exc.value.status == 400
    assert not Customer.objects.exists()


def test_registration_number_and_phone_in_listed_countries(make_org, make_user, actor_of):
    poland = make_org(country=Country.objects.get(code="PL"))
    user = make_user(Role.SALES_AGENT, organisation=poland)
    base = customer_data(country="PL", state="", city="Warszawa", postal_code="00-001")
    with pytest.raises(errors.CustomerError) as exc:
        services.customer_create(actor=actor_of(user), data=base)
    assert exc.value.code == 600049
    with pytest.raises(errors.CustomerError) as exc:
        services.customer_create(actor=actor_of(user), data={**base, "organization_registration_number": "?"})
    assert exc.value.code == 600050
    with pytest.raises(errors.CustomerError) as exc:
        services.customer_create(actor=actor_of(user), data={**base, "organization_registration_number": "PL1234567"})
    assert exc.value.code == 600051
    customer, _ = services.customer_create(actor=actor_of(user), data={
        **base, "organization_registration_number": "PL1234567", "phone_number": "+48 22 000 00 00"})
    assert customer.organization_registration_number == "PL1234567"


def test_domain_is_unique_across_partners(agent, actor_of, make_user, other_org):
    services.customer_create(actor=actor_of(agent), data=customer_data())
    other = make_user(Role.SALES_AGENT, organisation=other_org)
    with pytest.raises(InvalidInput) as exc:
        services.customer_create(actor=actor_of(other), data=customer_data(domain="NEWCO.onmicrosoft.com"))
    assert exc.value.field == "companyProfile.domain"
    assert services.domain_taken("newco.onmicrosoft.com")
    assert Customer.objects.count() == 1


def test_billing_and_helpdesk_cannot_add_customers(make_user, actor_of):
    for role in (Role.BILLING_ADMIN, Role.HELPDESK_AGENT):
        with pytest.raises(PermissionDenied):
            services.customer_create(actor=actor_of(make_user(role)), data=customer_data())
    assert not Customer.objects.exists()


def test_reseller_visibility_and_assignment(make_org, make_user, actor_of):
    provider = make_org(tier=Tier.INDIRECT_PROVIDER)
    reseller = make_org(tier=Tier.INDIRECT_RESELLER, provider=provider)
    stranger = make_org(tier=Tier.INDIRECT_RESELLER, provider=make_org(tier=Tier.INDIRECT_PROVIDER))
    p_agent = make_user(Role.SALES_AGENT, organisation=provider)
    r_agent = make_user(Role.SALES_AGENT, organisation=reseller)
    mine, _ = services.customer_create(actor=actor_of(p_agent), data=customer_data(), reseller=reseller.partner_id)
    other, _ = services.customer_create(actor=actor_of(p_agent), data=customer_data(domain="other.onmicrosoft.com"))
    assert mine.reseller == reseller
    assert set(Customer.objects.for_actor(actor_of(r_agent))) == {mine}
    assert set(Customer.objects.for_actor(actor_of(p_agent))) == {mine, other}
    with pytest.raises(InvalidInput):
        services.customer_assign_reseller(actor=actor_of(p_agent), customer=other, reseller=stranger.partner_id)
    services.customer_assign_reseller(actor=actor_of(p_agent), customer=other, reseller=reseller.partner_id)
    assert set(Customer.objects.for_actor(actor_of(r_agent))) == {mine, other}
    with pytest.raises(NotFound):
        services.customer_assign_reseller(actor=actor_of(r_agent), customer=other, reseller=None)


def test_assign_reseller_names_the_callers_field(make_org, make_user, actor_of):
    provider = make_org(tier=Tier.INDIRECT_PROVIDER)
    customer = CustomerFactory(organisation=provider)
    actor = actor_of(make_user(Role.SALES_AGENT, organisation=provider))
    with pytest.raises(InvalidInput) as exc:
        services.customer_assign_reseller(actor=actor, customer=customer, reseller="1234567")
    assert exc.value.field == "reseller"
    with pytest.raises(InvalidInput) as exc:
        services.customer_assign_reseller(actor=actor, customer=customer, reseller="1234567",
                                          field="associatedPartnerId")
    assert exc.value.field == "associatedPartnerId"
    direct = make_user(Role.SALES_AGENT, email="direct@a.example.com")
    with pytest.raises(InvalidInput) as exc:
        services.customer_assign_reseller(actor=actor_of(direct), customer=CustomerFactory(organisation=direct.organisation),
                                          reseller=None, field="associatedPartnerId")
    assert exc.value.field == "associatedPartnerId"


def test_billing_profile_etag(agent, actor_of):
    from core.api.etag import etag_for
    from core.errors import EtagMismatch

    customer = CustomerFactory(organisation=agent.organisation)
    etag = etag_for(customer)
    services.customer_update_billing_profile(actor=actor_of(agent), customer=customer, expected_etag=etag,
                                             data=customer_data(city="Bellevue"))
    with pytest.raises(EtagMismatch):
        services.customer_update_billing_profile(actor=actor_of(agent), customer=customer, expected_etag=etag,
                                                 data=customer_data(city="Tacoma"))
    customer.refresh_from_db()
    assert customer.city == "Bellevue"


class TestInvitation:


    def test_tampered_and_expired(self, agent, actor_of):
        from datetime import timedelta

        import time_machine
        from django.utils import timezone

        _row, url = services.relationship_request_create(actor=actor_of(agent))
        token = url.rstrip("/").rsplit("/", 1)[1]
        with pytest.raises(errors.InvitationInvalid, match="changed"):
            services.relationship_request_from_token(token[:-2] + "xx")
        with time_machine.travel(timezone.now() + timedelta(days=31)):
            with pytest.raises(errors.InvitationInvalid, match="expired"):
                services.relationship_request_accept(token=token, data=customer_data())
        assert not Customer.objects.exists()

    def test_outside_market_is_refused(self, agent, actor_of):
        _row, url = services.relationship_request_create(actor=actor_of(agent))
        token = url.rstrip("/").rsplit("/", 1)[1]
        with pytest.raises(errors.OutsideMarket):
            services.relationship_request_accept(token=token, data=customer_data(country="FR", state=""))
        assert RelationshipRequest.objects.get().status == "pending"

    def test_billing_admin_cannot_invite(self, make_user, actor_of):
        with pytest.raises(PermissionDenied):
            services.relationship_request_create(actor=actor_of(make_user(Role.BILLING_ADMIN)))


class TestRelationshipRemoval:


    def test_refused_while_subscriptions_are_active(self, global_admin, actor_of):
        customer = CustomerFactory(organisation=global_admin.organisation)
        services.ACTIVE_SUBSCRIPTION_COUNTERS.append(
            lambda c: [ActiveItems(2, "2 active things")] if c.pk == customer.pk else [])
        try:
            with pytest.raises(errors.ActiveSubscriptions):
                services.relationship_remove(actor=actor_of(global_admin), customer=customer)
        finally:
            services.ACTIVE_SUBSCRIPTION_COUNTERS.pop()
        customer.refresh_from_db()
        assert customer.relationship == "reseller"

    def test_sales_agent_may_not(self, agent, actor_of):
        customer = CustomerFactory(organisation=agent.organisation)
        with pytest.raises(PermissionDenied):
            services.relationship_remove(actor=actor_of(agent), customer=customer)
