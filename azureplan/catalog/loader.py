"""Load the catalog from azureplan/data/catalog.json (data, not code), like accounts.regions.

Called by the data migration (with historical models) and by `python manage.py load_catalog`. It
creates or updates every product, SKU, availability and comparison row of the file and removes the
rows the file no longer has, so the database matches the file after each run. An availability's
currency is its country's (accounts.Country.currency): reload the catalog after changing regions.json.
"""

import json
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "catalog.json"


def read_catalog(path=DATA_FILE) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def load_catalog(Product, Sku, Availability, OfferComparison, Country, *, path=DATA_FILE) -> dict:
    """Apply the data file; returns counts {"products", "skus", "availabilities", "comparison"}."""
    data = read_catalog(path)
    symbols = data.get("currencySymbols", {})
    countries = {c.code: c for c in Country.objects.all()}
    counts = {"products": 0, "skus": 0, "availabilities": 0, "comparison": 0}
    product_ids = []
    for position, item in enumerate(data["products"]):
        product, _ = Product.objects.update_or_create(id=item["id"], defaults={
            "title": item["title"],
            "description": item.get("description", ""),
            "product_type": item["productType"],
            "is_microsoft_product": item.get("isMicrosoftProduct", True),
            "publisher_name": item.get("publisherName", ""),
            "target_views": item.get("targetViews", []),
            "localized_attributes": item.get("localizedAttributes", []),
            "position": position,
        })
        product_ids.append(product.pk)
        counts["products"] += 1
        sku_pks = []
        for sku_position, sku_item in enumerate(item.get("skus", [])):
            sku, _ = Sku.objects.update_or_create(id=f"{product.id}:{sku_item['id']}", defaults={
                "product": product,
                "sku_id": sku_item["id"],
                "title": sku_item["title"],
                "description": sku_item.get("description", ""),
                "minimum_quantity": sku_item.get("minimumQuantity", 1),
                "maximum_quantity": sku_item.get("maximumQuantity", 1),
                "is_trial": sku_item.get("isTrial", False),
                "supported_billing_cycles": sku_item.get("supportedBillingCycles", []),
                "purchase_prerequisites": sku_item.get("purchasePrerequisites", []),
                "inventory_variables": sku_item.get("inventoryVariables"),
                "provisioning_variables": sku_item.get("provisioningVariables"),
                "actions": sku_item.get("actions", []),
                "dynamic_attributes": sku_item.get("dynamicAttributes", {}),
                "position": sku_position,
            })
            sku_pks.append(sku.pk)
            counts["skus"] += 1
            counts["availabilities"] += _load_availabilities(Availability, sku, sku_item, countries, symbols,
                                                             label=f"{item['id']}:{sku_item['id']}")
        Sku.objects.filter(product=product).exclude(pk__in=sku_pks).delete()
    Product.objects.exclude(pk__in=product_ids).delete()

    positions = []
    for position, row in enumerate(data.get("comparison", [])):
        OfferComparison.objects.update_or_create(position=position, defaults={
            "aspect": row["aspect"]["en"], "aspect_fr": row["aspect"]["fr"],
            "legacy": row["legacy"]["en"], "legacy_fr": row["legacy"]["fr"],
            "azure_plan": row["azurePlan"]["en"], "azure_plan_fr": row["azurePlan"]["fr"],
            "source_url": row.get("source", ""),
        })
        positions.append(position)
        counts["comparison"] += 1
    OfferComparison.objects.exclude(position__in=positions).delete()
    return counts


AVAILABILITY_FIELDS = ("sku", "availability_id", "country", "segment", "currency", "currency_symbol", "is_purchasable",
                       "is_renewable", "terms")


def _load_availabilities(Availability, sku, sku_item, countries, symbols, *, label) -> int:
    """One availability per country of the SKU's `availabilities.countries` map, in three statements
    (the Azure plan is sold in some 240 countries, and the browser tests reload the catalog often)."""
    spec = sku_item.get("availabilities") or {}
    segment = spec.get("segment", "commercial")
    existing = {a.pk: a for a in Availability.objects.filter(sku=sku)}
    wanted, create, update = set(), [], []
    for code, availability_id in spec.get("countries", {}).items():
        country = countries.get(code)
        if country is None:
            raise ValueError(f"catalog.json: {label} names country {code}, which accounts/data/regions.json "
                             "does not have.")
        pk = f"{sku.pk}:{availability_id}"
        values = {
            "sku": sku,
            "availability_id": availability_id,
            "country": country,
            "segment": segment,
            "currency": country.currency,
            "currency_symbol": symbols.get(country.currency, ""),
            "is_purchasable": spec.get("isPurchasable", True),
            "is_renewable": spec.get("isRenewable", False),
            "terms": spec.get("terms", []),
        }
        wanted.add(pk)
        row = existing.get(pk)
        if row is None:
            create.append(Availability(id=pk, **values))
        elif any(getattr(row, key) != value for key, value in values.items()):
            for key, value in values.items():
                setattr(row, key, value)
            update.append(row)
    # First the rows the file no longer has (also a country's old id), then the changes, then the new rows.
    stale = [pk for pk in existing if pk not in wanted]
    if stale:
        Availability.objects.filter(pk__in=stale).delete()
    if update:
        Availability.objects.bulk_update(update, AVAILABILITY_FIELDS)
    if create:
        Availability.objects.bulk_create(create)
    return len(wanted)


def load_current_catalog(*, path=DATA_FILE) -> dict:
    """load_catalog with the current models (the command, tests that flushed the database)."""
    from accounts.models import Country

    from ..models import Availability, OfferComparison, Product, Sku

    return load_catalog(Product, Sku, Availability, OfferComparison, Country, path=path)
