"""Usage files for the ingestion tests, in Microsoft's columns: the daily rated usage CSV (domain.md §4.3), the v2
export's JSON lines (api.md §17) and the API's JSON batch (api.md §16.5), built from the same rows; and the estate
(customer, Azure plan, Azure subscriptions with known ids) the files name."""

import csv
import gzip
import io
import json
import uuid
from pathlib import Path

from azureplan.tests.factories import AzurePlanFactory, AzureSubscriptionFactory
from customers.tests.factories import CustomerFactory

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "usage"

CSV_COLUMNS = (
    "PartnerId", "PartnerName", "CustomerId", "CustomerName", "CustomerDomainName", "CustomerCountry", "MPNID",
    "ResellerMPNID", "InvoiceNumber", "ProductId", "SkuId", "AvailabilityId", "SkuName", "ProductName",
    "PublisherName", "PublisherId", "SubscriptionDescription", "SubscriptionId", "ChargeStartDate", "ChargeEndDate",
    "UsageDate", "MeterType", "MeterCategory", "MeterId", "MeterSubCategory", "MeterName", "MeterRegion", "Unit",
    "ResourceLocation", "ConsumedService", "ResourceGroup", "ResourceURI", "ChargeType", "UnitPrice", "Quantity",
    "UnitType", "BillingPreTaxTotal", "BillingCurrency", "PricingPreTaxTotal", "PricingCurrency", "ServiceInfo1",
    "ServiceInfo2", "Tags", "AdditionalInfo", "EffectiveUnitPrice", "PCToBCExchangeRate", "PCToBCExchangeRateDate",
    "EntitlementId", "EntitlementDescription", "PartnerEarnedCreditPercentage", "CreditPercentage", "CreditType",
    "BenefitOrderId", "BenefitId", "BenefitType",
)
# The "basic" attribute set of the v2 export (api.md §17): no MeterId, no meter names.
BASIC = ("PartnerId", "PartnerName", "CustomerId", "CustomerName", "InvoiceNumber", "ProductId", "SkuId", "SkuName",
         "PublisherName", "SubscriptionId", "ChargeStartDate", "ChargeEndDate", "UsageDate", "Unit", "ResourceURI",
         "ChargeType", "UnitPrice", "Quantity", "BillingPreTaxTotal", "BillingCurrency", "PricingPreTaxTotal",
         "PricingCurrency", "EffectiveUnitPrice", "PCToBCExchangeRate", "EntitlementId", "CreditPercentage",
         "CreditType", "BenefitOrderID", "BenefitType")

VM = {"ProductId": "DZH318Z0BQ4L", "SkuId": "0014", "MeterId": "f7e9c0bb-8cbb-4bd1-8a5b-16cd2cb8d1ea",
      "MeterCategory": "Virtual Machines", "MeterSubCategory": "Dv3/DSv3 Series", "MeterName": "D2 v3/D2s v3",
      "MeterRegion": "US East", "Unit": "1 Hour", "MeterType": "1 Compute Hour",
      "SkuName": "D2 v3/D2s v3", "ProductName": "Virtual Machines Dv3/DSv3 Series"}
STORAGE = {"ProductId": "DZH318Z0BP88", "SkuId": "00ZV", "MeterId": "9995d93a-7d35-4d3f-9c69-7a7fea447ef4",
           "MeterCategory": "Storage", "MeterSubCategory": "Standard Page Blob", "MeterName": "LRS Data Stored",
           "MeterRegion": "US East", "Unit": "1 GB/Month", "MeterType": "1 GB/Month",
           "SkuName": "Standard LRS", "ProductName": "Storage - Standard Page Blob"}


def _partner_of(customer_id) -> str:
    """The PartnerId Microsoft writes: the billing partner's tenant id (the customer's organisation's); empty for a
    customer this install does not know (a line kept aside)."""
    from customers.models import Customer

    tenant = (Customer.objects.filter(tenant_id=str(customer_id)).values_list("organisation__tenant_id", flat=True)
              .first() if _is_guid(customer_id) else None)
    return str(tenant) if tenant else ""


def _is_guid(value) -> bool:
    import uuid

    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def line(customer_id, entitlement_id, day, quantity, meter=VM, resource="vm1", **extra):
    """One daily rated usage line (Microsoft's column names); rating columns empty unless given."""
    group = extra.pop("ResourceGroup", "rg-app")
    row = dict.fromkeys(CSV_COLUMNS, "")
    row.update({
        "PartnerId": _partner_of(customer_id), "PartnerName": "Contoso Partner",
        "CustomerId": str(customer_id), "CustomerName": "Customer", "CustomerCountry": "US",
        "AvailabilityId": "DZH318Z0BQ4L", "PublisherName": "Microsoft",
        "SubscriptionDescription": "Azure plan", "ChargeStartDate": "2026-12-01", "ChargeEndDate": "2026-12-31",
        "UsageDate": str(day), "ResourceLocation": "eastus", "ConsumedService": "Microsoft.Compute",
        "ResourceGroup": group, "ChargeType": "new", "Quantity": str(quantity), "UnitType": "1",
        "ResourceURI": f"/subscriptions/{entitlement_id}/resourceGroups/{group}/providers/Microsoft.Compute/"
                       f"virtualMachines/{resource}",
        "Tags": '{"env":"prod"}', "AdditionalInfo": '{"ServiceType":"Standard_D2_v3"}',
        "EntitlementId": str(entitlement_id), "EntitlementDescription": "Production",
        "CreditType": "Credit Not Applied",
    })
    row.update(meter)
    row.update(extra)
    return row


def usage_csv(rows, *, columns=CSV_COLUMNS, bom=False, quote_header=False) -> bytes:
    """The daily rated usage file of `rows` (dicts of Microsoft's names)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if quote_header:
        out.write(",".join(f'"{name}"' for name in columns) + "\r\n")
    else:
        writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(name, "") for name in columns])
    data = out.getvalue().encode()
    return (b"\xef\xbb\xbf" + data) if bom else data


def usage_jsonl(rows, *, attributes=CSV_COLUMNS, gzipped=True) -> bytes:
    """The v2 export's blob: one JSON object per line with the attribute set's names, gzipped."""
    text = "".join(json.dumps({name: (row.get(name) if name != "BenefitOrderID" else row.get("BenefitOrderId", ""))
                               for name in attributes}) + "\n" for row in rows)
    data = text.encode()
    return gzip.compress(data) if gzipped else data


_API = {"MeterSubCategory": "meterSubCategory", "Unit": "unitOfMeasure", "ResourceURI": "resourceUri",
        "PCToBCExchangeRate": "pcToBCExchangeRate", "PCToBCExchangeRateDate": "pcToBCExchangeRateDate",
        "MPNID": "mpnId", "ResellerMPNID": "resellerMpnId"}


def api_item(row):
    """A DailyRatedUsageLineItem-style object of a row (api.md §16.5 names)."""
    item = {}
    for name in CSV_COLUMNS:
        if name in ("PartnerEarnedCreditPercentage", "CreditPercentage"):
            continue
        key = _API.get(name) or name[0].lower() + name[1:]
        value = row.get(name, "")
        item[key] = value
    if row.get("PartnerEarnedCreditPercentage") not in (None, ""):
        item["rateOfPartnerEarnedCredit"] = float(row["PartnerEarnedCreditPercentage"]) / 100
    if row.get("Quantity") not in (None, ""):
        try:
            item["quantity"] = float(row["Quantity"])
        except ValueError:
            item["quantity"] = row["Quantity"]
    item["attributes"] = {"objectType": "DailyRatedUsageLineItem"}
    return item


def usage_batch(rows) -> bytes:
    return json.dumps({"items": [api_item(r) for r in rows]}).encode()


def usage_estate(organisation, *, tenant_id=None, subscription_ids=None, reseller=None):
    """A customer of `organisation` (with `tenant_id`), its active Azure plan and Azure subscriptions with the given
    ids. Returns (customer, plan, [subscriptions])."""
    customer = CustomerFactory(organisation=organisation, tenant_id=tenant_id or uuid.uuid4(),
                               **({"reseller": reseller} if reseller else {}))
    plan = AzurePlanFactory(customer=customer, reseller=reseller)
    subs = [AzureSubscriptionFactory(plan=plan, subscription_id=sid, aobo=False)
            for sid in (subscription_ids or [uuid.uuid4()])]
    return customer, plan, subs
