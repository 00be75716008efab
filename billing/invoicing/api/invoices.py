"""Partner Center's invoice routes (api.md §16.1, §16.2): the list (offset paging, `filter` on InvoiceDate), one
invoice with its PDF link, the balance summaries and the links to the unbilled estimates. Issued documents only
(drafts are a billing run's work in progress); another organisation's invoice answers 404 like an unknown one."""

import re
from urllib.parse import urlencode

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework.response import Response

from accounts.permissions import Perm
from core.api.pagination import collection, page_size
from core.api.schema import collection_schema, pc_schema
from core.api.serializers import link
from core.api.views import PCAPIView
from core.errors import InvalidInput

from ...rating.api.views import check_currency
from .. import reads, selectors
from . import serializers as s

TAGS = ["Invoices"]
LIST_SIZE = 200
LIST_MAX = 1000
INVOICE_ID = OpenApiParameter("invoice_id", str, OpenApiParameter.PATH,
                              description="The invoice number (G000000001), also as Partner Center's links write it "
                                          "(OneTime-G000000001)")


def invoice_key(invoice_id) -> str:
    """The invoice number of a route's id: Partner Center's links prefix it with the invoice type (`OneTime-`). Every
    invoice here is OneTime: `Recurring-G...` names no invoice (404), as in Partner Center."""
    return re.sub(r"^onetime-", "", str(invoice_id).strip(), flags=re.IGNORECASE)


def invoice_get(request, actor, invoice_id):
    return selectors.invoice_get(actor, invoice_key(invoice_id))


def _params(request) -> dict:
    return {key.lower(): value for key, value in request.query_params.items()}


def _offset(params) -> int:
    raw = params.get("offset") or "0"
    try:
        offset = int(raw)
    except ValueError:
        offset = -1
    if not 0 <= offset <= 10**9:
        raise InvalidInput(_("offset must be a whole number of 0 or more."), field="offset")
    return offset


def resources(invoices) -> list[dict]:
    amendments = reads.amendments_of(invoices)
    paid = reads.paid_amounts([*invoices, *(note for notes in amendments.values() for note in notes)])
    return [s.invoice_resource(invoice, paid=paid, amendments=amendments) for invoice in invoices]


class InvoiceListView(PCAPIView):
    required_permissions = {"GET": Perm.VIEW_INVOICES}

    @pc_schema(ok=collection_schema("InvoiceCollection", s.InvoiceSerializer), errors=(400, 401, 403, 429),
               parameters=[
                   OpenApiParameter("size", int, description=f"Page size, 1-{LIST_MAX} (default {LIST_SIZE})"),
                   OpenApiParameter("offset", int, description="Invoices to skip (default 0)"),
                   OpenApiParameter("filter", str, description='URL-encoded JSON {"Field":"InvoiceDate",'
                                                               '"Value":"2026-10-01","Operator":'
                                                               '"greater_than_or_equals"} (equals, greater_than, '
                                                               'greater_than_or_equals, less_than, '
                                                               'less_than_or_equals; names and values in any case)'),
               ],
               summary="The partner's invoices and credit notes, newest first", tags=TAGS,
               description="Partner Center's `Invoice`s of the caller's organisation, issued ones only (drafts "
                           "are never listed). A credit note is listed as `documentType: \"adjustment_note\"` with "
                           "`amendsOf` (the invoice it corrects) and also appears in that invoice's `amendments`. "
                           "`paidAmount` is minus the payments allocated to the invoice. Offset paging: "
                           "`links.next` while more remain.",
               operation_id="invoices_list")
    def get(self, request):
        actor = self.actor(request)
        params = _params(request)
        size = page_size(request, default=LIST_SIZE, maximum=LIST_MAX)
        offset = _offset(params)
        date_filter = reads.parse_date_filter(params["filter"]) if params.get("filter") else None
        invoices = list(reads.invoice_list(actor, date_filter=date_filter)[offset:offset + size + 1])
        more = len(invoices) > size
        invoices = invoices[:size]
        body = collection(resources(invoices), request)
        body["links"]["self"] = link(_list_uri(request, size, offset))
        if more:
            body["links"]["next"] = link(_list_uri(request, size, offset + size))
        return Response(body)


def _list_uri(request, size, offset):
    extra = [(k, v) for k, v in request.query_params.items() if k.lower() not in ("size", "offset")]
    return "/invoices?" + urlencode([("size", size), ("offset", offset), *extra])


class InvoiceDetailView(PCAPIView):
    required_permissions = {"GET": Perm.VIEW_INVOICES}

    @pc_schema(ok=s.InvoiceSerializer, errors=(401, 403, 404, 429), parameters=[INVOICE_ID],
               summary="One invoice or credit note", tags=TAGS,
               description="`pdfDownloadLink` is its PDF's address relative to /v1. Unknown, draft or another "
                           "organisation's invoice: 404/1000.",
               operation_id="invoices_retrieve")
    def get(self, request, invoice_id):
        invoice = invoice_get(request, self.actor(request), invoice_id)
        return Response(resources([invoice])[0])


def _summaries(request, actor):
    return [s.invoice_summary(row, accounting_date=timezone.now().date()) for row in reads.summaries(actor)]


class InvoiceSummaryView(PCAPIView):
    required_permissions = {"GET": Perm.VIEW_INVOICES}

    @pc_schema(ok=s.InvoiceSummarySerializer, errors=(401, 403, 429),
               summary="The balance in the partner's billing currency", tags=TAGS,
               description="`balanceAmount` = issued invoices - credit notes - payments allocated to them (void "
                           "documents count nothing), in the organisation's billing currency.",
               operation_id="invoices_summary_retrieve")
    def get(self, request):
        actor = self.actor(request)
        currency = reads.billing_currency_of(actor)
        found = [item for item in _summaries(request, actor) if item["currencyCode"] == currency]
        return Response(found[0])


class InvoiceSummariesView(PCAPIView):
    required_permissions = {"GET": Perm.VIEW_INVOICES}

    @pc_schema(ok=collection_schema("InvoiceSummaryCollection", s.InvoiceSummarySerializer),
               errors=(401, 403, 429), summary="The balance in each currency invoiced", tags=TAGS,
               operation_id="invoices_summaries_list")
    def get(self, request):
        return Response(collection(_summaries(request, self.actor(request)), request))


class EstimateLinksView(PCAPIView):
    required_permissions = {"GET": Perm.VIEW_INVOICES}

    @pc_schema(ok=collection_schema("InvoiceEstimateLinkCollection", s.EstimateLinkSerializer),
               errors=(400, 401, 403, 429),
               parameters=[OpenApiParameter("currencycode", str, description="ISO 4217 (default: the partner's "
                                                                             "billing currency)")],
               summary="Links to the unbilled estimates (daily rated usage and reconciliation line items)",
               tags=TAGS, operation_id="invoices_estimates_links_list")
    def get(self, request):
        actor = self.actor(request)
        currency = check_currency(_params(request).get("currencycode"), default=reads.billing_currency_of(actor))
        return Response(collection(s.estimate_links(currency), request))
