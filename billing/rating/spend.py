"""Reads of Azure spending for the API (and the pages): unbilled daily rated usage line items, month-to-date spend by
customer, Azure plan, meter and resource, budgets. Every read is scoped to the caller and role-checked once here
(Perm.VIEW_SPEND: Global admin, Admin agent, Billing admin).

Who sees which usage rows: the selling partner (direct-bill partner or indirect provider: `organisation_id`) sees
its customers' rows; an indirect reseller sees only the rows where it is the reseller of record (`reseller_id`) of a
customer still assigned to it (azureplan.models.scoping.customer_q, the rule of the Azure plan). A foreign id answers
404 like an unknown one.

Figures (docs/billing.md "Spend and budgets"): month to date of the open month (the UTC calendar month of today),
summed from the rated columns: `billing_pre_tax_total` in the partner's billing currency (`totalCost`) and
`pricing_pre_tax_total` in USD (`usdTotalCost`). A row not rated yet counts as 0 and is counted in `unratedRecords`.
"""

import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Count, F, Max, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Organisation
from accounts.permissions import Perm, require
from azureplan.errors import SubscriptionNotFound
from azureplan.models import AzurePlan
from core import csv as safe_csv
from core.tenancy import get_for_actor_or_404
from customers.models import Customer

from ..models import ClosedUsageMonth, NotRatedReason, SpendingBudget, UsageRecord
from ..usage.partitions import month_start, next_month
from .page_selectors import budget_status, forecast_window

ZERO = Decimal("0")
LINE_ITEM_ORDERING = ("usage_date", "id")

# Microsoft's daily rated usage file, Azure plan (domain.md §4.3), in file order.
DAILY_RATED_USAGE_COLUMNS = (
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

# The columns a line item reads: the record's own and those of the rows it points to (one join each, no N+1).
LINE_ITEM_FIELDS = (
    "id", "organisation_id", "reseller_id", "usage_date",
    "customer__tenant_id", "customer__company_name", "customer__domain", "customer__country_id",
    "azure_plan__public_id", "azure_plan__friendly_name",
    "azure_subscription__subscription_id", "azure_subscription__friendly_name",
    "product_id", "sku_id", "availability_id", "product_name", "sku_name", "publisher_name", "publisher_id",
    "meter_id", "meter_type", "meter_category", "meter_subcategory", "meter_name", "meter_region", "unit",
    "unit_type", "resource_location", "consumed_service", "resource_group", "resource_uri", "charge_type",
    "service_info1", "service_info2", "tags", "additional_info", "benefit_order_id", "benefit_id", "benefit_type",
    "quantity", "unit_price", "effective_unit_price", "pec_percentage", "pricing_currency", "pricing_pre_tax_total",
    "billing_currency", "billing_pre_tax_total", "exchange_rate", "exchange_rate_date",
)

PEC_CREDIT = "Partner Earned Credit Applied"
NO_CREDIT = "Credit Not Applied"


def _check(actor):
    require(actor, Perm.VIEW_SPEND)


def open_month(today: dt.date | None = None) -> dt.date:
    """The open (unbilled, current) month: the UTC calendar month of today."""
    return month_start(today or timezone.now().date())


def previous_month(month: dt.date) -> dt.date:
    return month_start(month - dt.timedelta(days=1))


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    """First day and the first day of the next month (a half-open range: the partition's own bounds)."""
    return month, next_month(month)


def selling_organisation_id(actor) -> int:
    """The organisation whose usage rows the actor reads: its own, or an indirect reseller's provider."""
    if actor.tier == "indirect_reseller":
        provider = Organisation.objects.filter(pk=actor.organisation_id).values_list("provider_id", flat=True).first()
        return provider or actor.organisation_id
    return actor.organisation_id


def usage_q(actor, *, organisation_id=None) -> Q:
    """The usage rows the actor may see. The organisation always leads (the table's keys: partition pruning and the
    (organisation_id, usage_date, id) primary key serve every read)."""
    organisation_id = organisation_id or selling_organisation_id(actor)
    scope = Q(organisation_id=organisation_id)
    if actor.tier == "indirect_reseller":
        scope &= Q(reseller_id=actor.organisation_id, customer__reseller_id=actor.organisation_id)
    return scope


def usage_for_actor(actor):
    _check(actor)
    return UsageRecord.objects.filter(usage_q(actor))


# ---------------------------------------------------------------- customers and Azure plans


def customer_get(*, actor, tenant_id) -> Customer:
    """A customer of the actor (foreign, unknown or malformed id: 404/1000), for the spend routes."""
    _check(actor)
    return get_for_actor_or_404(Customer.objects.select_related("organisation__country"), actor, tenant_id=tenant_id)


def plan_get(*, actor, customer, plan_id) -> AzurePlan:
    """An Azure plan of the customer the actor may see (unknown, foreign or not an Azure plan: 404/20003)."""
    _check(actor)
    try:
        return AzurePlan.objects.for_actor(actor).select_related("reseller").get(customer=customer,
                                                                                  public_id=plan_id)
    except (AzurePlan.DoesNotExist, ValueError, TypeError, ValidationError):
        raise SubscriptionNotFound() from None


def billing_currency(organisation) -> str:
    """The partner's billing currency: its country's (docs/billing.md)."""
    return organisation.country.currency


# ---------------------------------------------------------------- spend figures


@dataclass(frozen=True)
class Spend:
    total: Decimal  # billing currency, rated rows
    usd_total: Decimal
    currency: str
    records: int
    unrated: int
    last_modified: dt.datetime | None
    month: dt.date

    @property
    def billing_start(self) -> dt.datetime:
        return dt.datetime.combine(self.month, dt.time.min, tzinfo=dt.UTC)

    @property
    def billing_end(self) -> dt.datetime:
        return dt.datetime.combine(next_month(self.month), dt.time.min, tzinfo=dt.UTC)

    @property
    def modified(self) -> dt.datetime:
        """lastModifiedDate: when the figures last changed (the latest rating), else the start of the month."""
        return self.last_modified or self.billing_start


def _aggregates(currency) -> dict:
    """The month-to-date sums: `total` of the rows rated in `currency` only (the partner's billing currency, the
    answer's currencyCode: a row rated in another currency is other money, never added to it), `usd_total` of the
    USD pricing totals, the row counts and the latest rating."""
    return {
        "total": Coalesce(Sum("billing_pre_tax_total", filter=Q(billing_currency=currency)), ZERO),
        "usd_total": Coalesce(Sum("pricing_pre_tax_total", filter=Q(pricing_currency="USD")), ZERO),
        "records": Count("id"),
        "unrated": Count("id", filter=Q(rated_at__isnull=True)),
        "last_modified": Max("rated_at"),
    }


def _spend(row, currency, month) -> Spend:
    row = row or {}
    return Spend(total=row.get("total") or ZERO, usd_total=row.get("usd_total") or ZERO, currency=currency,
                 records=row.get("records") or 0, unrated=row.get("unrated") or 0,
                 last_modified=row.get("last_modified"), month=month)


def _month_rows(actor, month, **filters):
    """The actor's usage rows of `month` that are Azure plan usage: rows dated before a legacy subscription's cut-over
    (not_rated_reason 'legacy') belong to the legacy subscription, are never rated here and are left out, as on the
    Spend pages."""
    first, end = month_bounds(month)
    return (usage_for_actor(actor).filter(usage_date__gte=first, usage_date__lt=end, **filters)
            .exclude(not_rated_reason=NotRatedReason.LEGACY))


def customer_spend(*, actor, customer, month=None) -> Spend:
    """Month to date of `customer` (one aggregate over the (organisation, customer, usage_date) index)."""
    month = month or open_month()
    currency = billing_currency(customer.organisation)
    row = _month_rows(actor, month, customer_id=customer.pk).aggregate(**_aggregates(currency))
    return _spend(row, currency, month)


def customers_spend(*, actor, month=None) -> list[tuple[Customer, Spend, SpendingBudget | None]]:
    """Every customer of the actor with an Azure plan (Partner Center's customers with a usage-based subscription),
    by company name, with its month-to-date spend and budget: three queries whatever the number of customers."""
    _check(actor)
    month = month or open_month()
    customers = list(Customer.objects.for_actor(actor).filter(azure_plans__isnull=False).distinct()
                     .select_related("organisation__country").order_by("company_name", "id"))
    ids = [c.pk for c in customers]
    # The actor's customers all belong to one selling partner: one billing currency.
    currency = billing_currency(customers[0].organisation) if customers else ""
    sums = {row["customer_id"]: row for row in
            _month_rows(actor, month, customer_id__in=ids).values("customer_id").annotate(**_aggregates(currency))
            .order_by()} if ids else {}
    budgets = {b.customer_id: b for b in SpendingBudget.objects.filter(customer_id__in=ids)} if ids else {}
    return [(c, _spend(sums.get(c.pk), billing_currency(c.organisation), month), budgets.get(c.pk))
            for c in customers]


def plans_spend(*, actor, customer, month=None) -> list[tuple[AzurePlan, Spend]]:
    """The customer's Azure plans the actor sees, oldest first, each with its month-to-date spend."""
    _check(actor)
    month = month or open_month()
    plans = list(AzurePlan.objects.for_actor(actor).filter(customer=customer).select_related("reseller")
                 .order_by("created_at", "id"))
    currency = billing_currency(customer.organisation)
    sums = {row["azure_plan_id"]: row for row in
            _month_rows(actor, month, customer_id=customer.pk).values("azure_plan_id")
            .annotate(**_aggregates(currency)).order_by()}
    return [(plan, _spend(sums.get(plan.pk), currency, month)) for plan in plans]


def plan_spend(*, actor, customer, plan, month=None) -> Spend:
    month = month or open_month()
    currency = billing_currency(customer.organisation)
    row = _month_rows(actor, month, customer_id=customer.pk, azure_plan_id=plan.pk).aggregate(**_aggregates(currency))
    return _spend(row, currency, month)


def meter_spend(*, actor, customer, plan, month=None) -> list[dict]:
    """Month to date of the plan by meter (quantity, cost), by meter category, subcategory, name and id."""
    month = month or open_month()
    currency = billing_currency(customer.organisation)
    rows = (_month_rows(actor, month, customer_id=customer.pk, azure_plan_id=plan.pk)
            .values("meter_id").annotate(meter_name=Max("meter_name"), category=Max("meter_category"),
                                         subcategory=Max("meter_subcategory"), unit=Max("unit"),
                                         quantity=Coalesce(Sum("quantity"), ZERO), **_aggregates(currency))
            .order_by("category", "subcategory", "meter_name", "meter_id"))
    return [{**row, "currency": currency, "spend": _spend(row, currency, month)} for row in rows]


def resource_spend(*, actor, customer, plan, month=None) -> list[dict]:
    """Month to date of the plan by resource (Azure subscription x ResourceURI)."""
    month = month or open_month()
    currency = billing_currency(customer.organisation)
    rows = (_month_rows(actor, month, customer_id=customer.pk, azure_plan_id=plan.pk)
            .values("azure_subscription_id", "resource_uri", entitlement_id=F("azure_subscription__subscription_id"),
                    entitlement_name=F("azure_subscription__friendly_name"))
            .annotate(resource_group=Max("resource_group"), consumed_service=Max("consumed_service"),
                      **_aggregates(currency))
            .order_by("entitlement_name", "azure_subscription_id", "resource_uri"))
    return [{**row, "currency": currency, "spend": _spend(row, currency, month)} for row in rows]


def customers_forecast(*, actor, rows, month, today: dt.date | None = None) -> dict[int, Decimal | None]:
    """Each customer's forecast to the end of `month` (customer id -> unrounded amount; None for a past month or
    before the month's first complete day), by the Spend pages' method (page_selectors.forecast_window and
    ForecastWindow.project: the last 7 complete days, docs/billing.md): one aggregate over the window's days."""
    today = today or timezone.now().date()
    if month != month_start(today):
        return {customer.pk: None for customer, _spend, _budget in rows}
    window = forecast_window(organisation_id=selling_organisation_id(actor), month=month, today=today)
    if window.through is None:
        return {customer.pk: None for customer, _spend, _budget in rows}
    ids = [customer.pk for customer, _spend, _budget in rows]
    currency = billing_currency(Organisation.objects.select_related("country").get(pk=selling_organisation_id(actor)))
    total = _aggregates(currency)["total"]  # the billing currency's rows only, as the month to date
    sums = dict(_month_rows(actor, month, customer_id__in=ids).filter(usage_date__range=(window.first, window.through))
                .values("customer_id").annotate(s=total).order_by().values_list("customer_id", "s")
                ) if ids else {}
    return {customer.pk: window.project(spend.total, sums.get(customer.pk, ZERO)) for customer, spend, _b in rows}


def percent_used(spend: Spend, budget: SpendingBudget | None) -> Decimal:
    """Month to date as a percentage of the budget, 2 decimals (0 without a budget, or with a budget of 0)."""
    if budget is None or budget.amount is None or budget.amount <= 0:
        return ZERO
    return (spend.total * 100 / budget.amount).quantize(Decimal("0.01"))


def partner_summary(*, actor, month=None) -> dict:
    """PartnerUsageSummary: the actor's month to date over all its customers, how many are over budget (spend past
    100 %) or trending over (the Spend pages' forecast to month end above the budget, not over yet), and who gets the
    alerts."""
    from .budgets import alert_recipients

    _check(actor)
    month = month or open_month()
    organisation = Organisation.objects.select_related("country").get(pk=actor.organisation_id)
    rows = customers_spend(actor=actor, month=month)
    forecasts = customers_forecast(actor=actor, rows=rows, month=month)
    statuses = [budget_status(spend.total, forecasts[customer.pk], budget.amount if budget else None)
                for customer, spend, budget in rows]
    over, trending = statuses.count("over"), statuses.count("trending")
    seller = organisation if actor.tier != "indirect_reseller" else (
        Organisation.objects.select_related("country").get(pk=selling_organisation_id(actor)))
    currency = billing_currency(seller)
    total = _month_rows(actor, month).aggregate(**_aggregates(currency))
    return {
        "organisation": organisation,
        "spend": _spend(total, currency, month),
        "customers_over_budget": over,
        "customers_trending_over": trending,
        "customers_with_usage": len(rows),
        "emails_to_notify": [user.email for user in alert_recipients(organisation.pk)],
    }


def budget_get(*, actor, customer) -> SpendingBudget | None:
    _check(actor)
    return SpendingBudget.objects.filter(customer=customer).first()


# ---------------------------------------------------------------- unbilled daily rated usage


def period_month(*, actor, period: str, today: dt.date | None = None) -> dt.date | None:
    """The month of Partner Center's unbilled `period`: current = the open month; previous = the month before until
    its invoice closes it (ClosedUsageMonth): None then, nothing of it is unbilled any more."""
    month = open_month(today)
    if period == "current":
        return month
    month = previous_month(month)
    if ClosedUsageMonth.objects.filter(organisation_id=selling_organisation_id(actor), month=month).exists():
        return None
    return month


def unbilled_line_items(*, actor, month, currency, has_pec=None):
    """The rated usage rows of `month` billed in `currency` (the month's unbilled daily rated usage), as dicts of
    LINE_ITEM_FIELDS; page them with core.api.pagination.seek_page(ordering=LINE_ITEM_ORDERING): the primary key
    (organisation_id, usage_date, id) of the month's partition serves every page, the deepest too. Rows not rated yet
    are not line items (they are once rating has run). `has_pec`: only the rows with (True) or without (False)
    partner earned credit."""
    _check(actor)
    if month is None:
        return UsageRecord.objects.none().values(*LINE_ITEM_FIELDS)
    rows = _month_rows(actor, month, rated_at__isnull=False, billing_currency=currency)
    if has_pec is True:
        rows = rows.filter(pec_percentage__gt=0)
    elif has_pec is False:
        rows = rows.filter(pec_percentage=0)
    return rows.values(*LINE_ITEM_FIELDS)


def line_item_context(rows) -> dict:
    """What the line items of a page name besides their own columns: the partners (PartnerId, name, MPN ID) and the
    resellers of record (ResellerMPNID), in one query for the page."""
    ids = {row["organisation_id"] for row in rows} | {row["reseller_id"] for row in rows if row["reseller_id"]}
    organisations = {o["pk"]: o for o in Organisation.objects.filter(pk__in=ids)
                     .values("pk", "tenant_id", "name", "partner_id")} if ids else {}
    return {"organisations": organisations}


def _iso_day(day) -> str:
    return f"{day:%Y-%m-%d}T00:00:00Z" if day else ""


def _rate(pec) -> Decimal:
    return (pec or ZERO) / 100


def line_item(row, context) -> dict:
    """One DailyRatedUsageLineItem (api.md §16.5), every field, Microsoft's names."""
    organisations = context["organisations"]
    partner = organisations.get(row["organisation_id"], {})
    reseller = organisations.get(row["reseller_id"], {}) if row["reseller_id"] else {}
    month = month_start(row["usage_date"])
    pec = row["pec_percentage"] or ZERO
    return {
        "partnerId": str(partner.get("tenant_id", "")),
        "partnerName": partner.get("name", ""),
        "customerId": str(row["customer__tenant_id"]),
        "customerName": row["customer__company_name"],
        "customerDomainName": row["customer__domain"],
        "customerCountry": row["customer__country_id"] or "",
        "invoiceNumber": "",
        "mpnId": partner.get("partner_id", ""),
        "resellerMpnId": reseller.get("partner_id", ""),
        "productId": row["product_id"],
        "skuId": row["sku_id"],
        "availabilityId": row["availability_id"],
        "skuName": row["sku_name"],
        "productName": row["product_name"],
        "publisherName": row["publisher_name"],
        "publisherId": row["publisher_id"],
        "subscriptionId": str(row["azure_plan__public_id"]),
        "subscriptionDescription": row["azure_plan__friendly_name"],
        "chargeStartDate": _iso_day(month),
        "chargeEndDate": _iso_day(next_month(month)),
        "usageDate": _iso_day(row["usage_date"]),
        "meterType": row["meter_type"],
        "meterCategory": row["meter_category"],
        "meterId": row["meter_id"],
        "meterSubCategory": row["meter_subcategory"],
        "meterName": row["meter_name"],
        "meterRegion": row["meter_region"],
        "unitOfMeasure": row["unit"],
        "resourceLocation": row["resource_location"],
        "consumedService": row["consumed_service"],
        "resourceGroup": row["resource_group"],
        "resourceUri": row["resource_uri"],
        "tags": row["tags"],
        "additionalInfo": row["additional_info"],
        "serviceInfo1": row["service_info1"],
        "serviceInfo2": row["service_info2"],
        "chargeType": row["charge_type"],
        "unitPrice": row["unit_price"] if row["unit_price"] is not None else ZERO,
        "quantity": row["quantity"],
        "unitType": row["unit_type"],
        "billingPreTaxTotal": row["billing_pre_tax_total"] if row["billing_pre_tax_total"] is not None else ZERO,
        "billingCurrency": row["billing_currency"],
        "pricingPreTaxTotal": row["pricing_pre_tax_total"] if row["pricing_pre_tax_total"] is not None else ZERO,
        "pricingCurrency": row["pricing_currency"],
        "entitlementId": str(row["azure_subscription__subscription_id"]),
        "entitlementDescription": row["azure_subscription__friendly_name"],
        "pcToBCExchangeRate": row["exchange_rate"] if row["exchange_rate"] is not None else ZERO,
        "pcToBCExchangeRateDate": _iso_day(row["exchange_rate_date"]),
        "effectiveUnitPrice": row["effective_unit_price"] if row["effective_unit_price"] is not None else ZERO,
        "rateOfPartnerEarnedCredit": _rate(pec),
        "hasPartnerEarnedCredit": pec > 0,
        "rateOfCredit": _rate(pec),
        "creditType": PEC_CREDIT if pec > 0 else NO_CREDIT,
        "benefitOrderId": row["benefit_order_id"],
        "benefitId": row["benefit_id"],
        "benefitType": row["benefit_type"] or "Charge",
        "invoiceLineItemType": "usage_line_items",
        "billingProvider": "marketplace",
        "attributes": {"objectType": "DailyRatedUsageLineItem"},
    }


def _number(value) -> str:
    """A Decimal as the file writes it: plain digits, no exponent, no trailing zeros (2 decimals stay 2)."""
    if value is None:
        return ""
    if value == value.to_integral_value():
        return str(value.quantize(Decimal(1)))
    return format(value.normalize(), "f")


def _csv_row(item) -> list:
    day = lambda text: text[:10]  # noqa: E731 - ISO day of a line item's date
    return [
        item["partnerId"], item["partnerName"], item["customerId"], item["customerName"],
        item["customerDomainName"], item["customerCountry"], item["mpnId"], item["resellerMpnId"],
        item["invoiceNumber"], item["productId"], item["skuId"], item["availabilityId"], item["skuName"],
        item["productName"], item["publisherName"], item["publisherId"], item["subscriptionDescription"],
        item["subscriptionId"], day(item["chargeStartDate"]), day(item["chargeEndDate"]), day(item["usageDate"]),
        item["meterType"], item["meterCategory"], item["meterId"], item["meterSubCategory"], item["meterName"],
        item["meterRegion"], item["unitOfMeasure"], item["resourceLocation"], item["consumedService"],
        item["resourceGroup"], item["resourceUri"], item["chargeType"], _number(item["unitPrice"]),
        _number(item["quantity"]), item["unitType"], _number(item["billingPreTaxTotal"]), item["billingCurrency"],
        _number(item["pricingPreTaxTotal"]), item["pricingCurrency"], item["serviceInfo1"], item["serviceInfo2"],
        item["tags"], item["additionalInfo"], _number(item["effectiveUnitPrice"]),
        _number(item["pcToBCExchangeRate"]), day(item["pcToBCExchangeRateDate"]), item["entitlementId"],
        item["entitlementDescription"], _number(item["rateOfPartnerEarnedCredit"] * 100),
        _number(item["rateOfCredit"] * 100), item["creditType"], item["benefitOrderId"], item["benefitId"],
        item["benefitType"],
    ]


CSV_CHUNK_ROWS = 2000


def unbilled_line_items_csv(*, actor, month, currency, has_pec=None) -> Iterator[bytes]:
    """The same rows as unbilled_line_items in the daily rated usage file's columns (domain.md §4.3): a header line,
    then one line per row, streamed from a server-side cursor in chunks of CSV_CHUNK_ROWS rows (memory stays flat
    whatever the month's size; cells pass through core.csv, so no cell is read as a spreadsheet formula)."""
    rows = unbilled_line_items(actor=actor, month=month, currency=currency, has_pec=has_pec)
    rows = rows.order_by(*LINE_ITEM_ORDERING)

    def generate():
        buffer = io.StringIO()
        writer = safe_csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(DAILY_RATED_USAGE_COLUMNS)
        yield buffer.getvalue().encode("utf-8")
        chunk = []
        for row in rows.iterator(chunk_size=CSV_CHUNK_ROWS):
            chunk.append(row)
            if len(chunk) == CSV_CHUNK_ROWS:
                yield _csv_chunk(chunk)
                chunk = []
        if chunk:
            yield _csv_chunk(chunk)

    return generate()


def _csv_chunk(rows) -> bytes:
    context = line_item_context(rows)
    buffer = io.StringIO()
    writer = safe_csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow(_csv_row(line_item(row, context)))
    return buffer.getvalue().encode("utf-8")
