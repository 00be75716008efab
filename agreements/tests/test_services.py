from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.choices import Role, Tier
from agreements import errors, services
from agreements.models import Agreement
from core.errors import InvalidInput, PermissionDenied
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
MCA = "117a77b0-9360-443b-8795-c6dedc750cf9"


@pytest.fixture
def agent(make_user):
    return make_user(Role.ADMIN_AGENT, email="agent@a.example.com")


def attest(actor, customer, **overrides):
    data = {"first_name": "Tania", "last_name": "Carr", "email": "someone@example.com", "phone_number": "1234567890",
            "date_agreed": "2018-06-14T00:00:00.000Z", "template_id": MCA}
    data.update(overrides)
    return services.agreement_attest(actor=actor, customer=customer, **data)


def test_attest_emails_the_contact_and_opens_the_gate(agent, actor_of, django_capture_on_commit_callbacks):
    customer = CustomerFactory(organisation=agent.organisation)
    with pytest.raises(errors.McaMissing) as exc:
        services.purchase_gate(customer=customer)
    assert exc.value.code == 13605 and "Attest" in str(exc.value.description)
    with django_capture_on_commit_callbacks(execute=True):
        agreement = attest(actor_of(agent), customer)
    assert agreement.attested_by == agent and agreement.source == "partner_attestation"
    assert mail.outbox[0].to == ["someone@example.com"]
    services.purchase_gate(customer=customer)


def test_same_contact_twice_is_600061_and_a_changed_contact_is_history(agent, actor_of):
    customer = CustomerFactory(organisation=agent.organisation)
    attest(actor_of(agent), customer)
    with pytest.raises(errors.AgreementAlreadyExists) as exc:
        attest(actor_of(agent), customer, email="SOMEONE@example.com")
    assert exc.value.code == 600061
    attest(actor_of(agent), customer, phone_number="+1 425 555 0199")
    assert Agreement.objects.filter(customer=customer).count() == 2


def test_attestations_are_never_edited(agent, actor_of):
    from django.db import DatabaseError, transaction

    agreement = attest(actor_of(agent), CustomerFactory(organisation=agent.organisation))
    with pytest.raises(DatabaseError), transaction.atomic():
        Agreement.objects.filter(pk=agreement.pk).update(email="changed@example.com")
    with pytest.raises(DatabaseError), transaction.atomic():
        Agreement.objects.filter(pk=agreement.pk).delete()


@pytest.mark.parametrize("overrides,field", [
    ({"first_name": ""}, "primaryContact.firstName"),
    ({"last_name": ""}, "primaryContact.lastName"),
    ({"email": "not-an-email"}, "primaryContact.email"),
    ({"date_agreed": (timezone.now() + timedelta(days=2)).isoformat()}, "dateAgreed"),
    ({"date_agreed": "yesterday"}, "dateAgreed"),
    ({"template_id": "00000000-0000-0000-0000-000000000000"}, "templateId"),
    ({"template_id": "nope"}, "templateId"),
])
def test_bad_attestations_change_nothing(agent, actor_of, overrides, field):
    customer = CustomerFactory(organisation=agent.organisation)
    with pytest.raises(InvalidInput) as exc:
        attest(actor_of(agent), customer, **overrides)
    assert exc.value.field == field
    assert not Agreement.objects.exists()


def test_indirect_resellers_and_other_roles_cannot_attest(make_org, make_user, actor_of):
    provider = make_org(tier=Tier.INDIRECT_PROVIDER)
    reseller = make_org(tier=Tier.INDIRECT_RESELLER, provider=provider)
    customer = CustomerFactory(organisation=provider, reseller=reseller)
    with pytest.raises(PermissionDenied) as exc:
        attest(actor_of(make_user(Role.ADMIN_AGENT, organisation=reseller)), customer)
    assert "Indirect reseller" in str(exc.value.description)
    assert "your indirect provider confirms it" in str(exc.value.description)
    assert exc.value.code == 2032 and exc.value.status == 403
    assert not Agreement.objects.exists()
    with pytest.raises(PermissionDenied):
        attest(actor_of(make_user(Role.BILLING_ADMIN, organisation=provider)), customer)
    attest(actor_of(make_user(Role.SALES_AGENT, organisation=provider)), customer)
