import re
import uuid

from django.utils import translation
from django.utils.translation import gettext as _

from .actor import served, serving_request

_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# Partner Center's API paths: /v1/ and the pricing host's /v1.0/ (price sheets, FX rates: billing.pricing.api).
API_PREFIXES = ("/v1/", "/v1.0/")


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
        token = serving_request(request.request_id)
        try:
            response = self.get_response(request)
        finally:
            served(token)
        response["MS-RequestId"] = request.request_id
        response["MS-CorrelationId"] = request.correlation_id
        return response


class ApiLocaleMiddleware:
    """On /v1/ routes, `X-Locale` (e.g. fr-FR) picks the language of error descriptions."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        locale = request.headers.get("X-Locale")
        if locale and request.path.startswith(API_PREFIXES):
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

            if request.path.startswith(API_PREFIXES):
                from core.views import _api_error

                return _api_error(request, errors.InvalidInput(_("The request contains a NUL character.")))
            from django.http import HttpResponseBadRequest

            return HttpResponseBadRequest(_("The address contains a NUL character."))
        return self.get_response(request)


class ApiRouteMiddleware:
    """Routes a /v1/ path as Partner Center does: route names in any case, with or without a trailing slash
    (`POST /v1/Customers`, `PUT .../carts/{id}/`). `path_info` becomes the routed spelling (see core.api.routing);
    ids and `request.path` stay as sent. Idempotency keys follow the routed path, so a retry spelled in another case
    replays."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from core.api.routing import PREFIX, routed_path

        path = request.path_info
        if path == PREFIX.rstrip("/"):
            request.path_info = PREFIX
        elif path.startswith(PREFIX):
            routed = routed_path(path)
            if routed != path:
                request.path_info = routed
        return self.get_response(request)


class NoStoreMiddleware:
    """Answers of /v1/ and pages for a signed-in person carry `Cache-Control: no-store`, unless the view chose its
    own caching: they hold tenant data that neither a shared proxy nor the browser's cache should keep."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            user = getattr(request, "user", None)
            if request.path_info.startswith(API_PREFIXES) or (user is not None and user.is_authenticated):
                response["Cache-Control"] = "no-store"
        return response


def is_bearer_api(request):
    """A /v1/ request that carries an Authorization header. The API authenticates it by that header alone
    (accounts.authentication: a header that is not a valid bearer token is refused, the session is never
    consulted), so the portal's session, user, messages and CSRF machinery have nothing to do for it."""
    return request.path_info.startswith(API_PREFIXES) and bool(request.META.get("HTTP_AUTHORIZATION"))


class _BrowserOnly:
    """Runs the wrapped middleware for every request except /v1/ bearer requests, which pass straight on.

    A session-authenticated /v1/ request (no Authorization header) goes through all of it as before, and
    DRF's SessionAuthentication still demands its CSRF token on writes."""

    wrapped = None

    def __init__(self, get_response):
        self.get_response = get_response
        self.inner = self.wrapped(get_response)
        if hasattr(self.inner, "process_view"):
            self.process_view = self._process_view

    def bypass(self, request):
        return self.get_response(request)

    def __call__(self, request):
        if is_bearer_api(request):
            return self.bypass(request)
        return self.inner(request)

    def _process_view(self, request, view_func, view_args, view_kwargs):
        if is_bearer_api(request):
            return None
        return self.inner.process_view(request, view_func, view_args, view_kwargs)


class SessionMiddleware(_BrowserOnly):
    from django.contrib.sessions.middleware import SessionMiddleware as wrapped


class AuthenticationMiddleware(_BrowserOnly):
    from django.contrib.auth.middleware import AuthenticationMiddleware as wrapped

    def bypass(self, request):
        from django.contrib.auth.models import AnonymousUser

        request.user = AnonymousUser()  # until the API authenticates the token (DRF then sets the user)
        return self.get_response(request)


class MessageMiddleware(_BrowserOnly):
    from django.contrib.messages.middleware import MessageMiddleware as wrapped
