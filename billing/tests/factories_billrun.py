"""Test data for billing runs: a billing partner whose customers have rated usage in a closed month (priced by a
consumption price list and rated by billing.rating, as the usage import leaves them)."""

import datetime as dt
from types import SimpleNamespace

from accounts.models import Country
from accounts.tests.factories import OrganisationFactory
from billing.rating.services import rate_usage

from .factories_rating import fx_rate, meter, price_list, usage, usage_rows, world

MONTH = dt.date(2026, 10, 1)
DISK = SimpleNamespace(product_id="DZH317F1HKN0", sku_id="00BV", meter_id="d9d7a8e5-1111-4a3e-9f57-8d2a4e1f0b11",
                       name="P10 Disks")


def priced(month=MONTH):
    plist = price_list(month=dt.date(month.year, month.month, 1))
    if not plist.rows.exists():
        meter(plist)
        meter(plist, product_id=DISK.product_id, sku_id=DISK.sku_id, meter_id=DISK.meter_id, price="1.536",
              title="Storage")
    return plist


def billed_estate(*, customers=3, month=MONTH, organisation=None, country="US", days=3, rate=True, rate_value=None):
    """`customers` customers of one partner (in `country`), each with VM usage on `days` days of `month` and one disk
    day, rated (unless `rate` is False). Returns SimpleNamespace(organisation, estates)."""
    if organisation is None:
        organisation = OrganisationFactory(country=Country.objects.get(code=country))
    priced(month)
    if rate_value is not None:
        fx_rate(organisation.billing_currency, month, rate_value)
    estates = [world(organisation=organisation) for _ in range(customers)]
    rows = []
    for n, estate in enumerate(estates):
        for day in range(1, days + 1):
            rows.append(usage(estate.sub, month.replace(day=day), 10 + n + day))
        rows.append(usage(estate.sub, month.replace(day=5), 1 + n, m=DISK))
    usage_rows(rows)
    if rate:
        rate_usage(organisation_id=organisation.pk, months=[month])
    return SimpleNamespace(organisation=organisation, estates=estates)
