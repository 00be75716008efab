"""Partner Center's Azure spending and daily rated usage shapes (api.md §15, §16.5).

The views build the answers as plain dicts (billing.rating.spend.line_item, the functions below): a page of 2,000
line items is written without a serializer per field. These serializers document the same shapes in the OpenAPI
schema, and tests/openapi_check.py holds every answer of the API tests to them, so the two cannot drift apart.
"""

from rest_framework import serializers

from core.api.serializers import PCSerializer, SelfLinkSerializer, link

from ..spend import percent_used


class _Attributes(serializers.Serializer):
    objectType = serializers.CharField()


class _EtagAttributes(serializers.Serializer):
    objectType = serializers.CharField()
    etag = serializers.CharField()


def _money(**kwargs):
    return serializers.DecimalField(max_digits=40, decimal_places=18, coerce_to_string=False, **kwargs)


class DailyRatedUsageLineItemSerializer(serializers.Serializer):
    partnerId = serializers.CharField()
    partnerName = serializers.CharField(allow_blank=True)
    customerId = serializers.CharField()
    customerName = serializers.CharField(allow_blank=True)
    customerDomainName = serializers.CharField(allow_blank=True)
    customerCountry = serializers.CharField(allow_blank=True)
    invoiceNumber = serializers.CharField(allow_blank=True, help_text="Empty for unbilled usage")
    mpnId = serializers.CharField(allow_blank=True, help_text="The billing partner's PartnerID")
    resellerMpnId = serializers.CharField(allow_blank=True, help_text="The indirect reseller of record's PartnerID")
    productId = serializers.CharField(allow_blank=True)
    skuId = serializers.CharField(allow_blank=True)
    availabilityId = serializers.CharField(allow_blank=True)
    skuName = serializers.CharField(allow_blank=True)
    productName = serializers.CharField(allow_blank=True)
    publisherName = serializers.CharField(allow_blank=True)
    publisherId = serializers.CharField(allow_blank=True)
    subscriptionId = serializers.CharField(help_text="The Azure plan's subscription id")
    subscriptionDescription = serializers.CharField(allow_blank=True)
    chargeStartDate = serializers.CharField()
    chargeEndDate = serializers.CharField()
    usageDate = serializers.CharField()
    meterType = serializers.CharField(allow_blank=True)
    meterCategory = serializers.CharField(allow_blank=True)
    meterId = serializers.CharField()
    meterSubCategory = serializers.CharField(allow_blank=True)
    meterName = serializers.CharField(allow_blank=True)
    meterRegion = serializers.CharField(allow_blank=True)
    unitOfMeasure = serializers.CharField(allow_blank=True)
    resourceLocation = serializers.CharField(allow_blank=True)
    consumedService = serializers.CharField(allow_blank=True)
    resourceGroup = serializers.CharField(allow_blank=True)
    resourceUri = serializers.CharField(allow_blank=True)
    tags = serializers.CharField(allow_blank=True)
    additionalInfo = serializers.CharField(allow_blank=True)
    serviceInfo1 = serializers.CharField(allow_blank=True)
    serviceInfo2 = serializers.CharField(allow_blank=True)
    chargeType = serializers.CharField(allow_blank=True)
    unitPrice = _money()
    quantity = _money()
    unitType = serializers.CharField(allow_blank=True)
    billingPreTaxTotal = _money()
    billingCurrency = serializers.CharField()
    pricingPreTaxTotal = _money()
    pricingCurrency = serializers.CharField()
    entitlementId = serializers.CharField(help_text="The Azure subscription id")
    entitlementDescription = serializers.CharField(allow_blank=True)
    pcToBCExchangeRate = _money()
    pcToBCExchangeRateDate = serializers.CharField(allow_blank=True)
    effectiveUnitPrice = _money()
    rateOfPartnerEarnedCredit = _money(help_text="0 or 0.15")
    hasPartnerEarnedCredit = serializers.BooleanField()
    rateOfCredit = _money()
    creditType = serializers.CharField()
    benefitOrderId = serializers.CharField(allow_blank=True)
    benefitId = serializers.CharField(allow_blank=True)
    benefitType = serializers.CharField()
    invoiceLineItemType = serializers.CharField()
    billingProvider = serializers.CharField()
    attributes = _Attributes()


class SpendingBudgetSerializer(serializers.Serializer):
    """SpendingBudget inside a summary or record: `amount` only when a budget is set."""

    amount = _money(required=False)
    attributes = _Attributes()


class SpendingBudgetResourceSerializer(serializers.Serializer):
    """GET/PATCH /v1/customers/{id}/usagebudget: `amount` and `usageSpendingBudget` (the same) only when a budget is
    set; `attributes.etag` for If-Match."""

    amount = _money(required=False)
    usageSpendingBudget = _money(required=False)
    currencyCode = serializers.CharField(help_text="Extension: the budget's currency, the partner's billing currency")
    links = SelfLinkSerializer()
    attributes = _EtagAttributes()


class SpendingBudgetInputSerializer(PCSerializer):
    """`{"Amount": 100, "Attributes": {"ObjectType": "SpendingBudget"}}`; `amount: null` removes the budget. The
    amount is checked by billing.rating.budgets.parse_budget_amount (a number of 0 or more, 2 decimals at most)."""

    amount = serializers.JSONField(help_text="A number of 0 or more (2 decimals at most), or null: no budget")
    attributes = serializers.DictField(required=False)


class _Totals(serializers.Serializer):
    totalCost = _money(help_text="Month to date in currencyCode (rated rows; unrated rows count 0)")
    currencyCode = serializers.CharField(help_text="The partner's billing currency")
    usdTotalCost = _money(help_text="Month to date in USD, the pricing currency")
    lastModifiedDate = serializers.DateTimeField()
    unratedRecords = serializers.IntegerField(help_text="Extension: usage rows of the month not rated yet (counted "
                                                        "as 0 in the totals)")


class CustomerUsageSummarySerializer(_Totals):
    budget = SpendingBudgetSerializer()
    resourceId = serializers.CharField()
    resourceName = serializers.CharField()
    billingStartDate = serializers.DateTimeField()
    billingEndDate = serializers.DateTimeField()
    links = SelfLinkSerializer()
    attributes = _Attributes()


class SubscriptionUsageSummarySerializer(_Totals):
    resourceId = serializers.CharField()
    resourceName = serializers.CharField()
    billingStartDate = serializers.DateTimeField()
    billingEndDate = serializers.DateTimeField()
    links = SelfLinkSerializer()
    attributes = _Attributes()


class CustomerMonthlyUsageRecordSerializer(_Totals):
    budget = SpendingBudgetSerializer()
    customerSpendingBudget = SpendingBudgetSerializer()
    percentUsed = _money()
    isUpgraded = serializers.BooleanField(help_text="True: the customer is on the Azure plan")
    resourceId = serializers.CharField()
    id = serializers.CharField()
    resourceName = serializers.CharField()
    name = serializers.CharField()
    attributes = _Attributes()


class SubscriptionMonthlyUsageRecordSerializer(_Totals):
    status = serializers.CharField()
    partnerOnRecord = serializers.CharField(allow_blank=True)
    offerId = serializers.CharField()
    resourceId = serializers.CharField()
    id = serializers.CharField()
    resourceName = serializers.CharField()
    name = serializers.CharField()
    attributes = _Attributes()


class MeterUsageRecordSerializer(_Totals):
    subscriptionId = serializers.CharField()
    meterId = serializers.CharField()
    meterName = serializers.CharField(allow_blank=True)
    category = serializers.CharField(allow_blank=True)
    subcategory = serializers.CharField(allow_blank=True)
    quantityUsed = _money()
    unit = serializers.CharField(allow_blank=True)
    attributes = _Attributes()


class ResourceUsageRecordSerializer(_Totals):
    subscriptionId = serializers.CharField()
    resourceUri = serializers.CharField(allow_blank=True)
    resourceType = serializers.CharField(allow_blank=True)
    entitlementId = serializers.CharField()
    entitlementName = serializers.CharField(allow_blank=True)
    resourceGroupName = serializers.CharField(allow_blank=True)
    resourceId = serializers.CharField(allow_blank=True)
    name = serializers.CharField(allow_blank=True)
    resourceName = serializers.CharField(allow_blank=True)
    attributes = _Attributes()


class PartnerUsageSummarySerializer(_Totals):
    customersOverBudget = serializers.IntegerField()
    customersTrendingOver = serializers.IntegerField()
    customersWithUsageBasedSubscription = serializers.IntegerField()
    emailsToNotify = serializers.ListField(child=serializers.CharField())
    resourceId = serializers.CharField()
    id = serializers.CharField()
    resourceName = serializers.CharField()
    name = serializers.CharField()
    billingStartDate = serializers.DateTimeField()
    billingEndDate = serializers.DateTimeField()
    currencyLocale = serializers.CharField()
    links = SelfLinkSerializer()
    attributes = _Attributes()



# ---------------------------------------------------------------- the answers


def _totals(spend) -> dict:
    return {
        "totalCost": spend.total,
        "currencyCode": spend.currency,
        "usdTotalCost": spend.usd_total,
        "lastModifiedDate": spend.modified,
        "unratedRecords": spend.unrated,
    }


def budget_object(budget) -> dict:
    value = {"attributes": {"objectType": "SpendingBudget"}}
    if budget is not None and budget.amount is not None:
        value = {"amount": budget.amount, **value}
    return value


def budget_resource(customer, budget, *, uri, method, etag, currency) -> dict:
    body = {}
    if budget is not None and budget.amount is not None:
        body = {"amount": budget.amount, "usageSpendingBudget": budget.amount}
    body["currencyCode"] = currency
    body["links"] = {"self": link(uri, method)}
    body["attributes"] = {"objectType": "SpendingBudget", "etag": etag}
    return body


def customer_summary(customer, spend, budget, *, uri) -> dict:
    return {
        "budget": budget_object(budget),
        "resourceId": str(customer.tenant_id),
        "resourceName": customer.company_name,
        "billingStartDate": spend.billing_start,
        "billingEndDate": spend.billing_end,
        **_totals(spend),
        "links": {"self": link(uri)},
        "attributes": {"objectType": "CustomerUsageSummary"},
    }


def customer_record(customer, spend, budget) -> dict:
    return {
        "budget": budget_object(budget),
        "customerSpendingBudget": budget_object(budget),
        "percentUsed": percent_used(spend, budget),
        "isUpgraded": True,
        "resourceId": str(customer.tenant_id),
        "id": str(customer.tenant_id),
        "resourceName": customer.company_name,
        "name": customer.company_name,
        **_totals(spend),
        "attributes": {"objectType": "CustomerMonthlyUsageRecord"},
    }


def plan_record(plan, spend, *, partner_on_record) -> dict:
    return {
        "status": str(plan.status).lower(),
        "partnerOnRecord": partner_on_record,
        "offerId": plan.offer_id,
        "resourceId": str(plan.public_id),
        "id": str(plan.public_id),
        "resourceName": plan.friendly_name,
        "name": plan.friendly_name,
        **_totals(spend),
        "attributes": {"objectType": "SubscriptionMonthlyUsageRecord"},
    }


def plan_summary(plan, spend, *, uri) -> dict:
    return {
        "resourceId": str(plan.public_id),
        "resourceName": plan.friendly_name,
        "billingStartDate": spend.billing_start,
        "billingEndDate": spend.billing_end,
        **_totals(spend),
        "links": {"self": link(uri)},
        "attributes": {"objectType": "SubscriptionUsageSummary"},
    }


def meter_record(plan, row) -> dict:
    return {
        "subscriptionId": str(plan.public_id),
        "meterId": row["meter_id"],
        "meterName": row["meter_name"] or "",
        "category": row["category"] or "",
        "subcategory": row["subcategory"] or "",
        "quantityUsed": row["quantity"],
        "unit": row["unit"] or "",
        **_totals(row["spend"]),
        "attributes": {"objectType": "MeterUsageRecord"},
    }


def _resource_type(uri, consumed_service) -> str:
    """The resource provider namespace of a ResourceURI (…/providers/Microsoft.Compute/…), else ConsumedService."""
    parts = (uri or "").split("/")
    lowered = [part.lower() for part in parts]
    if "providers" in lowered:
        index = len(lowered) - 1 - lowered[::-1].index("providers")
        if index + 1 < len(parts):
            return parts[index + 1]
    return consumed_service or ""


def resource_record(plan, row) -> dict:
    uri = row["resource_uri"] or ""
    name = uri.rstrip("/").rsplit("/", 1)[-1] if uri else ""
    return {
        "subscriptionId": str(plan.public_id),
        "resourceUri": uri,
        "resourceType": _resource_type(uri, row["consumed_service"]),
        "entitlementId": str(row["entitlement_id"]),
        "entitlementName": row["entitlement_name"] or "",
        "resourceGroupName": row["resource_group"] or "",
        "resourceId": uri,
        "name": name,
        "resourceName": name,
        **_totals(row["spend"]),
        "attributes": {"objectType": "ResourceUsageRecord"},
    }


def partner_summary(summary, *, uri) -> dict:
    organisation, spend = summary["organisation"], summary["spend"]
    return {
        "customersOverBudget": summary["customers_over_budget"],
        "customersTrendingOver": summary["customers_trending_over"],
        "customersWithUsageBasedSubscription": summary["customers_with_usage"],
        "emailsToNotify": summary["emails_to_notify"],
        "resourceId": str(organisation.tenant_id),
        "id": str(organisation.tenant_id),
        "resourceName": organisation.name,
        "name": organisation.name,
        "billingStartDate": spend.billing_start,
        "billingEndDate": spend.billing_end,
        "currencyLocale": f"en-{organisation.country_id}",
        **_totals(spend),
        "links": {"self": link(uri)},
        "attributes": {"objectType": "PartnerUsageSummary"},
    }

