"""The portal's WSGI handler (partnercenter.wsgi): Django's, except that a /v1/ path is resolved once per process.

Django walks the URLconf for every request. The /v1/ routes sit in a dozen includes (partnercenter.api_urls), tried
in order: a route of the sixth include (the customer list) first fails the other five, and each failure lists every
pattern it tried for the 404 page, about 60 microseconds per request. The /v1/ URLconf never uses i18n_patterns
(nothing in it depends on the active language), so a path resolves the same way every time: its ResolverMatch is
kept, by path, for as long as the URLconf's resolver is the same object (a test that overrides ROOT_URLCONF gets a
new one), and each request gets its own copy (its kwargs too, which middleware and views may change). A path that
resolves to nothing is never kept. Other paths (the pages) and a request with its own `urlconf` take Django's way.
"""

from django.core.handlers.wsgi import WSGIHandler
from django.urls import ResolverMatch, get_resolver

from core.middleware import API_PREFIXES

_MATCHES_MAX = 4096  # paths carry ids: a bounded map, emptied when full
_matches = {}


def resolve_api_path(path):
    """The ResolverMatch of a /v1/ path in the default URLconf, a copy of the one kept for it."""
    resolver = get_resolver()
    kept = _matches.get(path)
    if kept is None or kept[0] is not resolver:
        match = resolver.resolve(path)  # Resolver404 propagates, and nothing is kept
        if len(_matches) >= _MATCHES_MAX:
            _matches.clear()
        kept = _matches[path] = (resolver, match)
    match = ResolverMatch.__new__(ResolverMatch)  # a copy (copy.copy refuses: ResolverMatch forbids pickling)
    match.__dict__.update(kept[1].__dict__)
    match.kwargs = dict(match.kwargs)
    match.captured_kwargs = dict(match.captured_kwargs)
    return match


class KeptApiRoutes:
    """A handler mixin: /v1/ paths resolved through resolve_api_path (the test suite's API clients use it with
    Django's test handler, so every API test goes through it)."""

    def resolve_request(self, request):
        if hasattr(request, "urlconf") or not request.path_info.startswith(API_PREFIXES):
            return super().resolve_request(request)
        request.resolver_match = match = resolve_api_path(request.path_info)
        return match


class PortalWSGIHandler(KeptApiRoutes, WSGIHandler):
    pass
