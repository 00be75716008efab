"""Partner Center's invoice shapes (api.md §16.1, §16.4): Invoice, InvoiceDetail, InvoiceSummary, the estimate links and
OneTimeInvoiceLineItem. The views build the answers as plain dicts (the functions below: a page of 2,000 line items
is written without a serializer per field); the serializers document the same shapes in the OpenAPI schema, and
tests/openapi_check.py holds every answer of the API tests to them."""

import functools
from decimal import Decimal

from drf_spectacular.utils import PolymorphicProxySerializer
from rest_framework import serializers

from core.api.serializers import link

from ...models import DocumentType
from ...rating.api.serializers import DailyRatedUsageLineItemSerializer, _Attributes

NO_DATE = "0001-01-01T00:00:00"  # Partner Center's "never" (lastPaymentDate of a summary without payments)
# Partner Center's documentType values (api.md §16.1, its samples): a credit note here corrects lines of an invoice,
# Microsoft's adjustment note.
DOCUMENT_TYPES = {DocumentType.INVOICE: "invoice", DocumentType.CREDIT_NOTE: "adjustment_note"}


@functools.cache
def currency_symbols() -> dict:
    from azureplan.catalog.loader import read_catalog

    return dict(read_catalog().get("currencySymbols", {}))


def currency_symbol(code) -> str:
    return currency_symbols().get(code, code)


def iso_day(day) -> str:
    return f"{day:%Y-%m-%d}T00:00:00Z" if day else ""


def plain(value) -> str:
    """A Decimal as Microsoft's recon line items write it (a string): no exponent, no trailing zeros."""
    if value is None:
        return "0"
    value = Decimal(value)
    if value == value.to_integral_value():
        return str(value.quantize(Decimal(1)))
    return format(value.normalize(), "f")


def wire_id(invoice) -> str:
    """The id in Partner Center's links: `OneTime-G000000001` (the route takes it with or without the prefix)."""
    return f"OneTime-{invoice.number}"


def invoice_details(invoice) -> list[dict]:
    """The invoice's line-item collections: its billing line items (the reconciliation lines) and, for an invoice,
    its billed daily rated usage."""
    details = [{"invoiceLineItemType": "billing_line_items", "billingProvider": "one_time",
                "links": {"self": link(f"/invoices/{wire_id(invoice)}/lineitems/OneTime/BillingLineItems")},
                "attributes": {"objectType": "InvoiceDetail"}}]
    if invoice.document_type == DocumentType.INVOICE:
        details.append({"invoiceLineItemType": "usage_line_items", "billingProvider": "one_time",
                        "links": {"self": link(f"/invoices/{invoice.number}/lineitems?provider=onetime"
                                               f"&invoicelineitemtype=usagelineitems&currencycode={invoice.currency}"
                                               "&period=previous&size=2000")},
                        "attributes": {"objectType": "InvoiceDetail"}})
    return details


def pdf_link(invoice) -> str:
    """The PDF's address relative to /v1, as Partner Center writes it (and its links' `uri`)."""
    return f"/invoices/{invoice.number}/documents/statement"


def invoice_resource(invoice, *, paid: dict, amendments: dict | None) -> dict:
    """One Invoice: `paid` {invoice pk: allocated}, `amendments` {invoice pk: [credit notes]} (None: not listed, as
    in an amendment). paidAmount is negative (money received reduces what is owed), as Partner Center shows a
    payment. dueDate (an extension) is null for a credit note: nothing is due on it."""
    body = {
        "id": invoice.number,
        "invoiceDate": iso_day(invoice.invoice_date),
        "billingPeriodStartDate": iso_day(invoice.period_start),
        "billingPeriodEndDate": iso_day(invoice.period_end),
        "totalCharges": invoice.total_amount,
        "paidAmount": -paid[invoice.pk] if paid.get(invoice.pk) else Decimal("0"),
        "currencyCode": invoice.currency,
        "currencySymbol": currency_symbol(invoice.currency),
        "pdfDownloadLink": pdf_link(invoice),
        "taxReceipts": [],
        "invoiceDetails": invoice_details(invoice),
        "documentType": DOCUMENT_TYPES[invoice.document_type],
        "amendsOf": invoice.amends_of.number if invoice.amends_of_id else None,
        "invoiceType": "OneTime",
        "status": invoice.status,
        "dueDate": (iso_day(invoice.due_date) or None) if invoice.document_type == DocumentType.INVOICE else None,
        "links": {"self": link(f"/invoices/{wire_id(invoice)}")},
        "attributes": {"objectType": "Invoice"},
    }
    if amendments is not None:
        body["amendments"] = [invoice_resource(note, paid=paid, amendments=None)
                              for note in amendments.get(invoice.pk, [])]
    return body


def _summary_body(row, *, accounting_date) -> dict:
    return {
        "balanceAmount": row["balance"],
        "currencyCode": row["currency"],
        "currencySymbol": currency_symbol(row["currency"]),
        "accountingDate": iso_day(accounting_date),
        "firstInvoiceCreationDate": iso_day(row["first_invoice_date"]) or NO_DATE,
        "lastPaymentDate": iso_day(row["last_payment_date"]) or NO_DATE,
        "lastPaymentAmount": row["last_payment_amount"],
        "latestInvoiceDate": iso_day(row["latest_invoice_date"]) or NO_DATE,
        "invoiceCount": row["count"],
    }


def invoice_summary(row, *, accounting_date) -> dict:
    """One InvoiceSummary of a currency (billing.invoicing.reads.summaries row), with its one `details` entry:
    every invoice here is OneTime (new commerce)."""
    body = _summary_body(row, accounting_date=accounting_date)
    detail = {**body, "attributes": {"objectType": "InvoiceSummary"}}
    return {**body, "details": [{"invoiceType": "OneTime", "summary": detail}],
            "links": {"self": link("/invoices/summary")}, "attributes": {"objectType": "InvoiceSummary"}}


def estimate_links(currency) -> list[dict]:
    """The unbilled routes of the open (Current) and the previous month (Previous), as Partner Center lists them."""
    items = []
    for kind, title, description, query in (
        ("daily_rated_usage", "Daily rated usage unbilled",
         "This invoice line items includes unbilled consumption based data only.",
         "provider=onetime&invoicelineitemtype=usagelineitems"),
        ("non_consumption", "Unbilled reconciliation line items",
         "This includes reconciliation line items for unbilled data only.",
         "provider=onetime&invoicelineitemtype=billinglineitems"),
    ):
        for period in ("Current", "Previous"):
            items.append({"type": kind, "title": title, "description": description, "period": period,
                          "link": link(f"/invoices/unbilled/lineitems?{query}&currencycode={currency}"
                                       f"&period={period.lower()}&size=2000")})
    return items


def onetime_line_item(row, partners: dict) -> dict:
    """One OneTimeInvoiceLineItem (api.md §16.4, the invoice reconciliation file's columns of domain.md §4.4) of a
    billed line (billing.invoicing.reads.BILLING_LINE_FIELDS) or an unbilled one (invoiceNumber empty). Numbers are
    strings, as Microsoft's samples print them. `partners`: {organisation pk: {tenant_id, partner_id}}."""
    partner = partners.get(row["organisation_id"], {})
    reseller = partners.get(row["reseller_id"], {}) if row["reseller_id"] else {}
    order_created = row.get("azure_plan__order__created_at")
    plan_created = row.get("azure_plan__created_at")
    return {
        "partnerId": str(partner.get("tenant_id", "")),
        "customerId": str(row["customer__tenant_id"]),
        "customerName": row["customer__company_name"],
        "customerDomainName": row["customer__domain"],
        "customerCountry": row["customer__country_id"] or "",
        "invoiceNumber": row["invoice__number"] or "",
        "mpnId": partner.get("partner_id", ""),
        "resellerMpnId": reseller.get("partner_id", ""),
        "orderId": str(row.get("azure_plan__order__public_id") or ""),
        "orderDate": order_created.isoformat().replace("+00:00", "Z") if order_created else "",
        "productId": row["product_id"],
        "skuId": row["sku_id"],
        "availabilityId": row["availability_id"],
        "productName": row["product_name"],
        "skuName": row["sku_name"],
        "productQualifiers": [],
        "chargeType": row["charge_type"],
        "unitPrice": plain(row["unit_price"]),
        "effectiveUnitPrice": plain(row["effective_unit_price"]),
        "unitType": row["unit_type"],
        "quantity": plain(row["quantity"]),
        "subtotal": plain(row["subtotal"]),
        "taxTotal": plain(row["tax_total"]),
        "totalForCustomer": plain(row["total"]),
        "currency": row["currency"],
        "publisherName": row["publisher_name"],
        "publisherId": row["publisher_id"],
        "subscriptionDescription": row["azure_plan__friendly_name"],
        "subscriptionId": str(row["azure_plan__public_id"]),
        "subscriptionStartDate": iso_day(plan_created.date()) if plan_created else "",
        "subscriptionEndDate": "",
        "chargeStartDate": iso_day(row["charge_start_date"]),
        "chargeEndDate": iso_day(row["charge_end_date"]),
        "termAndBillingCycle": "",
        "alternateId": row.get("azure_plan__order__alternate_id") or "",
        "referenceId": row.get("amends_line__invoice__number") or "",
        "priceAdjustmentDescription": row["price_adjustment_description"],
        "discountDetails": "",
        "pricingCurrency": row["pricing_currency"],
        "pcToBCExchangeRate": plain(row["exchange_rate"]),
        "pcToBCExchangeRateDate": iso_day(row["exchange_rate_date"]),
        "billableQuantity": plain(row["billable_quantity"]),
        "meterDescription": row["meter_name"],
        "meterId": row["meter_id"],
        "billingFrequency": "",
        "reservationOrderId": "",
        "creditReasonCode": "Credit Note" if row["invoice__document_type"] == DocumentType.CREDIT_NOTE else "",
        "promotionId": "",
        "invoiceLineItemType": "billing_line_items",
        "billingProvider": "one_time",
        **({"lineId": str(row["id"])} if row.get("id") and row.get("invoice__number") else {}),
        "attributes": {"objectType": "OneTimeInvoiceLineItem"},
    }


# ---------------------------------------------------------------- the schema


def _money(**kwargs):
    return serializers.DecimalField(max_digits=40, decimal_places=18, coerce_to_string=False, **kwargs)


class _Link(serializers.Serializer):
    uri = serializers.CharField()
    method = serializers.CharField()
    headers = serializers.ListField(child=serializers.DictField())


class _SelfLinks(serializers.Serializer):
    self = _Link()


class InvoiceDetailSerializer(serializers.Serializer):
    invoiceLineItemType = serializers.CharField(help_text="billing_line_items or usage_line_items")
    billingProvider = serializers.CharField(help_text="one_time")
    links = _SelfLinks()
    attributes = _Attributes()


class TaxReceiptSerializer(serializers.Serializer):
    id = serializers.CharField()
    taxReceiptPdfDownloadLink = serializers.CharField()


class InvoiceAmendmentSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="The invoice number, e.g. G000000001")
    invoiceDate = serializers.CharField()
    billingPeriodStartDate = serializers.CharField()
    billingPeriodEndDate = serializers.CharField()
    totalCharges = _money(help_text="The document's total (negative for a credit note)")
    paidAmount = _money(help_text="Minus the payments allocated to it")
    currencyCode = serializers.CharField()
    currencySymbol = serializers.CharField()
    pdfDownloadLink = serializers.CharField(help_text="The PDF's address relative to /v1 (/invoices/{id}/documents/"
                                                      "statement)")
    taxReceipts = TaxReceiptSerializer(many=True, help_text="Always empty: no tax receipts are issued here")
    invoiceDetails = InvoiceDetailSerializer(many=True)
    documentType = serializers.ChoiceField(choices=list(DOCUMENT_TYPES.values()))
    amendsOf = serializers.CharField(allow_null=True, help_text="A credit note: the invoice it corrects")
    invoiceType = serializers.CharField(help_text="OneTime (new commerce)")
    status = serializers.CharField(help_text="Extension: finalized, paid or void")
    dueDate = serializers.CharField(allow_null=True, help_text="Extension: the invoice date + 60 days (net 60); "
                                                               "null for a credit note")
    links = _SelfLinks()
    attributes = _Attributes()


class InvoiceSerializer(InvoiceAmendmentSerializer):
    amendments = InvoiceAmendmentSerializer(many=True, help_text="The credit notes that amend this invoice")


class _SummaryFields(serializers.Serializer):
    balanceAmount = _money(help_text="Invoices - credit notes - payments allocated to them")
    currencyCode = serializers.CharField()
    currencySymbol = serializers.CharField()
    accountingDate = serializers.CharField()
    firstInvoiceCreationDate = serializers.CharField()
    lastPaymentDate = serializers.CharField()
    lastPaymentAmount = _money()
    latestInvoiceDate = serializers.CharField()
    invoiceCount = serializers.IntegerField(help_text="Extension: the issued invoices and credit notes counted")


class InvoiceSummaryDetailBodySerializer(_SummaryFields):
    attributes = _Attributes()


class InvoiceSummaryDetailSerializer(serializers.Serializer):
    invoiceType = serializers.CharField()
    summary = InvoiceSummaryDetailBodySerializer()


class InvoiceSummarySerializer(_SummaryFields):
    details = InvoiceSummaryDetailSerializer(many=True)
    links = _SelfLinks()
    attributes = _Attributes()


class EstimateLinkSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="daily_rated_usage or non_consumption")
    title = serializers.CharField()
    description = serializers.CharField()
    period = serializers.CharField(help_text="Current or Previous")
    link = _Link()


class OneTimeInvoiceLineItemSerializer(serializers.Serializer):
    partnerId = serializers.CharField(allow_blank=True)
    customerId = serializers.CharField()
    customerName = serializers.CharField(allow_blank=True)
    customerDomainName = serializers.CharField(allow_blank=True)
    customerCountry = serializers.CharField(allow_blank=True)
    invoiceNumber = serializers.CharField(allow_blank=True, help_text="Empty for unbilled lines")
    mpnId = serializers.CharField(allow_blank=True)
    resellerMpnId = serializers.CharField(allow_blank=True)
    orderId = serializers.CharField(allow_blank=True, help_text="The order that bought the Azure plan")
    orderDate = serializers.CharField(allow_blank=True)
    productId = serializers.CharField()
    skuId = serializers.CharField()
    availabilityId = serializers.CharField(allow_blank=True)
    productName = serializers.CharField(allow_blank=True)
    skuName = serializers.CharField(allow_blank=True)
    productQualifiers = serializers.ListField(child=serializers.CharField())
    chargeType = serializers.CharField(allow_blank=True)
    unitPrice = serializers.CharField()
    effectiveUnitPrice = serializers.CharField()
    unitType = serializers.CharField(allow_blank=True)
    quantity = serializers.CharField()
    subtotal = serializers.CharField()
    taxTotal = serializers.CharField()
    totalForCustomer = serializers.CharField()
    currency = serializers.CharField()
    publisherName = serializers.CharField(allow_blank=True)
    publisherId = serializers.CharField(allow_blank=True)
    subscriptionDescription = serializers.CharField(allow_blank=True)
    subscriptionId = serializers.CharField(help_text="The Azure plan's subscription id")
    subscriptionStartDate = serializers.CharField(allow_blank=True)
    subscriptionEndDate = serializers.CharField(allow_blank=True)
    chargeStartDate = serializers.CharField()
    chargeEndDate = serializers.CharField()
    termAndBillingCycle = serializers.CharField(allow_blank=True)
    alternateId = serializers.CharField(allow_blank=True)
    referenceId = serializers.CharField(allow_blank=True, help_text="A credit note's line: the invoice it corrects")
    priceAdjustmentDescription = serializers.CharField(allow_blank=True)
    discountDetails = serializers.CharField(allow_blank=True)
    pricingCurrency = serializers.CharField()
    pcToBCExchangeRate = serializers.CharField()
    pcToBCExchangeRateDate = serializers.CharField(allow_blank=True)
    billableQuantity = serializers.CharField()
    meterDescription = serializers.CharField(allow_blank=True)
    meterId = serializers.CharField(help_text="Extension: the Azure meter id")
    billingFrequency = serializers.CharField(allow_blank=True)
    reservationOrderId = serializers.CharField(allow_blank=True)
    creditReasonCode = serializers.CharField(allow_blank=True)
    promotionId = serializers.CharField(allow_blank=True)
    invoiceLineItemType = serializers.CharField()
    billingProvider = serializers.CharField()
    attributes = _Attributes()


@functools.cache
def line_items_schema(name):
    """A seek-paged collection of OneTimeInvoiceLineItem (billinglineitems) or DailyRatedUsageLineItem
    (usagelineitems)."""
    from drf_spectacular.utils import inline_serializer

    item = PolymorphicProxySerializer(component_name=f"{name}Item", resource_type_field_name=None, many=True,
                                      serializers=[OneTimeInvoiceLineItemSerializer,
                                                   DailyRatedUsageLineItemSerializer])
    return inline_serializer(name, fields={
        "totalCount": serializers.IntegerField(), "items": item, "links": serializers.DictField(),
        "continuationToken": serializers.CharField(required=False), "attributes": serializers.DictField()})
