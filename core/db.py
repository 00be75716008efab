"""Database helpers shared by migrations, tests and benchmarks."""

import functools
from contextlib import contextmanager
from urllib.parse import quote, urlencode

from django.db import connections, migrations


def append_only(table: str, what: str) -> migrations.RunSQL:
    """A trigger that refuses UPDATE and DELETE on `table` (rows are written once, never changed).
    TRUNCATE stays possible for the database owner (the test runner empties tables with it)."""
    function = f"{table}_append_only"
    return migrations.RunSQL(
        f"""
        CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION '{what} are never edited or deleted (% refused)', TG_OP;
        END;
        $$ LANGUAGE plpgsql;
        CREATE TRIGGER {table}_no_update_delete
            BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION {function}();
        """,
        f"DROP TRIGGER IF EXISTS {table}_no_update_delete ON {table}; DROP FUNCTION IF EXISTS {function}();",
    )


def database_url(settings_dict) -> str:
    """A libpq URL for a Django database's settings, for a process started beside it (a Celery worker in a test or a
    benchmark) that must reach the same database. Host and port may sit in OPTIONS: the embedded server's URL names
    a Unix socket there (`?host=/.../.data/pg`)."""
    options = settings_dict.get("OPTIONS") or {}
    host = str(settings_dict.get("HOST") or options.get("host") or "")
    port = str(settings_dict.get("PORT") or options.get("port") or "")
    user = quote(settings_dict.get("USER") or "", safe="")
    password = ":" + quote(settings_dict["PASSWORD"], safe="") if settings_dict.get("PASSWORD") else ""
    name = quote(settings_dict["NAME"], safe="")
    if host.startswith("/"):
        return f"postgresql://{user}{password}@/{name}?" + urlencode({"host": host, **({"port": port} if port else {})})
    return f"postgresql://{user}{password}@{host or '127.0.0.1'}:{port or 5432}/{name}"


@contextmanager
def statement_cursor(alias="default"):
    """A cursor for the few statements that every API request runs, each written once per process
    (accounts.credential_lookup, core.api.pagination.seek_page_cached). On PostgreSQL it binds parameters on the
    server, so psycopg prepares a statement once it has run it five times on a connection (its prepare_threshold)
    and PostgreSQL stops planning it on every request (about 0.2 ms each for the token lookup and a customer
    page). Django's own cursors bind on the client and are never prepared. Queries run through it are counted
    and logged as any other, with their values in the SQL as a client-side cursor logs them. Without
    OPTIONS["prepare_threshold"] (`DATABASE_PREPARED_STATEMENTS=false`, for a pooler that cannot keep prepared
    statements) it is Django's cursor."""
    connection = connections[alias]
    if connection.vendor != "postgresql" or connection.settings_dict["OPTIONS"].get("prepare_threshold") is None:
        with connection.cursor() as cursor:
            yield cursor
        return
    import psycopg
    from django.db.backends.postgresql.base import TIMESTAMPTZ_OID
    from django.db.backends.postgresql.psycopg_any import register_tzloader
    from psycopg.pq import Format

    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        raw = psycopg.Cursor(connection.connection)
        # As Django's create_cursor: the connection's time zone, only where the connection's loader disagrees.
        if connection.timezone != connection.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT).timezone:
            register_tzloader(connection.timezone, raw)
        # Django's wrappers (as _prepare_cursor): error wrapping, and query logging/counting when it is on.
        connection.validate_thread_sharing()
        cursor = _logged_cursor_class()(raw, connection) if connection.queries_logged else connection.make_cursor(raw)
    with cursor:
        yield cursor


@functools.cache
def _logged_cursor_class():
    from django.db.backends.postgresql.base import CursorDebugWrapper

    class LoggedAsClientBound(CursorDebugWrapper):
        """Logs the statement with its values written in (what Django logs for its own cursors), not `$1`."""

        def debug_sql(self, sql=None, params=None, use_last_executed_query=False, many=False):
            if use_last_executed_query and not many:
                try:
                    sql, use_last_executed_query = self.db.ops.compose_sql(sql, params), False
                except Exception:  # noqa: S110 - unprintable values: Django's own text; the query will fail itself
                    pass
            return super().debug_sql(sql, params, use_last_executed_query, many)

    return LoggedAsClientBound


@contextmanager
def server_bound(alias="default"):
    """Inside the block, the connection's cursors (Django's ORM included) bind parameters on the server, so psycopg
    prepares each statement the connection has run five times (its prepare_threshold) and PostgreSQL stops parsing
    and planning it again (an API request runs the same few dozen statements every time: about a third of its
    database time went to parsing and planning them). Around the API views (core.api.views.PCAPIView.dispatch);
    raw SQL they run is written for either binding: a parameter used in two places has one type (cast it), and DDL
    (ALTER, ATTACH, PARTITION OF bounds) takes no parameters. Tasks run client-bound even when a request runs them
    eagerly (core.celery_task.PortalTask). Without OPTIONS["prepare_threshold"] (`DATABASE_PREPARED_STATEMENTS=false`)
    nothing changes."""
    connection = connections[alias]
    if connection.vendor != "postgresql" or connection.settings_dict["OPTIONS"].get("prepare_threshold") is None:
        yield
        return
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with _bound(connection, ServerBindingCursor, _SERVER_BINDING_FEATURES):
        yield


@contextmanager
def client_bound(alias="default"):
    """The reverse of server_bound for a block inside it (a task a request runs eagerly, with SQL written for
    Django's client-side binding): Django's own cursor and binding flags again. Outside server_bound, nothing
    changes (no connection is opened)."""
    connection = connections[alias]
    raw = connection.connection if connection.vendor == "postgresql" else None
    if raw is None or raw.closed or not connection.features.__dict__.get("uses_server_side_binding"):
        yield
        return
    from django.db.backends.postgresql.base import Cursor

    with _bound(connection, Cursor, _CLIENT_BINDING_FEATURES):
        yield


@contextmanager
def _bound(connection, cursor_factory, flags):
    """The connection's cursor factory and Django's binding flags (its query log writes the values in, not $1;
    bulk_create and long IN lists split at PostgreSQL's 65,535 parameters per statement when bound on the server)
    for the block, put back after it."""
    raw = connection.connection
    previous = raw.cursor_factory
    raw.cursor_factory = cursor_factory
    features = connection.features.__dict__
    saved = {name: features.get(name, _UNSET) for name in flags}
    features.update(flags)
    try:
        yield
    finally:
        if not raw.closed:
            raw.cursor_factory = previous
        for name, value in saved.items():
            if value is _UNSET:
                features.pop(name, None)
            else:
                features[name] = value


_UNSET = object()
_SERVER_BINDING_FEATURES = {"uses_server_side_binding": True, "max_query_params": 2**16 - 1}
_CLIENT_BINDING_FEATURES = {"uses_server_side_binding": False, "max_query_params": None}
