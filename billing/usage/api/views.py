"""This portal's usage extensions under /v1/usage/...: import usage in the background (202 + Location), follow the
import, list imports and the rows kept aside. Views parse the request and call billing.usage.services and
selectors."""

import json
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import BaseParser, MultiPartParser
from rest_framework.response import Response

from accounts.permissions import Perm
from core.api.pagination import collection, seek_page
from core.api.parsers import PartnerCenterJSONParser
from core.api.schema import CONTINUATION, SIZE, collection_schema, pc_schema
from core.api.views import PCAPIView
from core.errors import IdempotencyKeyReused, InvalidInput

from ...models import UsageImport
from .. import selectors, services
from .serializers import UnmatchedUsageSerializer, UsageImportSerializer

EXT_TAGS = ["Usage (extension)"]
RAW_TYPES = ("text/csv", "application/gzip", "application/x-gzip", "application/x-ndjson", "application/jsonl",
             "application/octet-stream", "text/plain")


class RawParser(BaseParser):
    """A raw file body: the view streams it from the request itself; this parser is never asked to read it."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        return stream


def _query(request, name):
    for key, value in request.query_params.items():
        if key.lower() == name.lower():
            return value
    return None


def _location(record):
    return f"/v1/usage/imports/{record.public_id}"


def _accepted(record):
    response = Response(UsageImportSerializer(record).data, status=202)
    response["Location"] = _location(record)
    return response


UPLOAD = inline_serializer("UsageUpload", fields={"file": serializers.FileField(help_text="The usage file")})
BATCH = inline_serializer("UsageBatch", fields={
    "items": serializers.ListField(child=serializers.DictField(), help_text="DailyRatedUsageLineItem-style objects "
                                                                            "(customerId, entitlementId, usageDate, "
                                                                            "meterId, quantity, ...)")})


class UsageImportListView(PCAPIView):
    required_permissions = {"GET": Perm.VIEW_SPEND, "POST": Perm.IMPORT_USAGE}
    parser_classes = [PartnerCenterJSONParser, MultiPartParser, RawParser]

    @pc_schema(ok=collection_schema("UsageImportCollection", UsageImportSerializer, paged=True),
               errors=(400, 401, 403, 429), parameters=[SIZE, CONTINUATION],
               summary="Extension: the organisation's usage imports, newest first", tags=EXT_TAGS,
               operation_id="usage_imports_list")
    def get(self, request):
        rows = selectors.import_list(actor=self.actor(request))
        page, token = seek_page(request, rows, ordering=("-created_at", "-id"), scope=["usage-imports"])
        return Response(collection(UsageImportSerializer(page, many=True).data, request, next_token=token))

    @pc_schema(ok=UsageImportSerializer, ok_status=202,
               request={"text/csv": OpenApiTypes.STR, "application/gzip": OpenApiTypes.BINARY,
                        "multipart/form-data": UPLOAD, "application/json": BATCH},
               errors=(400, 401, 403, 409, 429),
               parameters=[OpenApiParameter("fileName", str, description="The file's name, for a raw body"),
                           OpenApiParameter("source", str, description="csv, jsonl or batch (default: detected)")],
               summary="Extension: import daily Azure usage in the background", tags=EXT_TAGS,
               description="Body: Microsoft's daily rated usage CSV (text/csv), the usage export's gzipped JSON lines "
                           "(application/gzip), a multipart part named file, or a JSON batch {\"items\": [...]} "
                           "with DailyRatedUsageLineItem names. Answers 202 with the import and Location: "
                           "/v1/usage/imports/{id}; poll it for status, progress and the report (failed: "
                           "report.errors lists every bad line {line, column, reason}, the first 1,000, and "
                           "report.totalCount). A retry with the same MS-RequestId and the same body answers the "
                           "same import; another body is 409/990001. 403/2032: Global admin or Billing admin of a "
                           "direct-bill partner or an indirect provider.",
               operation_id="usage_imports_create")
    def post(self, request):
        actor = self.actor(request)
        media = (request.content_type or "").split(";")[0].strip().lower()
        source = _query(request, "source")
        if media == "application/json" or media.endswith("+json"):
            data = request.data
            if isinstance(data, list):
                data = {"items": data}
            if not isinstance(data, dict) or not isinstance(data.get("items"), list):
                raise InvalidInput(_('A JSON batch is {"items": [ ... ]}: a list of usage line items.'), field="items")
            body = json.dumps(data).encode()
            record = services.usage_import_start(actor=actor, fileobj=body, file_name=_query(request, "fileName") or "",
                                                 source="batch", request_id=request.headers.get("MS-RequestId", ""))
            return _accepted(record)
        if media.startswith("multipart/"):
            upload = request.FILES.get("file")
            if upload is None:
                raise InvalidInput(_("Send the usage file in a part named file."), field="file")
            stream, name = upload, upload.name or ""
        elif media in RAW_TYPES or not media:
            stream, name = request._request, _query(request, "fileName") or ""
        else:
            raise InvalidInput(_("Send the usage file as text/csv, application/gzip, a multipart part named file, or "
                                 "a JSON batch (application/json)."), field="Content-Type")
        return self._start_raw(request, actor, stream, name, source)

    def _start_raw(self, request, actor, stream, name, source):
        """Start the import; MS-RequestId (or Idempotency-Key) makes a retry answer the same import (the same bytes)
        or 409 (other bytes), for 24 hours, as the JSON writes do."""
        key = request.headers.get("Idempotency-Key") or request.headers.get("MS-RequestId") or ""
        if len(key) > 128:
            raise InvalidInput("The idempotency key (MS-RequestId or Idempotency-Key) is longer than 128 characters.",
                               field="MS-RequestId")
        earlier = None
        if key:
            earlier = (UsageImport.objects.filter(organisation_id=actor.organisation_id, job__params__requestId=key,
                                                  created_at__gte=timezone.now() - timedelta(hours=24))
                       .select_related("job").order_by("created_at").first())
        with transaction.atomic():
            record = services.usage_import_start(actor=actor, fileobj=stream, file_name=name, source=source,
                                                 request_id=key)
            if earlier is not None:
                same = earlier.source_sha256 == record.source_sha256
                transaction.set_rollback(True)  # nothing stored, nothing enqueued
        if earlier is None:
            return _accepted(record)
        if not same:
            raise IdempotencyKeyReused(parameters={"key": key})
        response = _accepted(earlier)
        response["Idempotency-Replayed"] = "true"
        return response


class UsageImportDetailView(PCAPIView):
    required_permissions = {"GET": Perm.VIEW_SPEND}

    @pc_schema(ok=UsageImportSerializer, parameters=[OpenApiParameter("import_id", str, OpenApiParameter.PATH)],
               summary="Extension: one usage import: status, progress and report", tags=EXT_TAGS,
               description="404/990312 for an unknown or foreign id.", operation_id="usage_imports_get")
    def get(self, request, import_id):
        record = selectors.import_get(actor=self.actor(request), public_id=import_id)
        return Response(UsageImportSerializer(record).data)


class UnmatchedUsageListView(PCAPIView):
    required_permissions = {"GET": Perm.VIEW_SPEND}

    @pc_schema(ok=collection_schema("UnmatchedUsageCollection", UnmatchedUsageSerializer, paged=True),
               errors=(400, 401, 403, 429),
               parameters=[OpenApiParameter("state", str, description="waiting (default), matched or all"), SIZE,
                           CONTINUATION],
               summary="Extension: usage rows kept aside (unknown customer, Azure plan or Azure subscription)",
               tags=EXT_TAGS, operation_id="usage_unmatched_list")
    def get(self, request):
        state = (_query(request, "state") or "waiting").lower()
        waiting = {"waiting": True, "matched": False, "all": None}.get(state, "bad")
        if waiting == "bad":
            raise InvalidInput(_("state must be waiting, matched or all."), field="state")
        rows = selectors.unmatched_list(actor=self.actor(request), waiting=waiting)
        page, token = seek_page(request, rows, ordering=("-created_at", "-id"), scope=["usage-unmatched", state])
        return Response(collection(UnmatchedUsageSerializer(page, many=True).data, request, next_token=token))
