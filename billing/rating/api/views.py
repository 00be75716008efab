"""Azure spending (api.md §15) and the unbilled daily rated usage line items (api.md §16.3, §16.5) in Partner Center's
shapes. Views parse the request and call billing.rating.spend (reads) and billing.rating.budgets (the budget write);
the customer is found first (foreign, unknown or malformed id: 404/1000), then the Azure plan under it (404/20003)."""

import re

from django.http import StreamingHttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework.response import Response

from accounts.permissions import Perm
from core.api.pagination import collection, relative_uri, seek_page
from core.api.schema import CONTINUATION, IDEMPOTENCY_KEY, IF_MATCH, REQUEST_ID, SEEK, collection_schema, pc_schema
from core.api.views import PCAPIView
from core.errors import InvalidInput
from core.money import is_currency

from ...errors import LineItemsNotSupported
from ...pricing.api.views import AnyAcceptNegotiation
from .. import budgets, spend
from . import serializers as s

SPEND_TAGS = ["Azure spending"]
LINE_ITEM_TAGS = ["Invoices: unbilled daily rated usage"]
CUSTOMER_ID = OpenApiParameter("customer_id", str, OpenApiParameter.PATH, description="The customer's tenant id")
PLAN_ID = OpenApiParameter("plan_id", str, OpenApiParameter.PATH,
                           description="The Azure plan's subscription id (Partner Center's plan-id)")
LINE_ITEM_SIZE = 2000

LINE_ITEM_PARAMETERS = [
    OpenApiParameter("provider", str, required=True, description="onetime (Azure plan consumption)"),
    OpenApiParameter("invoicelineitemtype", str, required=True,
                     description="usagelineitems (billinglineitems: 400/800042, not served yet)"),
    OpenApiParameter("currencycode", str, required=True, description="The billing currency, ISO 4217 (e.g. USD)"),
    OpenApiParameter("period", str, required=True,
                     description="current: the open month; previous: the month before, until it is invoiced"),
    OpenApiParameter("hasPartnerEarnedCredit", bool, required=False,
                     description="true: only rows with partner earned credit; false: only rows without"),
]


def _params(request) -> dict:
    return {key.lower(): value for key, value in request.query_params.items()}


def _token(value) -> str:
    return re.sub(r"[\s_-]", "", str(value or "")).lower()


def check_currency(raw, default=None) -> str:
    """`currencycode`: an ISO 4217 code (core.money's table), any case; `default` when it is left out. A code that is
    no currency is a 400 naming it, not an empty answer."""
    currency = (raw or "").strip().upper() or (default or "")
    if not currency:
        raise InvalidInput(_("currencycode is required: an ISO 4217 code such as USD."), field="currencycode")
    if not is_currency(currency):
        raise InvalidInput(_("currencycode “%(code)s” is not an ISO 4217 currency code such as USD.")
                           % {"code": currency[:12]}, field="currencycode")
    return currency


def line_item_query(request, actor) -> dict:
    """The line-item query's parameters, checked: provider, invoicelineitemtype, currencycode, period and
    hasPartnerEarnedCredit (names and values in any case, as Partner Center matches them)."""
    params = _params(request)
    provider = _token(params.get("provider"))
    if not provider:
        raise InvalidInput(_("provider is required (onetime)."), field="provider")
    if provider in ("azure", "office", "marketplace"):
        raise LineItemsNotSupported(_("provider=%(provider)s: the legacy providers' line items are not served by "
                                      "this portal; Azure plan consumption is provider=onetime.")
                                    % {"provider": params["provider"]}, parameters={"field": "provider"})
    if provider != "onetime":
        raise InvalidInput(_("provider must be onetime."), field="provider")
    kind = _token(params.get("invoicelineitemtype"))
    if kind == "billinglineitems":
        raise LineItemsNotSupported(_("invoicelineitemtype=billinglineitems is answered by /v1/invoices/unbilled/"
                                      "lineitems; this view serves the daily rated usage (usagelineitems)."),
                                    parameters={"field": "invoicelineitemtype"})
    if kind != "usagelineitems":
        raise InvalidInput(_("invoicelineitemtype must be billinglineitems or usagelineitems."),
                           field="invoicelineitemtype")
    currency = check_currency(params.get("currencycode"))
    period = _token(params.get("period"))
    if period not in ("current", "previous"):
        raise InvalidInput(_("period is required: current or previous."), field="period")
    raw_pec = _token(params.get("haspartnerearnedcredit"))
    if raw_pec in ("",):
        has_pec = None
    elif raw_pec in ("true", "false"):
        has_pec = raw_pec == "true"
    else:
        raise InvalidInput(_("hasPartnerEarnedCredit must be true or false."), field="hasPartnerEarnedCredit")
    return {"currency": currency, "month": spend.period_month(actor=actor, period=period), "has_pec": has_pec,
            "period": period}


class UnbilledLineItemsView(PCAPIView):
    required_permissions = {"GET": Perm.VIEW_SPEND}

    @pc_schema(ok=collection_schema("DailyRatedUsageLineItemCollection", s.DailyRatedUsageLineItemSerializer,
                                    paged=True),
               errors=(400, 401, 403, 429),
               parameters=[*LINE_ITEM_PARAMETERS,
                           OpenApiParameter("size", int, description="Page size, 1-2000 (default 2000)"),
                           SEEK, CONTINUATION],
               summary="Unbilled daily rated usage line items (Azure plan consumption)", tags=LINE_ITEM_TAGS,
               description="Partner Center's `DailyRatedUsageLineItem`s of the open month (`period=current`) or of "
                           "the month before until it is invoiced (`period=previous`), in the billing currency "
                           "`currencycode`: rated rows only (a row is a line item once rating has run). Seek paging: "
                           "repeat `links.next.uri` (`seekOperation=Next`) with the `MS-ContinuationToken` header. "
                           "`invoicelineitemtype=billinglineitems` and the legacy providers: 400/800042.",
               operation_id="invoices_unbilled_lineitems_list")
    def get(self, request):
        actor = self.actor(request)
        query = line_item_query(request, actor)
        rows = spend.unbilled_line_items(actor=actor, month=query["month"], currency=query["currency"],
                                         has_pec=query["has_pec"])
        scope = ["unbilled-usage", actor.organisation_id, query["currency"], str(query["month"]), query["has_pec"]]
        page, token = seek_page(request, rows, ordering=spend.LINE_ITEM_ORDERING, scope=scope,
                                default_size=LINE_ITEM_SIZE, max_size=LINE_ITEM_SIZE)
        context = spend.line_item_context(page)
        items = [spend.line_item(row, context) for row in page]
        return Response(collection(items, request, next_token=token))


class UnbilledLineItemsCsvView(PCAPIView):
    required_permissions = {"GET": Perm.VIEW_SPEND}
    content_negotiation_class = AnyAcceptNegotiation

    @pc_schema(ok=OpenApiResponse(OpenApiTypes.BINARY, description="text/csv: the daily rated usage file"),
               errors=(400, 401, 403, 429), parameters=LINE_ITEM_PARAMETERS,
               summary="Extension: the unbilled daily rated usage as a CSV download", tags=LINE_ITEM_TAGS,
               description="The same rows as `/v1/invoices/unbilled/lineitems` with the same parameters, in the "
                           "columns of Microsoft's daily rated usage file (domain.md §4.3), streamed (`text/csv`, "
                           "attachment). Dates as YYYY-MM-DD; PartnerEarnedCreditPercentage 0 or 15.",
               operation_id="invoices_unbilled_lineitems_csv")
    def get(self, request):
        actor = self.actor(request)
        query = line_item_query(request, actor)
        chunks = spend.unbilled_line_items_csv(actor=actor, month=query["month"], currency=query["currency"],
                                               has_pec=query["has_pec"])
        response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
        name = f"DailyRatedUsage_unbilled_{query['period']}_{query['currency']}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


# ---------------------------------------------------------------- Azure spending


class SpendView(PCAPIView):
    required_permissions = {"GET": Perm.VIEW_SPEND}

    def customer(self, request, customer_id):
        return spend.customer_get(actor=self.actor(request), tenant_id=customer_id)

    def plan(self, request, customer, plan_id):
        return spend.plan_get(actor=self.actor(request), customer=customer, plan_id=plan_id)


class PartnerUsageSummaryView(SpendView):
    @pc_schema(ok=s.PartnerUsageSummarySerializer, errors=(401, 403, 429),
               summary="The partner's usage summary (Azure plan consumption included: extension)", tags=SPEND_TAGS,
               description="Partner Center's PartnerUsageSummary. Month to date of every customer of the caller; "
                           "`customersOverBudget` (spend past the budget), `customersTrendingOver` (the month-end "
                           "forecast at or over it), `emailsToNotify` (who gets the budget alerts). Partner Center "
                           "leaves Azure plan consumption out of it; here it is all there is (extension).",
               operation_id="usagesummary_retrieve")
    def get(self, request):
        summary = spend.partner_summary(actor=self.actor(request))
        return Response(s.partner_summary(summary, uri=relative_uri(request)))


class CustomerUsageRecordsView(SpendView):
    @pc_schema(ok=collection_schema("CustomerMonthlyUsageRecordCollection", s.CustomerMonthlyUsageRecordSerializer),
               errors=(401, 403, 429), summary="Every customer's month-to-date Azure spending", tags=SPEND_TAGS,
               description="CustomerMonthlyUsageRecord of each customer with an Azure plan, by company name "
                           "(unpaged, as Partner Center).",
               operation_id="customers_usagerecords_list")
    def get(self, request):
        rows = spend.customers_spend(actor=self.actor(request))
        items = [s.customer_record(customer, total, budget) for customer, total, budget in rows]
        return Response(collection(items, request))


class CustomerUsageSummaryView(SpendView):
    @pc_schema(ok=s.CustomerUsageSummarySerializer, errors=(401, 403, 404, 429), parameters=[CUSTOMER_ID],
               summary="A customer's month-to-date Azure spending and budget", tags=SPEND_TAGS,
               operation_id="customers_usagesummary_retrieve")
    def get(self, request, customer_id):
        actor = self.actor(request)
        customer = self.customer(request, customer_id)
        total = spend.customer_spend(actor=actor, customer=customer)
        budget = spend.budget_get(actor=actor, customer=customer)
        return Response(s.customer_summary(customer, total, budget, uri=relative_uri(request)))


class CustomerBudgetView(SpendView):
    required_permissions = {"GET": Perm.VIEW_SPEND, "PATCH": Perm.SET_SPENDING_BUDGET}

    def _body(self, request, customer, budget, method):
        return s.budget_resource(customer, budget, uri=relative_uri(request), method=method,
                                 etag=budgets.budget_etag(customer, budget),
                                 currency=spend.billing_currency(customer.organisation))

    @pc_schema(ok=s.SpendingBudgetResourceSerializer, errors=(401, 403, 404, 429), parameters=[CUSTOMER_ID],
               summary="A customer's monthly Azure spending budget", tags=SPEND_TAGS,
               description="`amount` (and `usageSpendingBudget`, the same) only when a budget is set; "
                           "`attributes.etag` for If-Match.",
               operation_id="customers_usagebudget_retrieve")
    def get(self, request, customer_id):
        customer = self.customer(request, customer_id)
        budget = spend.budget_get(actor=self.actor(request), customer=customer)
        return Response(self._body(request, customer, budget, "GET"))

    @pc_schema(ok=s.SpendingBudgetResourceSerializer, request=s.SpendingBudgetInputSerializer,
               errors=(400, 401, 403, 404, 409, 412, 429), parameters=[CUSTOMER_ID, IF_MATCH, REQUEST_ID,
                                                                       IDEMPOTENCY_KEY],
               summary="Set or remove a customer's monthly Azure spending budget", tags=SPEND_TAGS,
               description="`{\"Amount\": 100, \"Attributes\": {\"ObjectType\": \"SpendingBudget\"}}`; `amount: null` "
                           "removes the budget. A negative amount, text or more than 2 decimals: 400/800002 naming "
                           "`amount`, nothing changed. Global admin or Admin agent.",
               operation_id="customers_usagebudget_update")
    def patch(self, request, customer_id):
        actor = self.actor(request)
        customer = self.customer(request, customer_id)
        if not isinstance(request.data, dict):
            raise InvalidInput("The request body must be a JSON object.")
        body = {str(key).lower(): value for key, value in request.data.items()}
        if "amount" not in body:
            raise InvalidInput("amount is required: a number of 0 or more, or null to remove the budget.",
                               field="amount")
        budget = budgets.budget_set(actor=actor, customer=customer, amount=body["amount"],
                                    expected_etag=self.if_match(request))
        return Response(self._body(request, customer, budget, "PATCH"))


class PlanUsageRecordsView(SpendView):
    @pc_schema(ok=collection_schema("SubscriptionMonthlyUsageRecordCollection",
                                    s.SubscriptionMonthlyUsageRecordSerializer),
               errors=(401, 403, 404, 429), parameters=[CUSTOMER_ID],
               summary="A customer's Azure plans with their month-to-date spending", tags=SPEND_TAGS,
               operation_id="customers_subscriptions_usagerecords_list")
    def get(self, request, customer_id):
        customer = self.customer(request, customer_id)
        rows = spend.plans_spend(actor=self.actor(request), customer=customer)
        own = customer.organisation.partner_id
        items = [s.plan_record(plan, total, partner_on_record=plan.reseller.partner_id if plan.reseller_id else own)
                 for plan, total in rows]
        return Response(collection(items, request))


class PlanUsageSummaryView(SpendView):
    @pc_schema(ok=s.SubscriptionUsageSummarySerializer, errors=(401, 403, 404, 429), parameters=[CUSTOMER_ID, PLAN_ID],
               summary="An Azure plan's month-to-date spending", tags=SPEND_TAGS,
               description="404/20003: not an Azure plan of this customer.",
               operation_id="customers_subscriptions_usagesummary_retrieve")
    def get(self, request, customer_id, plan_id):
        customer = self.customer(request, customer_id)
        plan = self.plan(request, customer, plan_id)
        total = spend.plan_spend(actor=self.actor(request), customer=customer, plan=plan)
        return Response(s.plan_summary(plan, total, uri=relative_uri(request)))


class MeterUsageRecordsView(SpendView):
    @pc_schema(ok=collection_schema("MeterUsageRecordCollection", s.MeterUsageRecordSerializer),
               errors=(401, 403, 404, 429), parameters=[CUSTOMER_ID, PLAN_ID],
               summary="An Azure plan's month-to-date spending by meter", tags=SPEND_TAGS,
               operation_id="customers_subscriptions_meterusagerecords_list")
    def get(self, request, customer_id, plan_id):
        customer = self.customer(request, customer_id)
        plan = self.plan(request, customer, plan_id)
        rows = spend.meter_spend(actor=self.actor(request), customer=customer, plan=plan)
        return Response(collection([s.meter_record(plan, row) for row in rows], request))


class ResourceUsageRecordsView(SpendView):
    @pc_schema(ok=collection_schema("ResourceUsageRecordCollection", s.ResourceUsageRecordSerializer),
               errors=(401, 403, 404, 429), parameters=[CUSTOMER_ID, PLAN_ID],
               summary="An Azure plan's month-to-date spending by resource", tags=SPEND_TAGS,
               operation_id="customers_subscriptions_resourceusagerecords_list")
    def get(self, request, customer_id, plan_id):
        customer = self.customer(request, customer_id)
        plan = self.plan(request, customer, plan_id)
        rows = spend.resource_spend(actor=self.actor(request), customer=customer, plan=plan)
        return Response(collection([s.resource_record(plan, row) for row in rows], request))
