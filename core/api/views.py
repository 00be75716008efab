import functools

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.views import APIView

from core.db import server_bound

from .idempotency import WRITE_METHODS, idempotent, is_idempotent
from .permissions import check_route_permissions


class PCAPIView(APIView):
    """Base for /v1/ views: the actor is `request.auth` (set by authentication).

    - `required_permissions`: {method: permission or (permissions, any of which will do)}, checked right after
      authentication and before the body is read, so a role that may not call the route gets 403 whatever it sends.
      Name the least a caller needs to possibly succeed; the service still checks the exact rule.
    - `idempotent_methods`: the write methods whose `MS-RequestId` / `Idempotency-Key` is honoured (all of them
      unless a view opts out). A handler decorated with `@idempotent(redact=...)` keeps its own settings.
    - `deferred_throttle_methods`: methods whose handler only reads (no write, no audit, no job) and whose cost is
      bounded (one page), for which the throttle's round trip to Redis overlaps the handler's query: the count is
      sent before the handler runs and its answer read after it; a refused request still gets its 429 (with
      Retry-After) and never the handler's answer. Once this process has seen the tenant refused, its requests are
      checked before the handler again until Retry-After has passed (core.api.throttling.TenantRateThrottle.start).
    """

    required_permissions: dict = {}
    idempotent_methods = WRITE_METHODS
    deferred_throttle_methods = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in WRITE_METHODS:
            handler = cls.__dict__.get(name)
            if handler is not None and name in cls.idempotent_methods and not is_idempotent(handler):
                setattr(cls, name, idempotent(handler))

    def dispatch(self, request, *args, **kwargs):
        try:
            with server_bound():  # statements bound on the server, prepared after five runs (core.db.server_bound)
                return super().dispatch(request, *args, **kwargs)
        finally:
            pending = self.__dict__.pop("_pending_throttle", None)
            if pending is not None:  # the handler failed with a server error: its count stands, its answer is dropped
                pending.abandon()

    def check_throttles(self, request):
        if request.method in self.deferred_throttle_methods:
            throttles = self.get_throttles()
            start = getattr(throttles[0], "start", None) if len(throttles) == 1 else None
            pending = start(request, self) if start else None
            if pending is not None:
                self._pending_throttle = pending
                return
        super().check_throttles(request)

    def finalize_response(self, request, response, *args, **kwargs):
        pending = self.__dict__.pop("_pending_throttle", None)
        if pending is not None and not pending.allowed():
            try:
                self.throttled(request, pending.throttle.wait())
            except Exception as exc:  # DRF's Throttled, answered as DRF answers it
                response = self.handle_exception(exc)
        response = super().finalize_response(request, response, *args, **kwargs)
        # DRF leaves reference cycles behind: the view keeps its response (`self.response`), and the response its
        # renderer context, which holds the view and the response itself. The answer's data (a page of a hundred
        # items is some 800 dicts and lists) then outlived the request until Python's cycle collector found it,
        # which it does every few requests, walking all of it (about a third of a customer page's worst times).
        # Once the server has sent the answer and closed it, the cycles are cut and it is freed at once.
        response._resource_closers.append(functools.partial(_cut_cycles, self, response))
        return response

    def check_permissions(self, request):
        super().check_permissions(request)
        needed = self.required_permissions.get(request.method) or (
            self.required_permissions.get("GET") if request.method == "HEAD" else None)
        if needed:
            check_route_permissions(request.auth, (needed,) if isinstance(needed, str) else tuple(needed))

    @staticmethod
    def actor(request):
        return request.auth

    @staticmethod
    def if_match(request):
        from .etag import normalise_if_match

        return normalise_if_match(request.headers.get("If-Match"))

    def validated(self, serializer_class, request, **kwargs):
        from core.errors import InvalidInput

        if not isinstance(request.data, dict):
            raise InvalidInput(_("The request body must be a JSON object."))
        serializer = serializer_class(data=request.data, **kwargs)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


def _cut_cycles(view, response):
    view.__dict__.pop("response", None)
    context = getattr(response, "renderer_context", None)
    if context:
        context.pop("response", None)


@extend_schema(exclude=True)
class ApiNotFoundView(PCAPIView):
    """Any /v1/ path we do not route: authenticated first, as Partner Center does (401 without credentials), then
    404 / 1000 for every method. A DRF view, so a bearer request never meets Django's CSRF check and a session
    cookie write still does (SessionAuthentication enforces it)."""

    idempotent_methods = ()

    def initial(self, request, *args, **kwargs):
        from core.errors import NotFound

        super().initial(request, *args, **kwargs)
        raise NotFound()
