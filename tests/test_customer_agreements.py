"""customers and agreements together: the MCA accepted on the invitation page (agreements' invitation-accepted
hook) and the purchase gate after the relationship is removed."""

import pytest

from accounts.choices import Role
from agreements.models import Agreement
from agreements.services import purchase_gate
from customers import errors, services
from customers.models import Customer
from customers.tests.factories import CustomerFactory, customer_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(make_user):
    return make_user(Role.SALES_AGENT, Role.ADMIN_AGENT, email="agent@a.example.com")


def test_accept_creates_customer_once_and_records_mca(agent, actor_of):
    row, url = services.relationship_request_create(actor=actor_of(agent), include_delegated_admin=True)
    token = url.rstrip("/").rsplit("/", 1)[1]
    customer = services.relationship_request_accept(token=token, data=customer_data(), accept_mca=True)
    assert customer.organisation == agent.organisation and customer.allow_delegated_access
    row.refresh_from_db()
    assert row.status == "accepted" and row.customer == customer
    agreement = Agreement.objects.get(customer=customer)
    assert agreement.source == "customer_acceptance"
    with pytest.raises(errors.InvitationInvalid, match="already accepted"):
        services.relationship_request_accept(token=token, data=customer_data(domain="x2.onmicrosoft.com"))
    assert Customer.objects.count() == 1


def test_global_admin_removes_and_purchase_gate_then_refuses(global_admin, actor_of):
    customer = CustomerFactory(organisation=global_admin.organisation)
    services.relationship_remove(actor=actor_of(global_admin), customer=customer)
    customer.refresh_from_db()
    assert customer.relationship == "none"
    with pytest.raises(errors.NoCommerceRelationship):
        purchase_gate(customer=customer)
