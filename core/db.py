"""Database helpers shared by migrations."""

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
