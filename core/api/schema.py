"""OpenAPI helpers: every route documents Partner Center's error envelope for its error statuses."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    code = serializers.IntegerField(help_text="Partner Center error code, e.g. 800002")
    description = serializers.CharField()
    errorName = serializers.CharField()
    message = serializers.CharField()
    isRetryable = serializers.BooleanField()
    parameters = serializers.DictField()
    errorMessageExtended = serializers.CharField()
    data = serializers.ListField(child=serializers.DictField())
    source = serializers.CharField()


ERROR_TEXT = {
    400: "Invalid input (800002), naming the field in `parameters.field`",
    401: "Missing, invalid, expired or revoked token (800001)",
    403: "The role or partner type may not do this (2032)",
    404: "Unknown id, or an id of another organisation (1000)",
    409: "Idempotency key reused with another body (990001) or a conflicting state",
    412: "If-Match etag is stale (2055)",
    429: "Throttled; see Retry-After",
}

REQUEST_ID = OpenApiParameter("MS-RequestId", str, OpenApiParameter.HEADER, required=False,
                              description="Idempotency key: a retry with the same id and body replays the answer")
IDEMPOTENCY_KEY = OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False,
                                   description="Alternative to MS-RequestId")
IF_MATCH = OpenApiParameter("If-Match", str, OpenApiParameter.HEADER, required=False,
                            description="The resource's attributes.etag; stale answers 412")
CONTINUATION = OpenApiParameter("MS-ContinuationToken", str, OpenApiParameter.HEADER, required=False,
                                description="Cursor from the previous page's links.next.headers")
SIZE = OpenApiParameter("size", int, description="Page size, 1-1000 (default 100)")
SEEK = OpenApiParameter("seekOperation", str, description="Next, with MS-ContinuationToken")


def pc_schema(*, ok=None, ok_status=200, errors=(400, 401, 403, 404, 429), parameters=(), request=None, **kwargs):
    responses = {ok_status: ok if ok is not None else OpenApiResponse(description="OK")}
    for status in errors:
        responses[status] = OpenApiResponse(ErrorSerializer, description=ERROR_TEXT[status])
    return extend_schema(responses=responses, parameters=list(parameters), request=request, **kwargs)
