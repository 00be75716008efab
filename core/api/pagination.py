"""Seek-based paging as Partner Center does it for customers and recon line items.

First call `GET /v1/<collection>?size=N`. The answer carries a top-level `continuationToken` and
`links.next = {uri: "<path>?size=N&seekOperation=Next", method: "GET",
headers: [{key: "MS-ContinuationToken", value: <token>}]}`. The client repeats `links.next.uri`
with that header. The last page has no `links.next`. The token is a signed keyset cursor (the sort
values of the last row), so pages stay correct while rows are added and cost the same at any depth.
"""

from urllib.parse import urlencode

from django.core import signing
from django.db.models import Q
from django.utils.translation import gettext as _

from core.errors import InvalidInput

from .serializers import link

DEFAULT_SIZE = 100
MAX_SIZE = 1000
_SALT = "core.continuation"


def _query_value(request, name):
    for key, value in request.query_params.items():
        if key.lower() == name.lower():
            return value
    return None


def page_size(request):
    raw = _query_value(request, "size")
    if raw in (None, "", "0"):
        return DEFAULT_SIZE
    try:
        size = int(raw)
    except ValueError:
        raise InvalidInput(_("size must be a whole number between 1 and %(max)s.") % {"max": MAX_SIZE},
                           field="size") from None
    if not 1 <= size <= MAX_SIZE:
        raise InvalidInput(_("size must be a whole number between 1 and %(max)s.") % {"max": MAX_SIZE},
                           field="size")
    return size


def _after(ordering, values):
    """Q for rows strictly after `values` in `ordering` (fields prefixed with '-' descend)."""
    condition = Q()
    for index, field in enumerate(ordering):
        name = field.lstrip("-")
        op = "lt" if field.startswith("-") else "gt"
        step = Q(**{f"{name}__{op}": values[index]})
        for prev_index in range(index):
            prev = ordering[prev_index].lstrip("-")
            step &= Q(**{prev: values[prev_index]})
        condition |= step
    return condition


def seek_page(request, queryset, *, ordering, scope):
    """Return (rows, next_token) for the page the request asks for.

    `ordering` must end with a unique field (e.g. ("email", "id")). `scope` names the collection
    and its filters, so a token cannot be replayed against another list.
    """
    size = page_size(request)
    token = request.headers.get("MS-ContinuationToken") or _query_value(request, "continuationToken")
    seek = (_query_value(request, "seekOperation") or "").lower()
    queryset = queryset.order_by(*ordering)
    if token:
        if seek and seek != "next":
            raise InvalidInput(_("Only seekOperation=Next is supported."), field="seekOperation")
        try:
            payload = signing.loads(token, salt=_SALT)
        except signing.BadSignature:
            raise InvalidInput(_("The continuation token is not valid."), field="MS-ContinuationToken") from None
        if payload.get("s") != scope or len(payload.get("v", [])) != len(ordering):
            raise InvalidInput(_("The continuation token belongs to another query."), field="MS-ContinuationToken")
        queryset = queryset.filter(_after(ordering, payload["v"]))
    rows = list(queryset[: size + 1])
    next_token = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        values = [_plain(getattr(last, f.lstrip("-").replace("__", "."))) for f in ordering]
        next_token = signing.dumps({"s": scope, "v": values}, salt=_SALT, compress=True)
    return rows, next_token


def _plain(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "hex") and not isinstance(value, (int, float, str)):
        return str(value)
    return value


def relative_uri(request, **extra):
    """The request's path without /v1 and with its query (minus paging keys) plus `extra`."""
    path = request.path
    if path.startswith("/v1/"):
        path = path[3:]
    params = [(k, v) for k, v in request.query_params.items() if k.lower() not in {"seekoperation",
                                                                                   "continuationtoken"}]
    params += list(extra.items())
    return path + (("?" + urlencode(params)) if params else "")


def collection(items, request, *, next_token=None, object_type="Collection"):
    body = {
        "totalCount": len(items),
        "items": items,
        "links": {"self": link(relative_uri(request))},
        "attributes": {"objectType": object_type},
    }
    if next_token:
        body["continuationToken"] = next_token
        body["links"]["next"] = link(relative_uri(request, seekOperation="Next"),
                                     headers={"MS-ContinuationToken": next_token})
    return body
