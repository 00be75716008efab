"""Price lists (Microsoft's Azure plan price sheet, one version per market, view and month) and monthly exchange rates.

Reference data shared by every organisation on the install: no organisation column (domain.md §3.3.1: one global
price list per market). Who imported a version is recorded on it and in the audit trail.
"""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

# Prices and tier bounds keep high precision (docs/billing.md "Precision"): Microsoft publishes unit prices with up to
# ~10 decimals and tier maxima up to 9223372036854780000 (20 digits).
PRICE_DIGITS, PRICE_PLACES = 38, 18
TIER_DIGITS, TIER_PLACES = 38, 10
RATE_DIGITS, RATE_PLACES = 40, 30


class PriceSheetView(models.TextChoices):
    AZURE_CONSUMPTION = "azure_consumption", _("Azure plan consumption")
    AZURE_RESERVATIONS = "azure_reservations", _("Azure plan reservations")


class ImportKind(models.TextChoices):
    PRICE_SHEET = "price_sheet", _("Price sheet")
    FX_RATES = "fx_rates", _("Exchange rates")


class PriceList(models.Model):
    """Microsoft's price sheet for one market and one view as published for one month (`month` is its first day).

    Re-importing a month replaces that month's rows (set-based upsert); other months are never touched, so any past
    date prices as it did then."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    market = models.CharField(max_length=2)  # ISO 3166-1 alpha-2, upper case
    view = models.CharField(max_length=32, choices=PriceSheetView.choices)
    month = models.DateField()  # the first day of the month
    source_sha256 = models.CharField(max_length=64)  # of the file last imported into this version
    file_name = models.CharField(max_length=255, blank=True)
    row_count = models.PositiveIntegerField(default=0)
    imported_at = models.DateTimeField()
    imported_by_label = models.CharField(max_length=255, blank=True)
    imported_by_user = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL,
                                         related_name="+")
    imported_by_organisation_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["market", "view", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["market", "view", "month"], name="pricelist_unique_month"),
            models.CheckConstraint(condition=models.Q(month__day=1), name="pricelist_month_first_day"),
        ]

    def __str__(self):
        return f"{self.market} {self.view} {self.month:%Y-%m}"


class PriceSheetRow(models.Model):
    """One line of a price sheet, in Microsoft's columns (domain.md §4.1). A meter's tiers are the rows of one
    ProductId/SkuId with the same EffectiveStartDate, ordered by PricingTierRangeMin.

    The table is LIST-partitioned by price list (migration 0003): each version's rows are one partition,
    billing_pricesheetrow_p<price list id>, written whole by an import (billing.pricing.services) and dropped with the
    list by a database trigger, whatever deletes it (so no foreign key constraint and DO_NOTHING here). Rows are
    written by imports only, never one by one."""

    # The import numbers its rows: price_list_id * 2^32 + the row's line in the file (rows older than the partitions
    # keep their ids, all below 2^32).
    id = models.BigIntegerField(primary_key=True)
    # No index of its own: the unique key below starts with price_list and serves every lookup by list.
    price_list = models.ForeignKey(PriceList, on_delete=models.DO_NOTHING, related_name="rows", db_index=False,
                                   db_constraint=False)
    product_title = models.TextField(blank=True)
    product_id = models.CharField(max_length=64)
    sku_id = models.CharField(max_length=64)
    sku_title = models.TextField(blank=True)
    publisher = models.TextField(blank=True)
    sku_description = models.TextField(blank=True)
    unit_of_measure = models.TextField(blank=True)
    term_duration = models.CharField(max_length=64, blank=True)
    market = models.CharField(max_length=2)
    currency = models.CharField(max_length=3)
    unit_price = models.DecimalField(max_digits=PRICE_DIGITS, decimal_places=PRICE_PLACES)
    tier_min = models.DecimalField(max_digits=TIER_DIGITS, decimal_places=TIER_PLACES, null=True, blank=True)
    tier_max = models.DecimalField(max_digits=TIER_DIGITS, decimal_places=TIER_PLACES, null=True, blank=True)
    effective_start = models.DateTimeField()
    effective_end = models.DateTimeField()
    meter_ids = models.TextField(blank=True)
    meter_type = models.TextField(blank=True)
    tags = models.TextField(blank=True)

    class Meta:
        constraints = [
            # domain.md §2.13: a meter row is keyed by (ProductId, SkuId, PricingTierRangeMin) and its start date.
            models.UniqueConstraint(fields=["price_list", "product_id", "sku_id", "tier_min", "effective_start"],
                                    name="pricesheetrow_unique_key", nulls_distinct=False),
            models.CheckConstraint(condition=models.Q(unit_price__gte=0), name="pricesheetrow_price_not_negative"),
            models.CheckConstraint(condition=models.Q(effective_end__gte=models.F("effective_start")),
                                   name="pricesheetrow_dates_in_order"),
        ]
        # No other index: every read names the list, or joins the few lists of a market and view (a meter's history)
        # and probes this key once per list; each index more is paid on every row of every import.

    def __str__(self):
        return f"{self.product_id}/{self.sku_id} {self.unit_price} {self.currency}"


class ExchangeRate(models.Model):
    """One row of Microsoft's monthly FX file: USD per one unit of `currency`, for every charge dated in `month`
    (domain.md §3.4.2). Once set, a (currency, month) rate is never changed."""

    currency = models.CharField(max_length=3)
    month = models.DateField()  # the first day of the month
    usd_per_unit = models.DecimalField(max_digits=RATE_DIGITS, decimal_places=RATE_PLACES)
    source_sha256 = models.CharField(max_length=64)
    imported_at = models.DateTimeField()

    class Meta:
        ordering = ["-month", "currency"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "month"], name="exchangerate_unique_month"),
            models.CheckConstraint(condition=models.Q(usd_per_unit__gt=0), name="exchangerate_positive"),
            models.CheckConstraint(condition=models.Q(month__day=1), name="exchangerate_month_first_day"),
        ]

    def __str__(self):
        return f"{self.currency} {self.month:%Y-%m} {self.usd_per_unit}"


class PricingImport(models.Model):
    """One successful import of a price sheet or an FX file (also a repeated one that changed nothing), with its
    report: what the pages and `GET /v1/pricing/imports` list."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=16, choices=ImportKind.choices)
    price_list = models.ForeignKey(PriceList, null=True, blank=True, on_delete=models.SET_NULL, related_name="imports")
    market = models.CharField(max_length=2, blank=True)
    view = models.CharField(max_length=32, blank=True)
    month = models.DateField(null=True, blank=True)
    source_sha256 = models.CharField(max_length=64)
    file_name = models.CharField(max_length=255, blank=True)
    row_count = models.PositiveIntegerField(default=0)
    rows_written = models.PositiveIntegerField(default=0)
    unchanged = models.BooleanField(default=False)
    report = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    imported_by_label = models.CharField(max_length=255, blank=True)
    imported_by_user = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL,
                                         related_name="+")
    imported_by_organisation_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["-created_at", "-id"], name="pricingimport_recent")]

    def __str__(self):
        return f"{self.kind} {self.created_at:%Y-%m-%d %H:%M}"
