"""Test data of the usage generator and simulate_usage: the demo's consumption price lists and exchange rates imported
through the real import services, and Azure plans whose subscriptions were created (and their Owner granted) on a
given day, as the demo's are."""

import gzip
from datetime import UTC, date, datetime

from accounts.choices import Role
from azureplan.models import AzureSubscription, RoleAssignment
from azureplan.tests.factories import AzurePlanFactory, AzureSubscriptionFactory
from billing.pricing import demo_data
from billing.pricing import services as pricing_services
from core.actor import Actor

EARLIER, LATER = date(2026, 11, 1), date(2026, 12, 1)
CREATED = datetime(2026, 10, 31, 9, 0, tzinfo=UTC)  # the day before November: PEC from Nov 1st


def operator():
    return Actor(organisation_id=0, roles=frozenset(Role), label="tests", request_id="tests")


def demo_consumption_lists(markets=("US",), later=LATER, rates=True):
    """The demo consumption price lists of `markets` for `later` and the month before (and the demo's exchange rates
    of both months), imported as an upload is."""
    files = demo_data.files(later)
    earlier = demo_data.previous_month(later)
    for month in (earlier, later):
        for market in markets:
            name = f"pricesheet-{market}-{demo_data.CONSUMPTION}-{month:%Y%m}.csv.gz"
            pricing_services.price_sheet_import(actor=operator(), file=gzip.decompress(files[name]), market=market,
                                                view=demo_data.CONSUMPTION, month=month,
                                                file_name=name.removesuffix(".gz"))
        if rates:
            name = f"fxrates-{month:%Y%m}.csv"
            pricing_services.fx_rates_import(actor=operator(), file=files[name], month=month, file_name=name)


def plan_created_on(customer, names=("Production", "Development"), *, created=CREATED, reseller=None):
    """An active Azure plan of `customer` with one Azure subscription per name, all created (and the partner's Owner
    granted) at `created`."""
    plan = AzurePlanFactory(customer=customer, reseller=reseller, activated_at=created, created_at=created)
    for name in names:
        AzureSubscriptionFactory(plan=plan, friendly_name=name)
    AzureSubscription.objects.filter(plan=plan).update(created_at=created)
    RoleAssignment.objects.filter(azure_subscription__plan=plan).update(granted_at=created)
    return plan
