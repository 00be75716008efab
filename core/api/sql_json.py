"""A list's items written as JSON by PostgreSQL, byte for byte what core.api.renderers writes for the same dicts.

A hot list (GET /v1/customers) builds a hundred dicts of dicts per page and renders them; PostgreSQL can write the
same text while it reads the rows, as the API's HTTP floor does (bench/bench_customer_http.py). An item is described
once as the dict it renders, with SQL values where the rows' values go:

    {"id": Text("tenant_id"), "links": {"self": {"uri": Text("/customers/", F("tenant_id")), "method": "GET"}},
     "associatedPartnerId": IfNotNull(Text("reseller__tenant_id")), "attributes": {"objectType": "Customer"}}

`json_text(template)` turns it into one expression (a `.values()` annotation) whose text is that JSON: constants are
written by the renderer itself, keys in the template's order, no spaces; a `Text` value is PostgreSQL's `to_json` of
the value's text, whose escapes are orjson's (`\\"`, `\\\\`, `\\b \\f \\n \\r \\t`, `\\u00xx` in lower case for the
other control characters, everything else as it is; text cannot hold NUL). U+2028 and U+2029 are escaped by the
renderer over the whole answer, as for any other answer. The page's rows become one `JSONArray`
(core.api.renderers), which the renderer writes as it is. The expression binds no parameter, so a statement compiled
once per shape (core.api.pagination.seek_page_cached) binds what the plain query binds.
"""

from django.core.exceptions import FieldError
from django.db.models import Expression, F, TextField
from django.db.models.expressions import Col
from django.db.models.sql.constants import INNER
from django.db.models.sql.datastructures import BaseTable

from .renderers import JSONArray, PartnerCenterJSONRenderer

__all__ = ["IfNotNull", "JSONArray", "Text", "json_text"]


class Text:
    """A JSON string of an SQL value's text (JSON null when it is NULL). One string is a field name
    (`Text("domain")`); several parts are written one after the other as in an f-string, strings as literal text and
    expressions as their values (`Text("/customers/", F("tenant_id"))`)."""

    def __init__(self, *parts):
        if not parts:
            raise ValueError("Text needs a value")
        if len(parts) == 1 and isinstance(parts[0], str):
            parts = (F(parts[0]),)  # a field name
        self.parts = tuple(part if not isinstance(part, str) else Literal(part) for part in parts)


class Literal:
    """Literal text inside a Text (plain strings among several parts become one)."""

    def __init__(self, text):
        self.text = text


class IfNotNull:
    """A key written only when its value is not NULL (Partner Center's optional properties such as
    `associatedPartnerId`). It cannot be an object's first key."""

    def __init__(self, value):
        if not isinstance(value, Text):
            raise TypeError("IfNotNull takes a Text")
        self.value = value


def _constant(value) -> str:
    return PartnerCenterJSONRenderer().render([value]).decode()[1:-1]  # in a list: the renderer writes None as b""


def _flatten(template, pieces, values):
    """Append the template's JSON to `pieces`: literal JSON text (str), ("text", parts) and ("optional", key text,
    parts); the expressions go to `values`, and parts name them by position."""

    def parts_of(text):
        refs = []
        for part in text.parts:
            if isinstance(part, Literal):
                refs.append(part)
            else:
                refs.append(len(values))
                values.append(part)
        return refs

    if isinstance(template, dict):
        pieces.append("{")
        for index, (key, value) in enumerate(template.items()):
            if not isinstance(key, str):
                raise TypeError("JSON object keys are strings")
            prefix = ("," if index else "") + _constant(key) + ":"
            if isinstance(value, IfNotNull):
                if not index:
                    raise ValueError("an optional key cannot come first")
                pieces.append(("optional", prefix, parts_of(value.value)))
                continue
            pieces.append(prefix)
            _flatten(value, pieces, values)
        pieces.append("}")
    elif isinstance(template, (list, tuple)):
        pieces.append("[")
        for index, value in enumerate(template):
            if index:
                pieces.append(",")
            _flatten(value, pieces, values)
        pieces.append("]")
    elif isinstance(template, Text):
        pieces.append(("text", parts_of(template)))
    elif isinstance(template, IfNotNull):
        raise ValueError("IfNotNull is for an object's values")
    else:
        pieces.append(_constant(template))


def _sql_literal(text):
    # Inside the statement: quotes doubled for SQL, percent signs doubled for the driver's parameter syntax.
    return "'" + text.replace("'", "''").replace("%", "%%") + "'"


class JSONText(Expression):
    """The expression json_text() returns (output: text, never NULL)."""

    output_field = TextField()

    def __init__(self, pieces, values):
        super().__init__(output_field=TextField())
        self.pieces = pieces
        self.values = list(values)

    def get_source_expressions(self):
        return self.values

    def set_source_expressions(self, exprs):
        self.values = list(exprs)

    def as_sql(self, compiler, connection):
        if connection.vendor != "postgresql":
            raise NotImplementedError("json_text needs PostgreSQL")
        compiled, params = [], []
        for value in self.values:
            sql, value_params = compiler.compile(value)
            compiled.append((f"({sql})::text", _plain(value), _may_be_null(value, compiler.query)))
            params.extend(value_params)
        terms = []  # literal JSON text (str) and SQL (_Sql); neighbouring literals are written as one

        add = terms.append

        def text_sql(parts):
            """(terms of the JSON string, may it be NULL)."""
            if all(isinstance(part, Literal) or compiled[part][1] for part in parts):
                # Only literals and values whose text needs no escape (uuids, numbers): quotes around them.
                out = ['"']
                for part in parts:
                    out.append(_escaped(part.text) if isinstance(part, Literal) else _Sql(compiled[part][0]))
                out.append('"')
            else:
                joined = " || ".join(_sql_literal(part.text) if isinstance(part, Literal) else compiled[part][0]
                                     for part in parts)
                out = [_Sql(f"to_json({joined})::text")]
            return out, any(not isinstance(part, Literal) and compiled[part][2] for part in parts)

        for piece in self.pieces:
            if isinstance(piece, str):
                add(piece)
                continue
            kind, *rest = piece
            if kind == "text":
                out, nullable = text_sql(rest[0])
                if nullable:
                    add(_Sql(f"coalesce({_joined(out)}, 'null')"))
                else:
                    for term in out:
                        add(term)
            else:
                prefix, parts = rest
                out, _nullable = text_sql(parts)
                add(_Sql(f"coalesce({_joined([prefix, *out])}, '')"))
        return "(" + _joined(terms) + ")", params


class _Sql(str):
    """SQL text among literal JSON text."""


def _joined(terms):
    merged = []
    for term in terms:
        if type(term) is str and merged and type(merged[-1]) is str:
            merged[-1] += term
        else:
            merged.append(term)
    return " || ".join(term if isinstance(term, _Sql) else _sql_literal(term) for term in merged)


def _escaped(text):
    return _constant(text)[1:-1]  # the JSON string's inside, as the renderer writes it


_PLAIN_TYPES = ("UUIDField", "IntegerField", "BigIntegerField", "SmallIntegerField", "AutoField", "BigAutoField",
                "SmallAutoField", "PositiveIntegerField", "PositiveBigIntegerField", "PositiveSmallIntegerField")


def _plain(expression):
    """Whether the value's text never needs a JSON escape (PostgreSQL writes uuids and integers in plain ASCII)."""
    try:
        return expression.output_field.get_internal_type() in _PLAIN_TYPES
    except (AttributeError, FieldError):
        return False


def _may_be_null(expression, query):
    """False only for a column of a NOT NULL field reached without an outer join."""
    if not isinstance(expression, Col):
        return True
    if expression.target.null:
        return True
    join = query.alias_map.get(expression.alias)
    return not (isinstance(join, BaseTable) or getattr(join, "join_type", None) == INNER)


def json_text(template) -> JSONText:
    """An expression whose text is the JSON the renderer writes for `template` with each `Text` replaced by its
    value (see the module's docstring)."""
    pieces, values = [], []
    _flatten(template, pieces, values)
    return JSONText(pieces, values)
