"""Usage rows for the spend API's tests, rated as billing.rating rates them (unit price, PEC, effective unit price,
USD total, billing total through the exchange rate), inserted directly: the tests do not depend on ingestion or on
the rating engine. Build on azureplan.tests.factories.azure_plan_with_subscriptions."""

import datetime as dt
import itertools
from decimal import ROUND_DOWN, Decimal

from django.db import transaction
from django.utils import timezone

from billing.models import UsageRecord
from billing.usage.partitions import ensure_usage_partitions

_SEQ = itertools.count(1)
CENT = Decimal("0.01")


def usage_record(sub, *, day, quantity="10", unit_price="1.00", pec=0, rated=True, currency=None, rate="1",
                 meter_id=None, resource_uri=None, resource_group="rg-app", meter_category="Virtual Machines",
                 meter_name="D2 v3", **fields) -> UsageRecord:
    """An unsaved UsageRecord of Azure subscription `sub` on `day`; rated (the rating columns filled) unless
    `rated=False`. `currency`: the billing currency (default: the partner's country's), `rate` USD -> it."""
    plan = sub.plan
    customer = plan.customer
    organisation = customer.organisation
    n = next(_SEQ)
    quantity, unit_price, rate = Decimal(quantity), Decimal(unit_price), Decimal(rate)
    meter_id = meter_id or "9f8c7b6a-0000-4000-8000-000000000001"
    record = UsageRecord(
        organisation_id=organisation.pk, customer=customer, azure_plan=plan, azure_subscription=sub,
        reseller_id=plan.reseller_id, usage_date=day, product_id="DZH318Z0BQ3Q", sku_id="0001",
        availability_id="DZH318Z0BQ3R", product_name="Virtual Machines Dv3 Series", sku_name="D2 v3",
        publisher_name="Microsoft", meter_id=meter_id, meter_type="1 Compute Hour", meter_category=meter_category,
        meter_subcategory="Dv3 Series", meter_name=meter_name, meter_region="US East", unit="1 Hour",
        unit_type="1 Hour", resource_location="EASTUS", consumed_service="Microsoft.Compute",
        resource_group=resource_group,
        resource_uri=resource_uri or (f"/subscriptions/{sub.subscription_id}/resourceGroups/{resource_group}/providers/"
                                      f"Microsoft.Compute/virtualMachines/vm{n}"),
        charge_type="new", tags='{"env": "prod"}', additional_info='{"ServiceType": "Standard_D2_v3"}',
        benefit_type="Charge", quantity=quantity, **fields,
    )
    if rated:
        effective = unit_price * (1 - Decimal(pec) / 100)
        usd = (quantity * effective).quantize(CENT, rounding=ROUND_DOWN)
        record.rated_at = timezone.now()
        record.unit_price = unit_price
        record.pec_percentage = Decimal(pec)
        record.effective_unit_price = effective
        record.pricing_currency = "USD"
        record.pricing_pre_tax_total = usd
        record.billing_currency = currency or organisation.country.currency
        record.exchange_rate = rate
        record.exchange_rate_date = day.replace(day=1)
        record.billing_pre_tax_total = (usd * rate).quantize(CENT, rounding=ROUND_DOWN)
    return record


def insert_usage(records) -> list[UsageRecord]:
    """Insert the records (creating their months' partitions first), in one transaction, with one INSERT."""
    records = list(records)
    if not records:
        return []
    with transaction.atomic():
        ensure_usage_partitions(min(r.usage_date for r in records), max(r.usage_date for r in records))
        return UsageRecord.objects.bulk_create(records)


def days_of(month: dt.date, count: int) -> list[dt.date]:
    return [month + dt.timedelta(days=i) for i in range(count)]
