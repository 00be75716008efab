"""Partner Center's invoice line items (api.md §16.3-§16.5): an invoice's billing line items (OneTimeInvoiceLineItem,
its reconciliation lines) and billed daily rated usage (DailyRatedUsageLineItem of the usage rows its month summed),
in the query style (`/lineitems?provider=onetime&invoicelineitemtype=...`) and the path style
(`/lineitems/OneTime/BillingLineItems`), and the unbilled billing line items of the open month
(`/invoices/unbilled/lineitems?...&invoicelineitemtype=billinglineitems`): the lines a billing run would write so far,
read through billing.invoicing.lines_sql.line_select, nothing written. The unbilled daily rated usage stays
billing.rating's (this view hands `usagelineitems` to it). Seek paging as the unbilled daily rated usage pages:
`size` 1-2000 (default 2000), `links.next` with `seekOperation=Next` and the `MS-ContinuationToken` header."""

import re

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework.response import Response

from accounts.models import Organisation
from accounts.permissions import Perm
from core.api.pagination import collection, seek_page, seek_page_rows
from core.api.permissions import check_route_permissions
from core.api.schema import CONTINUATION, SEEK, pc_schema
from core.api.views import PCAPIView
from core.errors import InvalidInput

from ...errors import LineItemsNotSupported
from ...models import DocumentType
from ...rating import spend
from ...rating.api import views as rating_views
from .. import reads
from . import serializers as s
from .invoices import INVOICE_ID, invoice_get

TAGS = ["Invoices: line items"]
SIZE = 2000
BILLING, USAGE = "billinglineitems", "usagelineitems"

PARAMETERS = [
    OpenApiParameter("provider", str, required=True, description="onetime (Azure plan: new commerce)"),
    OpenApiParameter("invoicelineitemtype", str, required=True, description="billinglineitems or usagelineitems"),
    OpenApiParameter("currencycode", str, description="The billing currency, ISO 4217 (default: the invoice's)"),
    OpenApiParameter("period", str, description="current or previous (accepted, as Partner Center's samples send "
                                                "it; the invoice's month is what counts)"),
    OpenApiParameter("hasPartnerEarnedCredit", bool, description="usagelineitems: only rows with (true) or "
                                                                 "without (false) partner earned credit"),
    OpenApiParameter("size", int, description=f"Page size, 1-{SIZE} (default {SIZE})"), SEEK, CONTINUATION,
]


def _token(value) -> str:
    return re.sub(r"[\s_-]", "", str(value or "")).lower()


def _params(request) -> dict:
    return {key.lower(): value for key, value in request.query_params.items()}


def check_provider(raw, *, allow_all=False) -> None:
    provider = _token(raw)
    if not provider:
        raise InvalidInput(_("provider is required (onetime)."), field="provider")
    if provider in ("azure", "office", "marketplace"):
        raise LineItemsNotSupported(_("provider=%(provider)s: the legacy providers' line items are not served by "
                                      "this portal; Azure plan invoices are provider=onetime.") % {"provider": raw},
                                    parameters={"field": "provider"})
    if provider != "onetime" and not (allow_all and provider == "all"):
        raise InvalidInput(_("provider must be onetime."), field="provider")


def check_kind(raw) -> str:
    kind = _token(raw)
    if kind not in (BILLING, USAGE):
        raise InvalidInput(_("invoicelineitemtype must be billinglineitems or usagelineitems."),
                           field="invoicelineitemtype")
    return kind


check_currency = rating_views.check_currency


def check_period(raw, *, required=False) -> str:
    period = _token(raw)
    if period in ("current", "previous") or (not period and not required):
        return period
    raise InvalidInput(_("period is required: current or previous.") if required else
                       _("period must be current or previous."), field="period")


def check_pec(raw):
    value = _token(raw)
    if value in ("true", "false"):
        return value == "true"
    if value:
        raise InvalidInput(_("hasPartnerEarnedCredit must be true or false."), field="hasPartnerEarnedCredit")
    return None


def partners(rows) -> dict:
    ids = {row["organisation_id"] for row in rows} | {row["reseller_id"] for row in rows if row["reseller_id"]}
    return {o["pk"]: o for o in Organisation.objects.filter(pk__in=ids).values("pk", "tenant_id", "partner_id")}


def billing_items(request, invoice, organisation_id):
    rows, token = seek_page(request, reads.billing_lines(invoice), ordering=reads.BILLING_LINE_ORDERING,
                            scope=["invoice-lines", organisation_id, invoice.pk], default_size=SIZE, max_size=SIZE)
    known = partners(rows)
    return [s.onetime_line_item(row, known) for row in rows], token


def usage_items(request, actor, invoice, currency, has_pec):
    """The daily rated usage the invoice billed: its organisation's rated rows of its month in its currency (a credit
    note bills no usage: none)."""
    month = invoice.period_start if invoice.document_type == DocumentType.INVOICE else None
    rows = spend.unbilled_line_items(actor=actor, month=month, currency=currency, has_pec=has_pec)
    scope = ["invoice-usage", actor.organisation_id, invoice.pk, currency, has_pec]
    page, token = seek_page(request, rows, ordering=spend.LINE_ITEM_ORDERING, scope=scope, default_size=SIZE,
                            max_size=SIZE)
    context = spend.line_item_context(page)
    items = [spend.line_item(row, context) for row in page]
    for item in items:
        item["invoiceNumber"] = invoice.number
    return items, token


def unbilled_billing_items(request, actor, params):
    check_provider(params.get("provider"), allow_all=True)
    currency = check_currency(params.get("currencycode"))
    period = check_period(params.get("period"), required=True)
    month = spend.period_month(actor=actor, period=period)
    fetch = reads.unbilled_lines(actor=actor, month=month, currency=currency)
    scope = ["unbilled-lines", actor.organisation_id, currency, str(month)]
    rows, token = seek_page_rows(request, fetch, ordering=reads.UNBILLED_ORDERING, scope=scope, default_size=SIZE,
                                 max_size=SIZE)
    rows = reads.unbilled_line_context(rows)
    known = partners(rows)
    return Response(collection([s.onetime_line_item(row, known) for row in rows], request, next_token=token))


class InvoiceLineItemsView(PCAPIView):
    required_permissions = {"GET": Perm.VIEW_INVOICES}

    def answer(self, request, invoice_id, params):
        actor = self.actor(request)
        if str(invoice_id).lower() == "unbilled":  # the path style of the unbilled routes
            return unbilled_answer(self, request, params, from_path=True)
        invoice = invoice_get(request, actor, invoice_id)  # first: a foreign or unknown id is 404 whatever the query
        check_provider(params.get("provider"))
        kind = check_kind(params.get("invoicelineitemtype"))
        check_period(params.get("period"))
        if kind == BILLING:
            items, token = billing_items(request, invoice, actor.organisation_id)
        else:
            currency = check_currency(params.get("currencycode"), default=invoice.currency)
            items, token = usage_items(request, actor, invoice, currency, check_pec(params.get("haspartnerearnedcredit")))
        return Response(collection(items, request, next_token=token))

    @pc_schema(ok=s.line_items_schema("InvoiceLineItemCollection"), errors=(400, 401, 403, 404, 429),
               parameters=[INVOICE_ID, *PARAMETERS],
               summary="An invoice's line items: reconciliation lines or billed daily rated usage", tags=TAGS,
               description="`invoicelineitemtype=billinglineitems`: the invoice's `OneTimeInvoiceLineItem`s (one per "
                           "customer x Azure plan x meter x PEC rate; a credit note's lines are negative, "
                           "`referenceId` naming the invoice they correct). `usagelineitems`: the "
                           "`DailyRatedUsageLineItem`s of the usage rows the invoice's month billed, `invoiceNumber` "
                           "set (a credit note: none). Legacy providers (office, azure, marketplace): 400/800042. "
                           "Unknown or foreign invoice: 404/1000 before any parameter is looked at.",
               operation_id="invoices_lineitems_list")
    def get(self, request, invoice_id):
        return self.answer(request, invoice_id, _params(request))


class InvoiceLineItemsPathView(InvoiceLineItemsView):
    @pc_schema(ok=s.line_items_schema("InvoiceLineItemCollection"), errors=(400, 401, 403, 404, 429),
               parameters=[INVOICE_ID,
                           OpenApiParameter("provider", str, OpenApiParameter.PATH, description="OneTime"),
                           OpenApiParameter("kind", str, OpenApiParameter.PATH,
                                            description="BillingLineItems or UsageLineItems"),
                           *PARAMETERS[2:]],
               summary="An invoice's line items, Partner Center's path style", tags=TAGS,
               description="`/v1/invoices/{id}/lineitems/OneTime/BillingLineItems` (and `/UsageLineItems`): the "
                           "same as the query style with `provider` and `invoicelineitemtype` from the path.",
               operation_id="invoices_lineitems_path_list")
    def get(self, request, invoice_id, provider, kind):
        return self.answer(request, invoice_id, {**_params(request), "provider": provider,
                                                 "invoicelineitemtype": kind})


class UnbilledLineItemsView(rating_views.UnbilledLineItemsView):
    """`invoicelineitemtype=billinglineitems` here; anything else is billing.rating's unbilled daily rated usage
    (its parameter checks and answers unchanged)."""

    @pc_schema(ok=s.line_items_schema("UnbilledLineItemCollection"), errors=(400, 401, 403, 429),
               parameters=[*rating_views.LINE_ITEM_PARAMETERS,
                           OpenApiParameter("size", int, description=f"Page size, 1-{SIZE} (default {SIZE})"),
                           SEEK, CONTINUATION],
               summary="Unbilled line items: reconciliation lines or daily rated usage (Azure plan)",
               tags=["Invoices: unbilled daily rated usage"],
               description="`invoicelineitemtype=usagelineitems`: Partner Center's `DailyRatedUsageLineItem`s of the "
                           "open month (`period=current`) or of the month before until it is invoiced "
                           "(`period=previous`), rated rows only. `invoicelineitemtype=billinglineitems` "
                           "(`provider=onetime` or `all`): the `OneTimeInvoiceLineItem`s the month's invoice would "
                           "have so far, summed from the same rated rows as a billing run sums them, without "
                           "`invoiceNumber`. In the billing currency `currencycode`. Seek paging: repeat "
                           "`links.next.uri` (`seekOperation=Next`) with the `MS-ContinuationToken` header. The "
                           "legacy providers: 400/800042.",
               operation_id="invoices_unbilled_lineitems_list")
    def get(self, request):
        return unbilled_answer(self, request, _params(request))


def unbilled_answer(view, request, params, *, from_path=False):
    """billinglineitems here, anything else to billing.rating's unbilled daily rated usage (Perm.VIEW_SPEND both)."""
    check_route_permissions(view.actor(request), (Perm.VIEW_SPEND,))
    if _token(params.get("invoicelineitemtype")) == BILLING:
        return unbilled_billing_items(request, view.actor(request), params)
    if from_path:
        _with_query(request, params)
    return rating_views.UnbilledLineItemsView.get(view, request)


def _with_query(request, params):
    """The request with the path style's provider and line item type as query parameters (rating reads the query)."""
    query = request._request.GET.copy()
    for key in ("provider", "invoicelineitemtype"):
        for existing in [k for k in query if k.lower() == key]:
            del query[existing]
        query[key] = params[key]
    request._request.GET = query
    return request
