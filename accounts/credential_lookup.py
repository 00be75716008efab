"""The credential behind a bearer token hash, with its organisation and user: one SQL statement written once per
process.

Every /v1/ bearer request starts here. Through the ORM, `select_related("organisation", "user",
"user__organisation")` cost about 1.5 ms of Python to compile, ten times what PostgreSQL needs to run it. The
statement never changes, so it is built once from the models' fields; each request runs it and builds the
instances with `Model.from_db`, applying the database converters the ORM applies. The related objects are cached
on the instances as select_related caches them (reading them runs no query); `credential.user` is None for an
application credential. A personal token's user belongs to the token's organisation, so `user.organisation` is
that same instance and the statement joins three tables, not four (a fourth join doubles PostgreSQL's planning
time); were they ever different rows, reading `user.organisation` would load it as any foreign key does.
"""

import functools
from dataclasses import dataclass

from django.db import connections, router
from django.db.models import Model
from django.db.models.base import ModelState
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.signals import post_init, pre_init

from core.db import statement_cursor

from .models import ApiCredential, Organisation, User


@dataclass(frozen=True)
class _Part:
    model: type
    alias: str
    attnames: tuple
    converters: tuple  # per column: (converter, column expression) pairs to apply, in order (empty for most)
    pk_index: int
    converters_any: bool  # whether any column has a converter
    plain: bool  # Model.__init__ and no attribute that sets itself (but foreign keys' ids): __dict__ will do


@dataclass(frozen=True)
class _Plan:
    sql: str
    parts: tuple  # credential, organisation, user


def _part(model, alias, connection):
    fields = model._meta.concrete_fields
    converters = []
    for field in fields:
        column = field.get_col(alias)
        converters.append(tuple((converter, column) for converter in
                                connection.ops.get_db_converters(column) + column.get_db_converters(connection)))
    attnames = tuple(f.attname for f in fields)
    part = _Part(model, alias, attnames, tuple(converters), attnames.index(model._meta.pk.attname),
                 any(converters), _plain(model, attnames))
    return part, [
        f"{connection.ops.quote_name(alias)}.{connection.ops.quote_name(f.column)}" for f in fields]


def _plain(model, attnames):
    """Whether setting each field's attribute (what Model.__init__ does) is writing it into the instance's __dict__:
    the model's own __init__ is Model's, and no attribute is a data descriptor other than a foreign key's id (whose
    __set__ writes __dict__ too, after dropping a cached related object a new instance does not have)."""
    if model.__init__ is not Model.__init__:
        return False
    for name in attnames:
        attribute = next((klass.__dict__[name] for klass in model.__mro__ if name in klass.__dict__), None)
        if hasattr(type(attribute), "__set__") and not isinstance(attribute, ForeignKeyDeferredAttribute):
            return False
    return True


@functools.cache
def _plan(alias):
    connection = connections[alias]
    quote = connection.ops.quote_name
    parts, columns = [], []
    for model, table_alias in ((ApiCredential, "c"), (Organisation, "o"), (User, "u")):
        part, part_columns = _part(model, table_alias, connection)
        parts.append(part)
        columns += part_columns

    def fk(model, name):
        return quote(model._meta.get_field(name).column)

    # Names from the models' metadata, quoted; the token hash is the only parameter.
    sql = (
        f"SELECT {', '.join(columns)} FROM {quote(ApiCredential._meta.db_table)} c "  # noqa: S608
        f"INNER JOIN {quote(Organisation._meta.db_table)} o ON o.{quote(Organisation._meta.pk.column)} = "
        f"c.{fk(ApiCredential, 'organisation')} "
        f"LEFT OUTER JOIN {quote(User._meta.db_table)} u ON u.{quote(User._meta.pk.column)} = c.{fk(ApiCredential, 'user')} "
        f"WHERE c.{fk(ApiCredential, 'token_hash')} = %s"
    )
    return _Plan(sql, tuple(parts))


def _instance(part, values, db, connection):
    if values[part.pk_index] is None:
        return None  # the LEFT JOIN found no row
    if part.converters_any:
        converted = []
        for value, converters in zip(values, part.converters, strict=True):
            for converter, expression in converters:
                value = converter(value, expression, connection)
            converted.append(value)
        values = converted
    model = part.model
    if not part.plain or pre_init.has_listeners(model) or post_init.has_listeners(model):
        return model.from_db(db, part.attnames, values)
    # What Model.from_db makes of a full row (Model.__init__ with every field as a positional value: each value set
    # as the instance's attribute, the state not adding, from `db`), without the call per field: with no pre_init or
    # post_init listener the instance is the same (accounts' tests compare it with select_related's).
    instance = model.__new__(model)
    instance.__dict__.update(zip(part.attnames, values, strict=True))
    state = instance._state = ModelState()
    state.adding, state.db = False, db
    return instance


def credential_by_token_hash(token_hash):
    """The credential with that token hash (organisation and user loaded), or None."""
    db = router.db_for_read(ApiCredential)
    plan, connection = _plan(db), connections[db]
    with statement_cursor(db) as cursor:  # prepared once it has run a few times (core.db)
        cursor.execute(plan.sql, [token_hash])
        row = cursor.fetchone()
    if row is None:
        return None
    instances, position = [], 0
    for part in plan.parts:
        width = len(part.attnames)
        instances.append(_instance(part, row[position:position + width], db, connection))
        position += width
    credential, organisation, user = instances
    ApiCredential._meta.get_field("organisation").set_cached_value(credential, organisation)
    ApiCredential._meta.get_field("user").set_cached_value(credential, user)
    if user is not None and user.organisation_id == organisation.pk:
        User._meta.get_field("organisation").set_cached_value(user, organisation)
    return credential
