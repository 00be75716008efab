"""Demo MCA attestations for `make run`: the demo customers marked so in customers/demo.py. Idempotent: a
customer that already has an agreement keeps it and gets no other."""

from datetime import date

from django.db import transaction

from accounts.actors import system_actor
from customers.demo import CUSTOMERS
from customers.models import Customer

from .models import Agreement, AgreementTemplate
from .services import agreement_attest


@transaction.atomic
def load_demo(organisations):
    template = AgreementTemplate.objects.get(agreement_type="MicrosoftCustomerAgreement")
    attested = []
    for key, domain, *_rest, mca in CUSTOMERS:
        customer = Customer.objects.filter(domain=domain, organisation=organisations[key]).first()
        if not mca or customer is None or Agreement.objects.filter(customer=customer).exists():
            continue
        attested.append(agreement_attest(
            actor=system_actor(organisations[key], label="demo data"), customer=customer, first_name="Accounts",
            last_name="Payable", email=customer.email, date_agreed=date(2024, 3, 1), template_id=template.template_id))
    return attested
