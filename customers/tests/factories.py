import factory

from accounts.models import Country
from customers.models import Customer


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    domain = factory.Sequence(lambda n: f"customer{n}.onmicrosoft.com")
    company_name = factory.Sequence(lambda n: f"Customer {n:05d} Ltd")
    email = factory.Sequence(lambda n: f"billing{n}@customer.example.com")
    billing_company_name = factory.SelfAttribute("company_name")
    first_name = "Billing"
    last_name = "Contact"
    address_line1 = "1 Example Street"
    city = "Seattle"
    state = "WA"
    postal_code = "98052"
    country = factory.LazyFunction(lambda: Country.objects.get(code="US"))


def customer_data(**overrides):
    """Valid form/service input for a US customer."""
    data = {
        "domain": "newco.onmicrosoft.com", "company_name": "NewCo Inc", "email": "ap@newco.example.com",
        "culture": "en-US", "language": "en", "first_name": "Pat", "last_name": "Lee",
        "address_line1": "1 Main Street", "city": "Redmond", "state": "WA", "postal_code": "98052", "country": "US",
        "phone_number": "",
    }
    data.update(overrides)
    return data
