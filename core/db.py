"""Database helpers shared by migrations, tests and benchmarks."""

from urllib.parse import quote, urlencode

from django.db import migrations


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
