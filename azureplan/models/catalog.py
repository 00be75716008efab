"""The catalog (Partner Center's Product -> Sku -> Availability, api reference §8.1) and the "Compare Azure
offers" rows. Rows are reference data: loaded from data/catalog.json by a migration and by the
`load_catalog` command (azureplan.catalog), never edited through the portal. Not tenant data: every
partner sees the same catalog."""

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models.functions import Upper

from ..choices import Segment


def _strings():
    return ArrayField(models.CharField(max_length=64), default=list, blank=True)


class Product(models.Model):
    id = models.CharField(primary_key=True, max_length=64)  # Partner Center's product id, e.g. DZH318Z0BPS6
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    product_type = models.JSONField(default=dict)  # ItemType {id, displayName, subType?}
    is_microsoft_product = models.BooleanField(default=True)
    publisher_name = models.CharField(max_length=200)
    target_views = _strings()
    localized_attributes = models.JSONField(default=list, blank=True)  # [{key, value}]
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(Upper("id"), name="catalog_product_id_unique_ci")]

    def __str__(self):
        return f"{self.title} ({self.id})"


class Sku(models.Model):
    # "{productId}:{skuId}". Natural keys (as Region and Country) keep the rows' identity when the catalog is
    # loaded again: tests that flush the database and restore its serialized content find the same keys.
    id = models.CharField(primary_key=True, max_length=130)
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="skus")
    sku_id = models.CharField(max_length=64)  # unique only within its product, e.g. 0001
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    minimum_quantity = models.PositiveIntegerField(default=1)
    maximum_quantity = models.PositiveIntegerField(default=1)
    is_trial = models.BooleanField(default=False)
    supported_billing_cycles = _strings()
    purchase_prerequisites = _strings()
    # None: not printed (Microsoft's legacy Azure SKU has neither list); [] is printed as [].
    inventory_variables = ArrayField(models.CharField(max_length=64), null=True, blank=True)
    provisioning_variables = ArrayField(models.CharField(max_length=64), null=True, blank=True)
    actions = _strings()
    dynamic_attributes = models.JSONField(default=dict, blank=True)  # free-form, as Partner Center's
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["product", "position", "sku_id"]
        constraints = [
            models.UniqueConstraint("product", Upper("sku_id"), name="catalog_sku_id_unique_ci"),
            models.CheckConstraint(name="catalog_sku_quantities",
                                   condition=models.Q(minimum_quantity__gte=1,
                                                      maximum_quantity__gte=models.F("minimum_quantity"))),
        ]

    def __str__(self):
        return f"{self.title} ({self.product_id}:{self.sku_id})"


class Availability(models.Model):
    """Where and how a SKU is sold: one per country and segment. `catalog_item_id` goes into carts and orders."""

    id = models.CharField(primary_key=True, max_length=200)  # the catalog item id "{productId}:{skuId}:{availabilityId}"
    sku = models.ForeignKey(Sku, on_delete=models.CASCADE, related_name="availabilities")
    availability_id = models.CharField(max_length=64)  # can change over time: read it again before a purchase
    country = models.ForeignKey("accounts.Country", on_delete=models.PROTECT, related_name="+")
    segment = models.CharField(max_length=20, choices=Segment.choices, default=Segment.COMMERCIAL)
    # The country's currency (accounts.Country.currency) when the catalog was loaded: Partner Center's defaultCurrency.
    currency = models.CharField(max_length=3)
    currency_symbol = models.CharField(max_length=8, blank=True)
    is_purchasable = models.BooleanField(default=True)
    is_renewable = models.BooleanField(default=False)
    terms = models.JSONField(default=list, blank=True)  # [{duration: "P1Y", description}]

    class Meta:
        ordering = ["sku", "country"]
        verbose_name_plural = "availabilities"
        constraints = [
            models.UniqueConstraint("sku", Upper("availability_id"), name="catalog_availability_id_unique_ci"),
            models.UniqueConstraint(fields=["sku", "country", "segment"], name="catalog_availability_per_country"),
            models.CheckConstraint(name="catalog_availability_currency_iso",
                                   condition=models.Q(currency__regex=r"^[A-Z]{3}$")),
        ]
        indexes = [models.Index(fields=["country", "segment"], name="catalog_availability_country")]

    def __str__(self):
        return self.catalog_item_id

    @property
    def catalog_item_id(self) -> str:
        return self.id


class OfferComparison(models.Model):
    """A row of "Compare Azure offers": the legacy Azure offer (MS-AZR-0145P) against the Azure plan."""

    position = models.PositiveSmallIntegerField(primary_key=True)  # a natural key, like the catalog rows'
    aspect = models.CharField(max_length=200)
    aspect_fr = models.CharField(max_length=200)
    legacy = models.CharField(max_length=500)
    legacy_fr = models.CharField(max_length=500)
    azure_plan = models.CharField(max_length=500)
    azure_plan_fr = models.CharField(max_length=500)
    source_url = models.URLField(blank=True)

    class Meta:
        ordering = ["position"]

    def __str__(self):
        return self.aspect

    @staticmethod
    def _french():
        from django.utils.translation import get_language

        return (get_language() or "").startswith("fr")

    @property
    def localized_aspect(self):
        return self.aspect_fr if self._french() else self.aspect

    @property
    def localized_legacy(self):
        return self.legacy_fr if self._french() else self.legacy

    @property
    def localized_azure_plan(self):
        return self.azure_plan_fr if self._french() else self.azure_plan


class AzureRole(models.Model):
    """An Azure built-in role and whether holding it earns partner earned credit (domain.md §3.5)."""

    name = models.CharField(max_length=100, primary_key=True)
    pec_eligible = models.BooleanField()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name
