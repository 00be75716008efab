"""`load_demo` across the apps: each app's demo data (customers, agreements, azureplan), loaded twice."""

from io import StringIO

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_demo_customers_cover_the_cases():
    from agreements.services import mca_confirmed
    from customers.models import Customer, RelationshipRequest

    call_command("load_demo", stdout=StringIO())
    call_command("load_demo", stdout=StringIO())
    customers = list(Customer.objects.all())
    assert len(customers) == 8
    assert len({c.country_id for c in customers}) >= 3
    with_mca = [c for c in customers if mca_confirmed(c)]
    assert 0 < len(with_mca) < len(customers)
    assert any(c.reseller_id for c in customers)
    assert RelationshipRequest.objects.filter(status="pending").count() == 1


def test_demo_azure_plans_cover_the_cases():
    from azureplan.models import AzurePlan, AzureSubscription

    call_command("load_demo", stdout=StringIO())
    call_command("load_demo", stdout=StringIO())
    plans = AzurePlan.objects.all()
    assert plans.count() == 3
    assert plans.filter(status="suspended").count() == 1
    assert AzureSubscription.objects.filter(status="active").count() >= 3
    waiting = AzureSubscription.objects.filter(status="inactive")
    assert waiting.exists() and all(s.delete_after for s in waiting)


def test_demo_legacy_customers_are_ready_to_transition():
    from accounts.actors import system_actor
    from azureplan.legacy import services as legacy_services
    from azureplan.models import LegacyImport, LegacySubscription
    from customers.models import Customer

    call_command("load_demo", stdout=StringIO())
    call_command("load_demo", stdout=StringIO())
    legacy = LegacySubscription.objects.filter(status="active")
    assert legacy.count() >= 7 and LegacyImport.objects.count() == 2
    assert legacy.filter(reseller__isnull=False).exists()  # the indirect provider's, with a reseller of record
    assert any(len(row.friendly_name) > 64 for row in legacy)  # a line that fails until renamed
    for customer in Customer.objects.filter(legacy_subscriptions__isnull=False).distinct():
        actor = system_actor(customer.organisation)
        assert legacy_services.upgrade_eligibility(actor=actor, customer=customer).is_eligible, customer
