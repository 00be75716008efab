import uuid

import factory
from django.utils import timezone

from accounts.choices import Role, Tier
from accounts.models import Country, Organisation, User

PASSWORD = "correct-horse-battery-staple"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    tenant_id = factory.LazyFunction(uuid.uuid4)
    partner_id = factory.Sequence(lambda n: f"{5000000 + n}")
    name = factory.Sequence(lambda n: f"Partner {n}")
    tier = Tier.DIRECT_BILL
    country = factory.LazyFunction(lambda: Country.objects.get(code="US"))
    mpa_signed_at = factory.LazyFunction(lambda: timezone.now().date())


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    organisation = factory.SubFactory(OrganisationFactory)
    email = factory.Sequence(lambda n: f"user{n}@partner.example.com")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"User {n}")
    roles = factory.LazyFunction(lambda: [Role.GLOBAL_ADMIN.value])
    activated_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):
        obj.set_password(extracted or PASSWORD)
        if create:
            obj.save(update_fields=["password"])
