"""Rated usage rows for the Spend page tests, inserted directly as rating leaves them (the rating columns filled:
price, PEC, pricing and billing totals, currency, rated_at), so the pages are tested without the import and rating
code. `ensure_usage_partitions` first: the table is partitioned by month."""

import datetime as dt
import itertools
import uuid
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from azureplan.tests.factories import azure_plan_with_subscriptions
from billing.models import SpendingBudget, UsageRecord
from billing.usage.partitions import ensure_usage_partitions

_serial = itertools.count(1)
USD_TO_EUR = Decimal("0.9")


def usage_row(subscription, day, amount, *, category="Virtual Machines", resource_group="rg-web", currency="EUR",
              rated=True, meter_id=None, pec=Decimal("15"), reseller_id=None, not_rated_reason="", **fields):
    """One UsageRecord (unsaved) of `subscription` on `day` costing `amount` (billing currency) when `rated`."""
    plan = subscription.plan
    amount = Decimal(str(amount))
    n = next(_serial)
    pricing_total = (amount / USD_TO_EUR).quantize(Decimal("0.01")) if currency != "USD" else amount
    row = UsageRecord(
        organisation_id=plan.customer.organisation_id, customer_id=plan.customer_id, azure_plan_id=plan.pk,
        azure_subscription_id=subscription.pk, reseller_id=reseller_id if reseller_id is not None else plan.reseller_id,
        usage_date=day, product_id="DZH318Z0BQ3Q", sku_id="00TG", availability_id="DZH318Z09V6F",
        meter_id=meter_id or str(uuid.uuid4()), meter_category=category, meter_subcategory="", meter_name="D2s v3",
        meter_region="EU West", unit="1 Hour", resource_group=resource_group,
        resource_uri=f"/subscriptions/{subscription.subscription_id}/resourceGroups/{resource_group}/r{n}",
        charge_type="new", quantity=Decimal("10"), not_rated_reason=not_rated_reason,
        **fields,
    )
    if rated:
        row.rated_at = timezone.now()
        row.unit_price = Decimal("0.1")
        row.pec_percentage = pec
        row.effective_unit_price = Decimal("0.085") if pec else Decimal("0.1")
        row.pricing_currency = "USD"
        row.pricing_pre_tax_total = pricing_total
        row.billing_currency = currency
        row.exchange_rate = USD_TO_EUR if currency != "USD" else Decimal(1)
        row.exchange_rate_date = day.replace(day=1)
        row.billing_pre_tax_total = amount
    return row


def insert_usage(rows):
    """Insert UsageRecord rows (from usage_row) in one statement, creating their months' partitions first."""
    rows = list(rows)
    if not rows:
        return rows
    with transaction.atomic():
        ensure_usage_partitions(min(r.usage_date for r in rows), max(r.usage_date for r in rows))
        return UsageRecord.objects.bulk_create(rows)


def daily_usage(subscription, first_day: dt.date, last_day: dt.date, amount, **kwargs):
    """`amount` of usage on every day from first_day to last_day (inclusive)."""
    days = (last_day - first_day).days + 1
    return insert_usage(usage_row(subscription, first_day + dt.timedelta(days=i), amount, **kwargs)
                        for i in range(days))


def spend_customer(organisation, *, name=None, subscriptions=2, reseller=None, **customer_fields):
    """A customer of `organisation` with an active Azure plan and `subscriptions` Azure subscriptions (named
    "Production", "Development", ...); returns (customer, [subscriptions])."""
    from customers.tests.factories import CustomerFactory

    fields = dict(customer_fields)
    if name:
        fields["company_name"] = name
    customer = CustomerFactory(organisation=organisation, reseller=reseller, **fields)
    plan = azure_plan_with_subscriptions(customer, n=subscriptions, reseller=reseller)
    subs = list(plan.azure_subscriptions.order_by("pk"))
    for sub, label in zip(subs, ["Production", "Development", "Test", "Data", "Shared"], strict=False):
        sub.friendly_name = label
        sub.save(update_fields=["friendly_name"])
    return customer, subs


def set_budget(customer, amount, currency=None):
    return SpendingBudget.objects.update_or_create(
        customer=customer, defaults={"organisation_id": customer.organisation_id,
                                     "amount": None if amount is None else Decimal(str(amount)),
                                     "currency": currency or customer.organisation.billing_currency,
                                     "updated_at": timezone.now()})[0]
