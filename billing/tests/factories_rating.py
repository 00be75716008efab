"""Test data for rating: a partner with an Azure plan and subscriptions whose AOBO Owner dates from `granted_at`, a
consumption price list with meters (tiered or not) written straight into the tables, exchange rates, and usage rows
inserted directly into billing_usagerecord (its month's partition created first), as ingestion leaves them: unrated."""

import hashlib
from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

from django.utils import timezone

from accounts.models import Country
from accounts.tests.factories import OrganisationFactory
from azureplan.models import RoleAssignment
from azureplan.tests.factories import AzurePlanFactory, AzureSubscriptionFactory
from customers.tests.factories import CustomerFactory

from ..models import ExchangeRate, PriceList, PriceSheetRow, PriceSheetView, UsageRecord
from ..usage.partitions import ensure_usage_partitions

LONG_AGO = datetime(2025, 1, 1, tzinfo=UTC)
OPEN_END = datetime(9999, 11, 30, 23, 59, 59, tzinfo=UTC)
VM = SimpleNamespace(product_id="DZH318Z0BQ4X", sku_id="003C", meter_id="9cb0bde8-bc0c-4914-841b-b2a8cb5a4b3d",
                     name="D2 v3")


def world(*, country="US", subscriptions=1, organisation=None, reseller=None, granted_at=LONG_AGO, aobo=True):
    """A billing partner (in `country`), a customer, its Azure plan (reseller of record `reseller`) and
    `subscriptions` active Azure subscriptions, each with the partner's Admin agents as Owner since `granted_at`."""
    organisation = organisation or OrganisationFactory(country=Country.objects.get(code=country))
    customer = CustomerFactory(organisation=organisation)
    if reseller is not None:
        customer.reseller = reseller
        customer.save(update_fields=["reseller"])
    plan = AzurePlanFactory(customer=customer, reseller=reseller)
    subs = [AzureSubscriptionFactory(plan=plan, aobo=aobo, created_at=LONG_AGO) for _ in range(subscriptions)]
    RoleAssignment.objects.filter(azure_subscription__in=subs).update(granted_at=granted_at)
    return SimpleNamespace(organisation=organisation, customer=customer, plan=plan, subs=subs, sub=subs[0])


def price_list(*, month=date(2026, 8, 1), market="US", view=PriceSheetView.AZURE_CONSUMPTION) -> PriceList:
    found, _created = PriceList.objects.get_or_create(
        market=market, view=view, month=month,
        defaults={"source_sha256": hashlib.sha256(f"{market}{view}{month}".encode()).hexdigest(),
                  "imported_at": timezone.now()})
    return found


def _add_price_rows(plist, rows):
    """Rows straight into the list's own partition (billing_pricesheetrow is partitioned by list, docs/billing.md),
    created here when missing, with ids in the import's scheme (list id * 2^32 + line)."""
    from django.db import connection

    from ..pricing.services import partition_name

    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {partition_name(plist.pk)} PARTITION OF "
                       f"{PriceSheetRow._meta.db_table} FOR VALUES IN ({int(plist.pk)})")
    first = PriceSheetRow.objects.filter(price_list=plist).count() + 1
    for line, row in enumerate(rows, start=first):
        row.id = (plist.pk << 32) | line
    PriceSheetRow.objects.bulk_create(rows)


def meter(plist, *, product_id=VM.product_id, sku_id=VM.sku_id, meter_id=VM.meter_id, price="0.868", tiers=None,
          tags="Azure,Consumption", start=LONG_AGO, end=OPEN_END, title="Virtual Machines"):
    """A meter of `plist`: one untiered row at `price`, or `tiers` = [(min, max or None, price), ...]."""
    tiers = tiers or [(None, None, price)]
    rows = [PriceSheetRow(price_list=plist, product_title=title, product_id=product_id, sku_id=sku_id,
                          sku_title=title, publisher="Microsoft", unit_of_measure="1 Hour", term_duration="payG-1",
                          market=plist.market, currency="USD", unit_price=Decimal(str(p)),
                          tier_min=None if lo is None else Decimal(str(lo)),
                          tier_max=None if hi is None else Decimal(str(hi)), effective_start=start,
                          effective_end=end, meter_ids=meter_id, meter_type="Compute Hours", tags=tags)
            for lo, hi, p in tiers]
    _add_price_rows(plist, rows)
    return SimpleNamespace(product_id=product_id, sku_id=sku_id, meter_id=meter_id)


def fx_rate(currency, month, usd_per_unit):
    return ExchangeRate.objects.create(currency=currency, month=month, usd_per_unit=Decimal(str(usd_per_unit)),
                                       source_sha256="0" * 64, imported_at=timezone.now())


def usage_rows(rows) -> list[UsageRecord]:
    """Insert UsageRecord rows (unsaved instances, e.g. from `usage()`) into their monthly partitions."""
    rows = list(rows)
    if rows:
        ensure_usage_partitions(min(r.usage_date for r in rows), max(r.usage_date for r in rows))
    return UsageRecord.objects.bulk_create(rows)


def usage(sub, day, quantity, *, m=VM, resource_uri=None, **fields) -> UsageRecord:
    """An unsaved usage row of Azure subscription `sub` for meter `m` on `day`."""
    plan = sub.plan
    values = {
        "organisation_id": plan.customer.organisation_id, "customer_id": plan.customer_id, "azure_plan_id": plan.pk,
        "azure_subscription_id": sub.pk, "reseller_id": plan.reseller_id, "usage_date": day,
        "product_id": m.product_id, "sku_id": m.sku_id, "meter_id": m.meter_id, "quantity": Decimal(str(quantity)),
        "meter_category": "Virtual Machines", "meter_name": getattr(m, "name", "") or "D2 v3",
        "publisher_name": "Microsoft", "resource_group": "rg-app",
        "resource_uri": resource_uri or f"/subscriptions/{sub.subscription_id}/resourceGroups/rg-app/providers/"
                                        f"Microsoft.Compute/virtualMachines/vm1",
    }
    values.update(fields)
    return UsageRecord(**values)


def add_usage(sub, day, quantity, **kwargs) -> UsageRecord:
    return usage_rows([usage(sub, day, quantity, **kwargs)])[0]
