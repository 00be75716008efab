"""Daily Azure consumption (domain.md §4.3) and what rating makes of it (§3.3.5, §3.5, §3.6).

`UsageRecord` is one row per Azure subscription x meter x usage date x resource (ResourceURI) x charge type x
benefit. The table is partitioned by month on `usage_date` (PostgreSQL declarative partitioning, created by raw SQL
in the migration: Django's state knows `id` as the primary key, the database's key is (organisation_id, usage_date,
id) because a partitioned table's keys must hold the partition key; the organisation leads every key so the table
can later be distributed by organisation). Partitions are created on demand before rows are written
(`billing.usage.partitions`). There are no database foreign keys from this table (a per-row check on millions of
rows costs more than the load): ingestion resolves every id in set-based SQL against rows that exist, and the
`ForeignKey(db_constraint=False)` fields give the ORM its joins.

Microsoft's own figures from the imported file are kept beside ours (`ms_*`); rating fills the `rated_*` / pricing /
billing columns. `rated_at` NULL means not rated yet (a billing run refuses a month that still has such rows).
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# Quantities and unit prices keep high precision (docs/billing.md "Precision"); booked amounts have 2 decimals.
QTY_DIGITS, QTY_PLACES = 38, 18
PRICE_DIGITS, PRICE_PLACES = 38, 18
AMOUNT_DIGITS, AMOUNT_PLACES = 20, 2
RATE_DIGITS, RATE_PLACES = 40, 30


class NotRatedReason(models.TextChoices):
    LEGACY = "legacy", _("Before the legacy subscription's cut-over to the Azure plan")
    NO_PRICE = "no_price", _("No price in the partner's price list for this meter on this day")


class UsageRecord(models.Model):
    id = models.BigAutoField(primary_key=True)
    organisation_id = models.BigIntegerField()  # the billing partner: the customer's direct-bill partner or provider
    customer = models.ForeignKey("customers.Customer", on_delete=models.DO_NOTHING, db_constraint=False,
                                 related_name="+")
    azure_plan = models.ForeignKey("azureplan.AzurePlan", on_delete=models.DO_NOTHING, db_constraint=False,
                                   related_name="+")
    azure_subscription = models.ForeignKey("azureplan.AzureSubscription", on_delete=models.DO_NOTHING,
                                           db_constraint=False, related_name="+")
    reseller_id = models.BigIntegerField(null=True, blank=True)  # the plan's indirect reseller of record
    usage_date = models.DateField()
    import_id = models.BigIntegerField(null=True, blank=True)  # the UsageImport that last wrote the row

    # The meter and the resource, in Microsoft's daily rated usage columns (domain.md §4.3).
    product_id = models.CharField(max_length=64)
    sku_id = models.CharField(max_length=64)
    availability_id = models.CharField(max_length=64, blank=True)
    product_name = models.TextField(blank=True)
    sku_name = models.TextField(blank=True)
    publisher_name = models.TextField(blank=True)
    publisher_id = models.TextField(blank=True)
    meter_id = models.CharField(max_length=64)
    meter_type = models.TextField(blank=True)
    meter_category = models.TextField(blank=True)
    meter_subcategory = models.TextField(blank=True)
    meter_name = models.TextField(blank=True)
    meter_region = models.TextField(blank=True)
    unit = models.TextField(blank=True)  # Unit / UnitOfMeasure
    unit_type = models.TextField(blank=True)
    resource_location = models.TextField(blank=True)
    consumed_service = models.TextField(blank=True)
    resource_group = models.TextField(blank=True)
    resource_uri = models.TextField(blank=True)
    charge_type = models.TextField(blank=True)
    service_info1 = models.TextField(blank=True)
    service_info2 = models.TextField(blank=True)
    tags = models.TextField(blank=True)  # as Microsoft writes it (JSON text)
    additional_info = models.TextField(blank=True)
    benefit_order_id = models.TextField(blank=True)
    benefit_id = models.TextField(blank=True)
    benefit_type = models.TextField(blank=True)  # e.g. SavingsPlan: no PEC (domain.md §3.5.6)
    quantity = models.DecimalField(max_digits=QTY_DIGITS, decimal_places=QTY_PLACES)

    # Microsoft's figures as imported (empty when the file's rating columns are empty).
    ms_unit_price = models.DecimalField(max_digits=PRICE_DIGITS, decimal_places=PRICE_PLACES, null=True, blank=True)
    ms_effective_unit_price = models.DecimalField(max_digits=PRICE_DIGITS, decimal_places=PRICE_PLACES, null=True,
                                                  blank=True)
    ms_billing_pre_tax_total = models.DecimalField(max_digits=PRICE_DIGITS, decimal_places=PRICE_PLACES, null=True,
                                                   blank=True)
    ms_billing_currency = models.CharField(max_length=3, blank=True)
    ms_pricing_pre_tax_total = models.DecimalField(max_digits=PRICE_DIGITS, decimal_places=PRICE_PLACES, null=True,
                                                   blank=True)
    ms_pricing_currency = models.CharField(max_length=3, blank=True)
    ms_exchange_rate = models.DecimalField(max_digits=RATE_DIGITS, decimal_places=RATE_PLACES, null=True, blank=True)
    ms_exchange_rate_date = models.DateField(null=True, blank=True)
    ms_pec_percentage = models.DecimalField(max_digits=7, decimal_places=4, null=True, blank=True)
    ms_credit_percentage = models.DecimalField(max_digits=7, decimal_places=4, null=True, blank=True)
    ms_credit_type = models.TextField(blank=True)

    # Rating (billing.rating): NULL until rated; a changed quantity sets rated_at back to NULL.
    not_rated_reason = models.CharField(max_length=16, choices=NotRatedReason.choices, blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)
    price_list_id = models.BigIntegerField(null=True, blank=True)
    unit_price = models.DecimalField(max_digits=PRICE_DIGITS, decimal_places=PRICE_PLACES, null=True, blank=True)
    pec_percentage = models.DecimalField(max_digits=7, decimal_places=4, null=True, blank=True)  # 0 or 15
    effective_unit_price = models.DecimalField(max_digits=PRICE_DIGITS, decimal_places=PRICE_PLACES, null=True,
                                               blank=True)
    pricing_currency = models.CharField(max_length=3, blank=True)  # USD
    pricing_pre_tax_total = models.DecimalField(max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_PLACES, null=True,
                                                blank=True)
    billing_currency = models.CharField(max_length=3, blank=True)
    exchange_rate = models.DecimalField(max_digits=RATE_DIGITS, decimal_places=RATE_PLACES, null=True, blank=True)
    exchange_rate_date = models.DateField(null=True, blank=True)
    billing_pre_tax_total = models.DecimalField(max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_PLACES, null=True,
                                                blank=True)

    class Meta:
        managed = True
        db_table = "billing_usagerecord"
        # The database's own keys and indexes are created by the migration's SQL (partitioned table):
        #   PRIMARY KEY (organisation_id, usage_date, id)
        #   UNIQUE INDEX NULLS NOT DISTINCT (organisation_id, usage_date, azure_subscription_id, meter_id,
        #       (md5(resource_uri)::uuid), charge_type, benefit_id)   -- the natural key: a re-import adds 0 rows
        #   INDEX (organisation_id, azure_plan_id, meter_id, usage_date)   -- rating a meter of a plan over a month
        #   INDEX (organisation_id, customer_id, usage_date)               -- spend pages and summaries
        #   INDEX (organisation_id, usage_date) WHERE unrated                -- is anything left to rate? (0010)

    def __str__(self):
        return f"{self.azure_subscription_id} {self.meter_id} {self.usage_date} {self.quantity}"


class UsageImportSource(models.TextChoices):
    CSV = "csv", _("Daily rated usage file (CSV)")
    JSONL = "jsonl", _("Usage export (JSON lines, gzip)")
    BATCH = "batch", _("JSON batch")


class UsageImport(models.Model):
    """One usage import (file or batch) of an organisation, with its job (progress) and report."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation_id = models.BigIntegerField(db_index=True)
    job = models.OneToOneField("core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    source = models.CharField(max_length=8, choices=UsageImportSource.choices)
    file_name = models.CharField(max_length=255, blank=True)
    source_sha256 = models.CharField(max_length=64, blank=True)
    line_count = models.PositiveIntegerField(default=0)
    rows_added = models.PositiveIntegerField(default=0)
    rows_replaced = models.PositiveIntegerField(default=0)
    rows_unchanged = models.PositiveIntegerField(default=0)
    rows_unmatched = models.PositiveIntegerField(default=0)
    rows_not_rated = models.PositiveIntegerField(default=0)  # e.g. dated before a legacy cut-over
    report = models.JSONField(default=dict, blank=True)  # bad lines, refused rows, months touched
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_by_label = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"usage import {self.public_id}"


class UnmatchedUsageReason(models.TextChoices):
    UNKNOWN_CUSTOMER = "unknown_customer", _("This customer is not in the portal yet")
    UNKNOWN_PLAN = "unknown_plan", _("The customer has no Azure plan in the portal yet")
    UNKNOWN_SUBSCRIPTION = "unknown_subscription", _("This Azure subscription is not in the portal yet")


class UnmatchedUsage(models.Model):
    """A usage row kept aside because its customer, Azure plan or Azure subscription is not known (yet). It is
    matched, moved into UsageRecord and stamped `matched_at`, once that subscription exists: nothing is lost,
    nothing counted twice (the natural key of UsageRecord)."""

    organisation_id = models.BigIntegerField()
    usage_import = models.ForeignKey(UsageImport, on_delete=models.CASCADE, related_name="unmatched")
    line_number = models.PositiveIntegerField()
    reason = models.CharField(max_length=24, choices=UnmatchedUsageReason.choices)
    customer_tenant_id = models.CharField(max_length=64, blank=True)
    entitlement_id = models.CharField(max_length=64, blank=True)  # the Azure subscription id in the file
    usage_date = models.DateField(null=True, blank=True)
    row = models.JSONField()  # the row with the record's field names (UsageRecord columns, as text)
    created_at = models.DateTimeField()
    matched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organisation_id", "entitlement_id"], condition=models.Q(matched_at__isnull=True),
                         name="unmatchedusage_waiting"),
        ]


class ClosedUsageMonth(models.Model):
    """A month of an organisation that has been invoiced: its usage can no longer change (an import that would
    change it is refused, listing the rows). Written by billing.invoicing when it finalises a month."""

    organisation_id = models.BigIntegerField()
    month = models.DateField()  # the first day
    closed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation_id", "month"], name="closedusagemonth_unique"),
            models.CheckConstraint(condition=models.Q(month__day=1), name="closedusagemonth_first_day"),
        ]
