"""Seek-based paging as Partner Center does it for customers and recon line items.

First call `GET /v1/<collection>?size=N`. The answer carries a top-level `continuationToken` and
`links.next = {uri: "<path>?size=N&seekOperation=Next", method: "GET",
headers: [{key: "MS-ContinuationToken", value: <token>}]}`. The client repeats `links.next.uri`
with that header. The last page has no `links.next`. The token is a signed keyset cursor (the sort
values of the last row), so pages stay correct while rows are added and cost the same at any depth.
"""

import threading
import uuid
from urllib.parse import urlencode

from django.core import signing
from django.db import connections
from django.db.models import F, Func, Q, TextField
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan
from django.db.models.query import ValuesIterable
from django.utils.translation import gettext as _
from psycopg.types.string import TextLoader

from core.db import statement_cursor
from core.errors import InvalidInput

from . import continuation
from .renderers import JSONArray
from .serializers import link

DEFAULT_SIZE = 100
MAX_SIZE = 1000


def _query_value(request, name):
    for key, value in request.query_params.items():
        if key.lower() == name.lower():
            return value
    return None


def page_size(request, *, default=DEFAULT_SIZE, maximum=MAX_SIZE):
    """The `size` the request asks for; `default` and `maximum` for a list whose own limits differ (Partner Center's
    line items: 2000 both)."""
    raw = _query_value(request, "size")
    if raw in (None, "", "0"):
        return default
    try:
        size = int(raw)
    except ValueError:
        raise InvalidInput(_("size must be a whole number between 1 and %(max)s.") % {"max": maximum},
                           field="size") from None
    if not 1 <= size <= maximum:
        raise InvalidInput(_("size must be a whole number between 1 and %(max)s.") % {"max": maximum},
                           field="size")
    return size


def _after(ordering, values):
    """The condition for rows strictly after `values` in `ordering` (fields prefixed with '-' descend).

    All keys in one direction: a row-value comparison, `(a, b) > (x, y)` (or `<`), which PostgreSQL
    uses as the start of an index range on (..., a, b), so a deep page costs what the first page does.
    The expanded form `a > x OR (a = x AND b > y)` gives the same rows but cannot bound an index scan:
    the planner walks the index from the start and filters (34 ms at the end of 100,000 customers
    against 0.1 ms). Mixed directions cannot be one row comparison; they get the expanded form plus
    the bound on the first key it implies (`a >= x`), which the index can use.
    """
    names = [field.lstrip("-") for field in ordering]
    descending = [field.startswith("-") for field in ordering]
    if len(set(descending)) == 1:
        lookup = TupleLessThan if descending[0] else TupleGreaterThan
        return lookup(Tuple(*(F(name) for name in names)), list(values))
    condition = Q()
    for index, name in enumerate(names):
        step = Q(**{f"{name}__{'lt' if descending[index] else 'gt'}": values[index]})
        for prev_index in range(index):
            step &= Q(**{names[prev_index]: values[prev_index]})
        condition |= step
    return Q(**{f"{names[0]}__{'lte' if descending[0] else 'gte'}": values[0]}) & condition


def filter_first_order(ordering):
    """`ordering` (first key text) as order_by() arguments that no index can supply, so the planner
    applies the query's filters through their own indexes and sorts the matches (see seek_page)."""
    # `text || ''` sorts exactly like the text (same value, same collation), but no index supplies that
    # order, so the planner cannot choose to walk the whole list in order hoping to meet matches early.
    first, rest = ordering[0], list(ordering[1:])
    key = Func(F(first.lstrip("-")), template="(%(expressions)s || '')", output_field=TextField())
    return [key.desc() if first.startswith("-") else key.asc(), *rest]


def _page_queryset(queryset, ordering, filter_first, after):
    queryset = queryset.order_by(*(filter_first_order(ordering) if filter_first else ordering))
    if after is not None:
        queryset = queryset.filter(_after(ordering, after))
    return queryset


def _after_values(payload, ordering):
    if payload is None:
        return None
    if len(payload.get("v", [])) != len(ordering):
        raise InvalidInput(_("The continuation token belongs to another query."), field="MS-ContinuationToken")
    return payload["v"]


def _next_token(rows, size, ordering, scope):
    if len(rows) <= size:
        return rows, None
    rows = rows[:size]
    return rows, _token_after(rows[-1], ordering, scope)


def _token_after(last, ordering, scope):
    """The continuation token of the page that ends with the row `last`."""
    return continuation.dumps({"s": scope, "v": _sort_values(last, ordering)})


def seek_page(request, queryset, *, ordering, scope, filter_first=False, default_size=DEFAULT_SIZE,
              max_size=MAX_SIZE):
    """Return (rows, next_token) for the page the request asks for.

    `ordering` must end with a unique field (e.g. ("email", "id")). `scope` names the collection
    and its filters, so a token cannot be replayed against another list. `queryset` may be a
    `.values()` queryset (rows come back as dicts) as long as it selects the sort keys.

    `filter_first=True` (the first key must be text) is for a selective, indexed filter such as a
    prefix search: the rows are found through the filter's index and sorted, never by walking the
    list in order and filtering. Left to itself the planner picks that walk whenever it guesses
    many rows match, and a prefix late in the alphabet then reads most of the list (54-92 ms
    instead of 0.3 ms at 100,000 customers).

    `default_size` / `max_size`: the list's own page sizes when they are not the API's usual 100 / 1000.
    """
    size = page_size(request, default=default_size, maximum=max_size)
    after = _after_values(_read_token(request, scope), ordering)
    rows = list(_page_queryset(queryset, ordering, filter_first, after)[: size + 1])
    return _next_token(rows, size, ordering, scope)


def seek_page_rows(request, fetch, *, ordering, scope, default_size=DEFAULT_SIZE, max_size=MAX_SIZE):
    """seek_page for rows a query of its own reads (e.g. an aggregate in raw SQL), with the same token and paging
    contract: `fetch(after, limit)` returns up to `limit` dict rows in `ordering` (one direction, ending with a
    unique key) strictly after the sort values `after` (None on a first page); the rows carry the sort keys as
    JSON values (text, numbers)."""
    size = page_size(request, default=default_size, maximum=max_size)
    after = _after_values(_read_token(request, scope), ordering)
    return _next_token(list(fetch(after, size + 1)), size, ordering, scope)


class _Statement:
    """A page query written once: its SQL, the database, the names of its columns and the ORM's converters."""

    __slots__ = ("sql", "db", "names", "converters", "params")

    def __init__(self, queryset):
        compiler = queryset.query.get_compiler(queryset.db)
        self.sql, params = compiler.as_sql()
        self.db = queryset.db
        query = queryset.query
        self.names = (*query.extra_select, *query.values_select, *query.annotation_select)
        self.converters = tuple(compiler.get_converters([column for column, *_rest in compiler.select]).items())
        self.params = params  # only while checking the caller's parameters (seek_page_cached), then dropped

    def fetch(self, params):
        """The rows as sequences in the order of `names`, converters applied."""
        connection = connections[self.db]
        with statement_cursor(self.db) as cursor:
            if connection.vendor == "postgresql":  # uuid columns as their text (str(UUID) is the same text)
                cursor.cursor.adapters.register_loader("uuid", TextLoader)
            cursor.execute(self.sql, params)
            values = cursor.fetchall()
        if self.converters:
            values = [list(row) for row in values]
            for row in values:
                for position, (converters, expression) in self.converters:
                    for converter in converters:
                        row[position] = converter(row[position], expression, connection)
        return values

    def rows(self, params):
        names = self.names
        return [dict(zip(names, row, strict=True)) for row in self.fetch(params)]


_STATEMENTS = {}  # (key, filter_first, continued, size) -> _Statement, or None where the parameters did not check
_STATEMENTS_MAX = 512
_statements_lock = threading.Lock()


def _uuids_as_text(rows):
    return [{name: str(value) if isinstance(value, uuid.UUID) else value for name, value in row.items()}
            for row in rows]


def seek_page_cached(request, build, *, key, params, ordering, scope, filter_first=False, item=None):
    """seek_page for a hot list whose query has few shapes: each shape's SQL is compiled by the ORM once per
    process, and a request only binds its values and runs it (no queryset is built, nothing is compiled).

    `build()` returns the `.values()` queryset seek_page would be given; it is called only the first time a shape
    is seen. `key` names the shape: everything that changes the SQL (which filters are present, the kind of
    actor), never a value. `params` are the queryset's parameters for this request, in the order the ORM binds
    them; the page's own (the continuation token's sort values) follow them. The first time a shape is seen the
    ORM's statement is compiled and its parameters compared with `params` + the token's values: if they differ
    (the query was changed and `params` was not), that shape keeps going through the ORM, so an answer is never
    wrong, only slower. Rows come back as `.values()` gives them, converters applied, except that a UUID comes as
    its text (`str(uuid)`; making 200 UUID objects and their text was a fifth of a customer page). The ordering must run in
    one direction (a row comparison binds the sort values once each); otherwise this is seek_page.

    `item` (seek_page_json): answer (the page's values of that field, next_token) instead, without making a dict of
    every row.
    """
    size = page_size(request)
    after = _after_values(_read_token(request, scope), ordering)
    bound = [*params, *(after or ())]
    statement_key = (key, filter_first, after is not None, size)
    statement = _STATEMENTS.get(statement_key, False)
    if statement is False:
        queryset = _page_queryset(build(), ordering, filter_first, after)[: size + 1]
        statement = None
        if queryset._iterable_class is ValuesIterable and len({f.startswith("-") for f in ordering}) == 1:
            statement = _Statement(queryset)
            if list(statement.params) != bound:
                statement = None
            else:
                del statement.params
        with _statements_lock:
            if len(_STATEMENTS) >= _STATEMENTS_MAX:
                _STATEMENTS.pop(next(iter(_STATEMENTS)))
            _STATEMENTS[statement_key] = statement
        if statement is None:
            return _picked(_next_token(_uuids_as_text(queryset), size, ordering, scope), item)
    elif statement is None:
        queryset = _page_queryset(build(), ordering, filter_first, after)[: size + 1]
        return _picked(_next_token(_uuids_as_text(queryset), size, ordering, scope), item)
    if item is None:
        return _next_token(statement.rows(bound), size, ordering, scope)
    values, names = statement.fetch(bound), statement.names
    next_token = None
    if len(values) > size:  # as _next_token; the last row kept is the only one made a dict
        values = values[:size]
        next_token = _token_after(dict(zip(names, values[-1], strict=True)), ordering, scope)
    position = names.index(item)
    return [row[position] for row in values], next_token


def _picked(page, item):
    rows, next_token = page
    return (rows, next_token) if item is None else ([row[item] for row in rows], next_token)


def seek_page_json(request, build, *, key, params, ordering, scope, filter_first=False, item="item_json"):
    """seek_page_cached for a list whose items PostgreSQL writes as JSON (core.api.sql_json): `build()` returns a
    `.values()` queryset of the ordering's fields and `item`, an annotation made by json_text(). Returns
    (JSONArray of the page's items, next_token); no item is built or parsed in Python. Its statements are kept apart
    from seek_page_cached's under the same `key`."""
    items, next_token = seek_page_cached(request, build, key=("json", item, key), params=params, ordering=ordering,
                                         scope=scope, filter_first=filter_first, item=item)
    return JSONArray.of(items), next_token


def seek_chain(request, parts, *, scope):
    """seek_page over several lists shown one after the other (e.g. a customer's Azure plans, then its legacy
    subscriptions): `parts` is [(queryset, ordering), ...]; returns (rows, next_token) with the same continuation
    contract. The token names the part and the sort values of the last row in it."""
    size = page_size(request)
    payload = _read_token(request, scope)
    start, values = 0, None
    if payload is not None:
        start, values = payload.get("p"), payload.get("v", [])
        if not isinstance(start, int) or not 0 <= start < len(parts) or len(values) != len(parts[start][1]):
            raise InvalidInput(_("The continuation token belongs to another query."), field="MS-ContinuationToken")
    rows = []
    for index in range(start, len(parts)):
        queryset, ordering = parts[index]
        queryset = queryset.order_by(*ordering)
        if index == start and values is not None:
            queryset = queryset.filter(_after(ordering, values))
        rows.extend((index, row) for row in queryset[: size + 1 - len(rows)])
        if len(rows) > size:
            break
    next_token = None
    if len(rows) > size:
        rows = rows[:size]
        index, last = rows[-1]
        next_token = continuation.dumps({"s": scope, "p": index, "v": _sort_values(last, parts[index][1])})
    return [row for _index, row in rows], next_token


def _read_token(request, scope):
    """The signed payload of the request's continuation token (None on a first page)."""
    token = request.headers.get("MS-ContinuationToken") or _query_value(request, "continuationToken")
    if not token:
        return None
    seek = (_query_value(request, "seekOperation") or "").lower()
    if seek and seek != "next":
        raise InvalidInput(_("Only seekOperation=Next is supported."), field="seekOperation")
    try:
        payload = continuation.loads(token)
    except signing.BadSignature:
        raise InvalidInput(_("The continuation token is not valid."), field="MS-ContinuationToken") from None
    if not isinstance(payload, dict) or payload.get("s") != scope or not isinstance(payload.get("v"), list):
        raise InvalidInput(_("The continuation token belongs to another query."), field="MS-ContinuationToken")
    return payload


def _sort_values(last, ordering):
    if isinstance(last, dict):  # a .values() queryset: the sort keys must be among its fields
        return [_plain(last[f.lstrip("-")]) for f in ordering]
    values = []
    for field in ordering:
        value = last
        for part in field.lstrip("-").split("__"):
            value = getattr(value, part)
        values.append(_plain(value))
    return values


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
