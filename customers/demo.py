"""Demo customers for `make run`: several countries, one pending invitation, one assigned to the indirect
reseller, three ready to transition from legacy Azure. The last column says which have an MCA: agreements/demo.py
attests it. Idempotent: existing customers are kept as they are."""

from django.db import transaction

from accounts.actors import system_actor
from customers.models import Customer, RelationshipRequest

CUSTOMERS = [
    # (partner key, domain, company, country, city, state, postal code, registration, phone, reseller?, mca?)
    ("direct", "fabrikam-example.onmicrosoft.com", "Fabrikam Example Inc", "US", "Seattle", "WA", "98101", "",
     "", False, True),
    ("direct", "northwind-example.onmicrosoft.com", "Northwind Example LLC", "US", "New York", "NY", "10001", "",
     "", False, False),
    ("provider", "exemple-industrie.onmicrosoft.com", "Exemple Industrie SA", "FR", "Lyon", "", "69002", "", "",
     True, True),
    ("provider", "beispiel-handel.onmicrosoft.com", "Beispiel Handel GmbH", "DE", "Berlin", "", "10115", "", "",
     False, False),
    ("provider", "przyklad-uslugi.onmicrosoft.com", "Przykład Usługi Sp. z o.o.", "PL", "Warszawa", "", "00-001",
     "PL5250001009", "+48 22 000 00 00", False, True),
    # Ready to transition from legacy Azure (relationship + MCA, no Azure plan): azureplan/demo.py imports their
    # legacy MS-AZR-0145P subscriptions.
    ("direct", "contoso-legacy.onmicrosoft.com", "Contoso Legacy Ltd", "US", "Chicago", "IL", "60601", "", "",
     False, True),
    ("direct", "tailspin-legacy.onmicrosoft.com", "Tailspin Toys Legacy Inc", "US", "Austin", "TX", "78701", "", "",
     False, True),
    ("provider", "heritage-conseil.onmicrosoft.com", "Héritage Conseil SARL", "FR", "Nantes", "", "44000", "", "",
     True, True),
]


@transaction.atomic
def load_demo(organisations):
    from customers.services import customer_create, relationship_request_create

    created = []
    for key, domain, company, country, city, state, postal, registration, phone, to_reseller, _mca in CUSTOMERS:
        organisation = organisations[key]
        if Customer.objects.filter(domain=domain).exists():
            continue
        actor = system_actor(organisation, label="demo data")
        reseller = organisation.resellers.first() if to_reseller else None
        customer, _credentials = customer_create(actor=actor, reseller=reseller.partner_id if reseller else None, data={
            "domain": domain, "company_name": company, "email": f"billing@{domain.split('.')[0]}.example.com",
            "culture": {"FR": "fr-FR", "DE": "de-DE", "PL": "pl-PL", "CA": "en-CA"}.get(country, "en-US"),
            "first_name": "Accounts", "last_name": "Payable", "address_line1": "1 Example Street", "city": city,
            "state": state, "postal_code": postal, "country": country, "organization_registration_number": registration,
            "phone_number": phone,
        })
        created.append(customer)
    provider = organisations["provider"]
    if not RelationshipRequest.objects.filter(organisation=provider).exists():
        relationship_request_create(actor=system_actor(provider, label="demo data"), include_delegated_admin=False)
    return created


