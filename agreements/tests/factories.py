"""Agreement rows for tests that need a customer who may buy, without going through the attestation service."""

import factory
from django.utils import timezone

from accounts.tests.factories import OrganisationFactory
from agreements.choices import AgreementSource, AgreementType
from agreements.models import Agreement, AgreementTemplate
from customers.tests.factories import CustomerFactory

MCA_TEMPLATE_ID = "117a77b0-9360-443b-8795-c6dedc750cf9"  # the MCA template the data migration loads


class AgreementFactory(factory.django.DjangoModelFactory):
    """A confirmed Microsoft Customer Agreement: the partner's attestation for the customer (of a new
    partner unless `customer` is given). `source=AgreementSource.CUSTOMER_ACCEPTANCE` for a direct sign."""

    class Meta:
        model = Agreement

    customer = factory.SubFactory(CustomerFactory, organisation=factory.SubFactory(OrganisationFactory))
    organisation = factory.SelfAttribute("customer.organisation")
    agreement_type = AgreementType.MICROSOFT_CUSTOMER_AGREEMENT
    template = factory.LazyAttribute(
        lambda o: AgreementTemplate.objects.filter(agreement_type=o.agreement_type).order_by("-version_rank").first())
    source = AgreementSource.PARTNER_ATTESTATION
    first_name = "Pat"
    last_name = factory.Sequence(lambda n: f"Lee {n}")  # a new contact each time (agreement_same_contact_once)
    email = factory.Sequence(lambda n: f"signer{n}@customer.example.com")
    date_agreed = factory.LazyFunction(timezone.now)
    attested_by_label = "Test attestation"
