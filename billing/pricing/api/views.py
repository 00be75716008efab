"""The price sheet and FX routes of Partner Center's pricing host (`/v1.0/sales/...`, api reference §18) and this portal's
JSON extensions under `/v1/pricing/...`. Views parse the request and call billing.pricing.services and selectors."""

import zlib

from django.core import signing
from django.http import StreamingHttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser, MultiPartParser
from rest_framework.response import Response

from accounts.permissions import Perm
from core.api.pagination import collection, seek_page
from core.api.schema import CONTINUATION, SIZE, collection_schema, pc_schema
from core.api.views import PCAPIView
from core.errors import InvalidInput

from .. import selectors, services
from .serializers import (
    DiffRowSerializer,
    FxRateSerializer,
    HistorySerializer,
    ImportSerializer,
    PriceListSerializer,
    PriceSheetRowSerializer,
    diff_row_data,
)

TAGS = ["Pricing"]
EXT_TAGS = ["Pricing (extension)"]


def _query(request, name):
    for key, value in request.query_params.items():
        if key.lower() == name.lower():
            return value
    return None


class AnyAcceptNegotiation(BaseContentNegotiation):
    """A file download answers whatever the client accepts (Microsoft's scripts send `Accept: */*`, text/csv or
    nothing); errors still render as JSON."""

    def select_parser(self, request, parsers):
        for parser in parsers:
            if parser.media_type.split(";")[0] == (request.content_type or "").split(";")[0].strip().lower():
                return parser
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def _encoding(request):
    """gzip or deflate as the client's Accept-Encoding asks (gzip first), else None."""
    accepted = {}
    for part in (request.headers.get("Accept-Encoding") or "").split(","):
        name, _sep, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        accepted[name.strip().lower()] = quality
    for name in ("gzip", "deflate"):
        if accepted.get(name, 0) > 0:
            return name
    return None


def _compress(chunks, encoding):
    """Compress a stream of chunks on the fly: gzip (RFC 1952) or HTTP deflate (zlib, RFC 1950)."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31 if encoding == "gzip" else 15)
    for chunk in chunks:
        out = compressor.compress(chunk)
        if out:
            yield out
    yield compressor.flush()


def file_response(request, chunks, *, filename):
    """A streamed attachment as Partner Center's pricing host answers it."""
    encoding = _encoding(request)
    response = StreamingHttpResponse(_compress(chunks, encoding) if encoding else chunks,
                                     content_type="application/octet-stream")
    response["Content-Disposition"] = f"attachment; filename={filename}"
    response["Vary"] = "Accept-Encoding"
    if encoding:
        response["Content-Encoding"] = encoding
    return response


# ---------------------------------------------------------------- Partner Center's pricing host


class PartnerCenterFileView(PCAPIView):
    content_negotiation_class = AnyAcceptNegotiation
    required_permissions = {"GET": Perm.VIEW_PRICE_SHEET_API}


class PriceSheetFileView(PartnerCenterFileView):
    """Documented by billing.pricing.api.schema.add_pricing_host_routes."""

    @extend_schema(exclude=True)
    def get(self, request, market, view):
        actor = self.actor(request)
        price_list = selectors.price_list_for_timeline(actor=actor, market=market, view=view,
                                                       timeline=_query(request, "timeline"),
                                                       month=_query(request, "month"))
        return file_response(request, selectors.price_sheet_csv(actor=actor, price_list=price_list),
                             filename="sheets.csv")


class FxRatesFileView(PartnerCenterFileView):
    """Documented by billing.pricing.api.schema.add_pricing_host_routes."""

    @extend_schema(exclude=True)
    def get(self, request, month):
        return file_response(request, selectors.fx_rates_csv(actor=self.actor(request), month=month),
                             filename="fxrates")


# ---------------------------------------------------------------- extensions under /v1/pricing


MARKET = OpenApiParameter("market", str, OpenApiParameter.PATH, description="Market, ISO-2 (US)")
VIEW = OpenApiParameter("view", str, OpenApiParameter.PATH, description="azure_consumption or azure_reservations")
MONTH = OpenApiParameter("month", str, OpenApiParameter.PATH, description="YYYYMM, or current")
PRODUCT = OpenApiParameter("product_id", str, OpenApiParameter.PATH, description="ProductId")
SKU = OpenApiParameter("sku_id", str, OpenApiParameter.PATH, description="SkuId")


def _price_list(actor, market, view, month):
    if str(month).lower() == "current":
        return selectors.price_list_for_timeline(actor=actor, market=market, view=view, timeline="current")
    return selectors.price_list_get(actor=actor, market=market, view=view, month=month)


class PriceListListView(PCAPIView):
    required_permissions = {"GET": Perm.VIEW_PRICING}

    @pc_schema(ok=collection_schema("PriceListCollection", PriceListSerializer), errors=(400, 401, 403, 429),
               parameters=[OpenApiParameter("market", str), OpenApiParameter("view", str)],
               summary="Extension: the price list versions (market, view, month)", tags=EXT_TAGS,
               operation_id="pricing_pricelists_list")
    def get(self, request):
        rows = selectors.price_list_list(actor=self.actor(request), market=_query(request, "market"),
                                         view=_query(request, "view"))
        return Response(collection(PriceListSerializer(rows, many=True).data, request))


class MeterSearchView(PCAPIView):
    required_permissions = {"GET": Perm.VIEW_PRICING}
    FILTERS = ("product", "sku", "meter", "region", "tag", "q")

    @pc_schema(ok=collection_schema("PriceSheetRowCollection", PriceSheetRowSerializer, paged=True),
               parameters=[MARKET, VIEW, MONTH, *(OpenApiParameter(name, str, description="substring, any case")
                                                  for name in FILTERS), SIZE, CONTINUATION],
               summary="Extension: search the meters of a price list", tags=EXT_TAGS,
               description="Filters: product (ProductId, ProductTitle), sku (SkuId, SkuTitle), meter (MeterIds, "
                           "SkuTitle, MeterType), region (SkuTitle, SkuDescription), tag (Tags), q (any). Paged with "
                           "continuationToken. 404/990302: no list for that month.",
               operation_id="pricing_meters_list")
    def get(self, request, market, view, month):
        actor = self.actor(request)
        price_list = _price_list(actor, market, view, month)
        filters = {name: _query(request, name) or "" for name in self.FILTERS}
        rows = selectors.meter_search(actor=actor, price_list=price_list, **filters)
        ordering = ("product_id", "sku_id", "effective_start", "id")
        page, token = seek_page(request, rows, ordering=ordering,
                                scope=["meters", price_list.pk, *filters.values()])
        return Response(collection(PriceSheetRowSerializer(page, many=True).data, request, next_token=token))


class MeterTiersView(PCAPIView):
    required_permissions = {"GET": Perm.VIEW_PRICING}

    @pc_schema(ok=collection_schema("MeterTierCollection", PriceSheetRowSerializer),
               parameters=[MARKET, VIEW, MONTH, PRODUCT, SKU],
               summary="Extension: one meter's rows (tiers, by effective period) in a month's list", tags=EXT_TAGS,
               description="404/990302 no list for the month; 404/990303 no such product and SKU in it.",
               operation_id="pricing_meter_tiers")
    def get(self, request, market, view, month, product_id, sku_id):
        actor = self.actor(request)
        price_list = _price_list(actor, market, view, month)
        rows = selectors.meter_tiers(actor=actor, price_list=price_list, product_id=product_id, sku_id=sku_id)
        return Response(collection(PriceSheetRowSerializer(rows, many=True).data, request))


class MeterHistoryView(PCAPIView):
    required_permissions = {"GET": Perm.VIEW_PRICING}

    @pc_schema(ok=collection_schema("MeterHistoryCollection", HistorySerializer), parameters=[MARKET, VIEW, PRODUCT, SKU],
               summary="Extension: one meter's price in every month's list", tags=EXT_TAGS,
               description="Oldest month first; 404/990303 when no month has it.",
               operation_id="pricing_meter_history")
    def get(self, request, market, view, product_id, sku_id):
        rows = selectors.meter_history(actor=self.actor(request), market=market, view=view, product_id=product_id,
                                       sku_id=sku_id)
        return Response(collection(HistorySerializer(rows, many=True).data, request))


_DIFF_SALT = "billing.pricing.diff"
DIFF = inline_serializer("PriceListDiff", fields={
    "totalCount": serializers.IntegerField(), "items": DiffRowSerializer(many=True), "links": serializers.DictField(),
    "continuationToken": serializers.CharField(required=False), "attributes": serializers.DictField(),
    "counts": serializers.DictField(child=serializers.IntegerField())})


class PriceListDiffView(PCAPIView):
    required_permissions = {"GET": Perm.VIEW_PRICING}

    @pc_schema(ok=DIFF, parameters=[MARKET, VIEW, OpenApiParameter("from", str, required=True, description="YYYYMM"),
                                    OpenApiParameter("to", str, required=True, description="YYYYMM"),
                                    OpenApiParameter("change", str, description="added, removed or changed"),
                                    OpenApiParameter("orderBy", str, description="product (default), change, -change"),
                                    SIZE, CONTINUATION],
               summary="Extension: the meters added, removed and changed between two months", tags=EXT_TAGS,
               description="A meter is (ProductId, SkuId, PricingTierRangeMin); its price in a month is its row with "
                           "the latest EffectiveStartDate. changePercent is rounded to 2 decimals (null when the old "
                           "price is 0). 400/800002 bad month, change or orderBy; 404/990302 a month without list.",
               operation_id="pricing_pricelists_diff")
    def get(self, request, market, view):
        from core.api.pagination import page_size

        size = page_size(request)
        offset = 0
        token = request.headers.get("MS-ContinuationToken") or _query(request, "continuationToken")
        scope = [market, view, _query(request, "from"), _query(request, "to"), _query(request, "change"),
                 _query(request, "orderBy")]
        if token:
            try:
                payload = signing.loads(token, salt=_DIFF_SALT)
            except signing.BadSignature:
                raise InvalidInput(_("The continuation token is not valid."), field="MS-ContinuationToken") from None
            if payload.get("s") != scope:
                raise InvalidInput(_("The continuation token belongs to another query."),
                                   field="MS-ContinuationToken")
            offset = int(payload["o"])
        for name in ("from", "to"):
            if not _query(request, name):
                raise InvalidInput(_("%(name)s (YYYYMM) is required.") % {"name": name}, field=name)
        counts, rows = selectors.price_list_diff(
            actor=self.actor(request), market=market, view=view, from_month=_query(request, "from"),
            to_month=_query(request, "to"), change=_query(request, "change") or None,
            order=_query(request, "orderBy") or "product", offset=offset, limit=size + 1)
        next_token = None
        if len(rows) > size:
            rows = rows[:size]
            next_token = signing.dumps({"s": scope, "o": offset + size}, salt=_DIFF_SALT)
        body = collection([diff_row_data(r) for r in rows], request, next_token=next_token)
        body["counts"] = counts
        return Response(body)


class CSVParser(BaseParser):
    """A raw CSV body (text/csv): the view streams it from the request itself; this parser is never asked to read
    it (the view does not touch request.data for text/csv)."""

    media_type = "text/csv"

    def parse(self, stream, media_type=None, parser_context=None):
        return stream


UPLOAD = inline_serializer("PricingUpload", fields={"file": serializers.FileField(help_text="The CSV file")})


class ImportBodyMixin:
    parser_classes = [CSVParser, MultiPartParser]
    # The import is idempotent by content (the same file changes nothing and says so); the body may be hundreds of
    # megabytes, so it is streamed, never stored for an idempotent replay.
    idempotent_methods = ()

    def upload(self, request):
        """(binary file-like object, file name) of a text/csv body or a multipart part named `file`."""
        media = (request.content_type or "").split(";")[0].strip().lower()
        if media == "text/csv":
            return request._request, _query(request, "fileName") or ""
        if media.startswith("multipart/"):
            upload = request.FILES.get("file")
            if upload is None:
                raise InvalidInput(_("Send the CSV file in a part named file."), field="file")
            return upload, upload.name or ""
        raise InvalidInput(_("Send the CSV file as the body (Content-Type: text/csv) or as a multipart form part "
                             "named file."), field="file")


IMPORT_ERRORS = ("400/800002 PriceSheetInvalid or FxRatesInvalid: `data` lists every bad line {line, column, reason} "
                 "and nothing was imported; 400/800002 naming market, view or month; 403/2032 (Global admin of a "
                 "direct-bill partner or an indirect provider).")


class PriceSheetImportView(ImportBodyMixin, PCAPIView):
    required_permissions = {"GET": Perm.VIEW_PRICING, "POST": Perm.IMPORT_PRICING}

    @pc_schema(ok=collection_schema("PricingImportCollection", ImportSerializer), errors=(400, 401, 403, 429),
               parameters=[OpenApiParameter("kind", str, description="price_sheet or fx_rates")],
               summary="Extension: the latest price sheet and FX imports, with their reports", tags=EXT_TAGS,
               operation_id="pricing_imports_list")
    def get(self, request):
        rows = selectors.import_list(actor=self.actor(request), kind=_query(request, "kind"))[:200]
        return Response(collection(ImportSerializer(rows, many=True).data, request))

    @pc_schema(ok=ImportSerializer, ok_status=201,
               also={200: OpenApiResponse(ImportSerializer, description="Same content as the month's version: "
                                                                         "unchanged true, nothing written")},
               request={"text/csv": OpenApiTypes.STR, "multipart/form-data": UPLOAD}, errors=(400, 401, 403, 429),
               parameters=[OpenApiParameter("market", str, required=True), OpenApiParameter("view", str, required=True),
                           OpenApiParameter("month", str, required=True, description="YYYYMM or YYYY-MM"),
                           OpenApiParameter("fileName", str)],
               summary="Extension: import Microsoft's price sheet CSV as a month's price list", tags=EXT_TAGS,
               description="Body: the CSV as Microsoft serves it (text/csv) or a multipart part named file. Answers "
                           "the import with its report (rows written; meters added, removed, changed against the "
                           "previous month). " + IMPORT_ERRORS, operation_id="pricing_imports_create")
    def post(self, request):
        stream, name = self.upload(request)
        result = services.price_sheet_import(actor=self.actor(request), file=stream, market=_query(request, "market"),
                                             view=_query(request, "view"), month=_query(request, "month"),
                                             file_name=name)
        return Response(ImportSerializer(result.pricing_import).data, status=200 if result.unchanged else 201)


class ImportDetailView(PCAPIView):
    required_permissions = {"GET": Perm.VIEW_PRICING}

    @pc_schema(ok=ImportSerializer, parameters=[OpenApiParameter("import_id", str, OpenApiParameter.PATH)],
               summary="Extension: one import and its report", tags=EXT_TAGS, operation_id="pricing_imports_get")
    def get(self, request, import_id):
        return Response(ImportSerializer(selectors.import_get(actor=self.actor(request), public_id=import_id)).data)


class FxRateListView(PCAPIView):
    required_permissions = {"GET": Perm.VIEW_PRICING}

    @pc_schema(ok=collection_schema("FxRateCollection", FxRateSerializer, paged=True), errors=(400, 401, 403, 429),
               parameters=[OpenApiParameter("month", str, description="YYYYMM"), OpenApiParameter("currency", str),
                           SIZE, CONTINUATION],
               summary="Extension: exchange rates (USD per unit) by month", tags=EXT_TAGS,
               operation_id="pricing_fxrates_list")
    def get(self, request):
        rows = selectors.fx_rate_list(actor=self.actor(request), month=_query(request, "month"),
                                      currency=_query(request, "currency"))
        page, token = seek_page(request, rows, ordering=("-month", "currency"),
                                scope=["fx", _query(request, "month"), _query(request, "currency")])
        return Response(collection(FxRateSerializer(page, many=True).data, request, next_token=token))


class FxRatesImportView(ImportBodyMixin, PCAPIView):
    required_permissions = {"POST": Perm.IMPORT_PRICING}

    @pc_schema(ok=ImportSerializer, ok_status=201,
               also={200: OpenApiResponse(ImportSerializer, description="Every rate already set: unchanged true")},
               request={"text/csv": OpenApiTypes.STR, "multipart/form-data": UPLOAD}, errors=(400, 401, 403, 409, 429),
               parameters=[OpenApiParameter("month", str, description="YYYYMM: the month of rows whose Month is a "
                                                                      "bare year"), OpenApiParameter("fileName", str)],
               summary="Extension: import Microsoft's FX file (CurrencyCode, USDPerUnit, Month)", tags=EXT_TAGS,
               description="One rate per currency and month, never changed once set: a different rate is 409/990301 "
                           "FxRateAlreadySet naming the lines, and nothing is imported. " + IMPORT_ERRORS,
               operation_id="pricing_fxrates_import")
    def post(self, request):
        stream, name = self.upload(request)
        result = services.fx_rates_import(actor=self.actor(request), file=stream, month=_query(request, "month"),
                                          file_name=name)
        return Response(ImportSerializer(result.pricing_import).data, status=200 if result.unchanged else 201)

