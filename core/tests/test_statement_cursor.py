"""core.db.statement_cursor: the hot statements are prepared on the server after a few runs, are still counted and
logged with their values, and without prepare_threshold are run by Django's own cursor."""

import datetime

import psycopg
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.db import statement_cursor

pytestmark = pytest.mark.django_db

SQL = "SELECT code, %s::timestamptz FROM accounts_country WHERE code = %s"


def _prepared(text):
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", [f"%{text}%"])
        return cursor.fetchone()[0]


def test_prepared_after_five_runs_and_logged_with_its_values():
    assert connection.settings_dict["OPTIONS"]["prepare_threshold"] == 5  # DATABASE_PREPARED_STATEMENTS on
    when = datetime.datetime(2026, 3, 1, 12, tzinfo=datetime.UTC)
    marker = "code = $2 AND 'statement-cursor-test' = 'statement-cursor-test'"
    sql = SQL + " AND 'statement-cursor-test' = 'statement-cursor-test'"
    with CaptureQueriesContext(connection) as queries:
        for _ in range(6):
            with statement_cursor() as cursor:
                cursor.execute(sql, [when, "FR"])
                assert cursor.fetchall() == [("FR", when)]  # time zones as Django's cursors load them
    assert len(queries.captured_queries) == 6
    assert "code = 'FR'" in queries.captured_queries[-1]["sql"]  # the values, not $2
    assert _prepared(marker) == 1


def test_without_prepare_threshold_it_is_djangos_cursor(monkeypatch):
    monkeypatch.setitem(connection.settings_dict["OPTIONS"], "prepare_threshold", None)
    with statement_cursor() as cursor:
        cursor.execute(SQL + " AND 'plain-cursor-test' = 'plain-cursor-test'", [None, "FR"])
        assert cursor.fetchall() == [("FR", None)]
        assert isinstance(cursor.cursor, psycopg.ClientCursor)  # binds on the client: never prepared
    assert _prepared("plain-cursor-test") == 0


def test_database_errors_are_djangos():
    from django.db import ProgrammingError

    with pytest.raises(ProgrammingError), statement_cursor() as cursor:
        cursor.execute("SELECT no_such_column FROM accounts_country WHERE code = %s", ["FR"])
