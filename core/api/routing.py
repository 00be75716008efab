"""Partner Center's route names are not case-sensitive on the wire, and Microsoft's samples end some paths with a
slash (`PUT .../carts/{id}/`): every /v1/ path is matched against our routes with their literal segments in any case
and without a trailing slash, then rewritten to the routed spelling (ids are left exactly as sent).

The routes are read from the /v1/ URLconf (`settings.API_URLCONF`, `partnercenter.api_urls`), so a new `path()`
route is matched this way
with nothing to declare. Routes are tried in URLconf order, as Django tries them: `customers/relationshiprequests`
(listed before `customers/<customer_id>`) stays that route in any case.
"""

import functools
import re
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver
from django.urls.resolvers import RoutePattern

PREFIX = "/v1/"
_CONVERTER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


@dataclass(frozen=True)
class ApiRoute:
    route: str  # e.g. "customers/<str:customer_id>/carts/<str:cart_id>"
    callback: object
    regex: re.Pattern  # literal segments in any case, converters as Django matches them
    parts: tuple  # ("literal", text) or ("group", name): how to rebuild the routed spelling


def _compile(route):
    """A regex for `route` whose literal text matches in any case, and the parts to rebuild the routed spelling:
    ("literal", text) or ("group", name of the group holding the text as sent)."""
    from django.urls.converters import get_converters

    converters = get_converters()
    pattern, parts, position = [], [], 0
    for number, found in enumerate(_CONVERTER.finditer(route), start=1):
        literal = route[position:found.start()]
        if literal:
            pattern.append(f"(?i:{re.escape(literal)})")
            parts.append(("literal", literal))
        converter = converters[found.group("converter") or "str"]
        pattern.append(f"(?P<v{number}>{converter.regex})")
        parts.append(("group", f"v{number}"))
        position = found.end()
    if route[position:]:
        pattern.append(f"(?i:{re.escape(route[position:])})")
        parts.append(("literal", route[position:]))
    return re.compile("".join(pattern)), tuple(parts)


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if isinstance(entry.pattern, RoutePattern):
                yield from _walk(entry.url_patterns, prefix + entry.pattern._route)
        elif isinstance(entry, URLPattern) and isinstance(entry.pattern, RoutePattern):
            route = prefix + entry.pattern._route
            regex, parts = _compile(route)
            yield ApiRoute(route=route, callback=entry.callback, regex=regex, parts=parts)


@functools.cache
def api_routes():
    """Every `path()` route under /v1/, in URLconf order (the catch-all `re_path` is not one of them)."""
    from importlib import import_module

    from django.conf import settings

    # The URLconf is named by a setting (configuration is above core: core never imports it by name).
    return tuple(_walk(import_module(settings.API_URLCONF).urlpatterns))


def routed_path(path):
    """The /v1/ path as routed: literal segments in our spelling, no trailing slash. An unknown path is returned
    without its trailing slash (it answers 404 either way)."""
    rest = path[len(PREFIX):] if path.startswith(PREFIX) else ""
    rest = rest.rstrip("/")
    for route in api_routes():
        match = route.regex.fullmatch(rest)
        if match:
            return PREFIX + "".join(value if kind == "literal" else match.group(value) for kind, value in route.parts)
    return PREFIX + rest
