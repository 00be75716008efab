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


def pc_schema(*, ok=None, ok_status=200, errors=(400, 401, 403, 404, 429), parameters=(), request=None, also=None,
              **kwargs):
    """`also`: more success answers, {status: serializer or OpenApiResponse} (e.g. a 200 beside a 201)."""
    responses = {ok_status: ok if ok is not None else OpenApiResponse(description="OK")}
    responses.update(also or {})
    for status in errors:
        responses[status] = OpenApiResponse(ErrorSerializer, description=ERROR_TEXT[status])
    created = [status for status in responses if status in (201, 202)]
    if created:  # a created or accepted resource's address, where the route has one
        parameters = [*parameters, OpenApiParameter("Location", str, OpenApiParameter.HEADER, response=created,
                                                    description="The created resource (or the status to poll)")]
    return extend_schema(responses=responses, parameters=list(parameters), request=request, **kwargs)


def _head_only_routes():
    """(OpenAPI path, view class) of every /v1/ route whose view answers HEAD but not GET."""
    from django.urls import URLPattern, URLResolver, get_resolver

    def walk(patterns, prefix=""):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                cls = getattr(entry.callback, "cls", None)
                if cls is not None and hasattr(cls, "head") and not hasattr(cls, "get"):
                    route = "/" + prefix + str(entry.pattern)
                    for converter in ("str:", "uuid:", "int:", "slug:", "path:"):
                        route = route.replace("<" + converter, "<")
                    yield route.replace("<", "{").replace(">", "}"), cls

    return list(walk(get_resolver().url_patterns))


def add_head_operations(result, generator, request, public):
    """drf-spectacular leaves HEAD out; document the HEAD-only routes (e.g. /v1/domains/{domain})."""
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    for path, cls in _head_only_routes():
        doc = (cls.head.__doc__ or "HEAD").strip().splitlines()[0]
        result["paths"].setdefault(path, {})["head"] = {
            "operationId": path.strip("/").replace("/", "_").replace("{", "").replace("}", "") + "_head",
            "summary": doc,
            "tags": [path.strip("/").split("/")[1]],
            "parameters": [{"in": "path", "name": part.strip("{}"), "required": True, "schema": {"type": "string"}}
                           for part in path.split("/") if part.startswith("{")],
            "security": [{"bearerAuth": []}],
            "responses": {"200": {"description": "Exists (taken)"}, "404": {"description": "Does not exist (free)"},
                          "401": {"description": "Missing, invalid, expired or revoked token (800001)", **error}},
        }
    return result


def collection_schema(name, item, *, paged=False):
    """The schema of Partner Center's collection envelope `{totalCount, items, links, attributes}` of `item`
    (a serializer class); `paged` adds the continuationToken of a seek-paged collection."""
    from drf_spectacular.utils import inline_serializer

    fields = {"totalCount": serializers.IntegerField(), "items": item(many=True), "links": serializers.DictField()}
    if paged:
        fields["continuationToken"] = serializers.CharField(required=False)
    fields["attributes"] = serializers.DictField()
    return inline_serializer(name, fields=fields)
