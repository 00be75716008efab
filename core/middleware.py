import re
import uuid

from django.utils import translation

_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def _clean_id(value):
    return value if value and _ID_RE.match(value) else None


class RequestIdMiddleware:
    """Gives every request an id for the audit trail and echoes Partner Center's tracing headers.

    `MS-RequestId` (the client's idempotency key) is returned as sent, or a new one is made;
    `MS-CorrelationId` is echoed, or a new one is made. `X-Locale` chooses the language of API
    error descriptions.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = _clean_id(request.headers.get("MS-RequestId")) or str(uuid.uuid4())
        request.correlation_id = _clean_id(request.headers.get("MS-CorrelationId")) or str(uuid.uuid4())
        response = self.get_response(request)
        response["MS-RequestId"] = request.request_id
        response["MS-CorrelationId"] = request.correlation_id
        return response


class ApiLocaleMiddleware:
    """On /v1/ routes, `X-Locale` (e.g. fr-FR) picks the language of error descriptions."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        locale = request.headers.get("X-Locale")
        if locale and request.path.startswith("/v1/"):
            try:
                language = translation.get_supported_language_variant(locale.replace("_", "-").lower())
            except LookupError:
                language = None
            if language:
                translation.activate(language)
                request.LANGUAGE_CODE = language
        return self.get_response(request)


class RejectNulMiddleware:
    """PostgreSQL text cannot hold NUL characters: a path or query value with one is bad input (400),
    not a server error. Form and JSON fields are checked by their own validators."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or any("\x00" in key or "\x00" in value
                                         for key, values in request.GET.lists() for value in values):
            from core import errors

            if request.path.startswith("/v1/"):
                from core.views import _api_error

                return _api_error(request, errors.InvalidInput("The request contains a NUL character."))
            from django.http import HttpResponseBadRequest

            return HttpResponseBadRequest("The address contains a NUL character.")
        return self.get_response(request)


class ApiRouteCaseMiddleware:
    """Partner Center's route names are not case-sensitive on the wire (Microsoft's own samples write
    `/v1/productupgrades` and `/v1/productUpgrades`): a /v1/ path whose first segment differs from one of ours only
    in case is routed as ours. Only the fixed segment names listed in settings.API_ROUTE_NAMES are rewritten; ids
    and the rest of the path are left as sent."""

    def __init__(self, get_response):
        from django.conf import settings

        self.get_response = get_response
        self.names = {name.lower(): name for name in getattr(settings, "API_ROUTE_NAMES", ())}

    def __call__(self, request):
        path = request.path_info
        if path.startswith("/v1/"):
            head, sep, rest = path[4:].partition("/")
            canonical = self.names.get(head.lower())
            if canonical and canonical != head:
                request.path_info = f"/v1/{canonical}{sep}{rest}"
        return self.get_response(request)
