"""core.db.server_bound around the API views: the ORM's statements bind on the server and are prepared, the query log
keeps the values, long bulk statements are split, and the connection is back to client-side binding afterwards.
(Here, not in core/tests: it drives customers through the API.)"""

import uuid

import psycopg
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db


def _prepared(text):
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", [f"%{text}%"])
        return cursor.fetchone()[0]


def test_api_requests_bind_on_the_server_and_prepare_their_statements(api, org):
    """Inside an API view every cursor binds on the server (core.db.server_bound): the ORM's own lookup of the
    customer is prepared once it has run five times on the connection; outside, Django's client-side cursor is
    back, so pages, tasks and raw SQL elsewhere are unchanged."""
    from django.db.backends.postgresql.base import ServerBindingCursor

    from customers.tests.factories import CustomerFactory

    customer = CustomerFactory(organisation=org)
    default_factory = connection.connection.cursor_factory if connection.connection else None
    for _ in range(6):
        response = api.get(f"/v1/customers/{customer.tenant_id}")
        assert response.status_code == 200, response.content
        assert response.json()["id"] == str(customer.tenant_id)
    assert _prepared('FROM "customers_customer"') >= 1
    assert connection.connection.cursor_factory is not ServerBindingCursor
    if default_factory is not None:
        assert connection.connection.cursor_factory is default_factory
    with connection.cursor() as cursor:
        assert isinstance(cursor.cursor, psycopg.ClientCursor)


def test_server_bound_leaves_the_connection_alone_without_prepare_threshold(monkeypatch):
    from core.db import server_bound

    monkeypatch.setitem(connection.settings_dict["OPTIONS"], "prepare_threshold", None)
    with server_bound(), connection.cursor() as cursor:
        assert isinstance(cursor.cursor, psycopg.ClientCursor)


def test_server_bound_logs_values_and_splits_long_statements(org):
    """Inside the block the query log still shows the values, and bulk_create splits at PostgreSQL's 65,535
    parameters per statement (one bound statement cannot carry more); after it, Django's defaults are back."""
    from accounts.models import Organisation
    from core.db import server_bound
    from customers.models import Customer
    from customers.tests.factories import CustomerFactory

    template = CustomerFactory.build(organisation=org)
    fields = [f.attname for f in Customer._meta.concrete_fields if f.attname != "id"]
    with server_bound(), CaptureQueriesContext(connection) as queries:
        assert connection.features.max_query_params == 2**16 - 1
        Organisation.objects.filter(pk=org.pk).exists()
        count = 65_535 // len(fields) + 10  # more rows than one statement can bind
        Customer.objects.bulk_create(
            [Customer(**{**{f: getattr(template, f) for f in fields}, "tenant_id": uuid.uuid4(),
                         "commerce_id": uuid.uuid4(), "domain": f"bulk{n}.onmicrosoft.com"}) for n in range(count)])
    assert f"= {org.pk}" in queries.captured_queries[0]["sql"]  # the value, not $1
    assert sum(q["sql"].startswith('INSERT INTO "customers_customer"') for q in queries.captured_queries) == 2
    assert Customer.objects.filter(domain__startswith="bulk").count() == count
    assert connection.features.max_query_params is None
    assert connection.features.uses_server_side_binding is False


def test_ddl_of_a_new_usage_month_runs_inside_an_api_request():
    """A usage import an API request runs eagerly creates and attaches the month's partition: its DDL takes the
    dates as literals (a server-bound cursor would send $1, which DDL refuses)."""
    import datetime as dt

    from billing.usage import partitions
    from core.db import server_bound

    month = dt.date(2031, 7, 1)
    with server_bound():
        assert partitions.ensure_usage_partitions(month, dt.date(2031, 7, 15)) == [partitions.partition_name(month)]
        built = partitions.build_detached_partitions([dt.date(2031, 8, 1)])
        partitions.attach_partitions(built)
    assert {partitions.partition_name(month), partitions.partition_name(dt.date(2031, 8, 1))} <= (
        partitions.existing_partitions())


def test_a_task_run_eagerly_inside_an_api_request_binds_on_the_client():
    """core.celery_task.PortalTask: a task body runs client-bound even inside server_bound (eager Celery), and the
    request's server binding is back after it."""
    from django.db.backends.postgresql.base import ServerBindingCursor

    from core.db import server_bound
    from partnercenter.celery import app

    @app.task(name="tests.cursor_kind")
    def cursor_kind():
        with connection.cursor() as cursor:
            return type(cursor.cursor).__name__, connection.features.max_query_params

    with server_bound():
        assert cursor_kind.apply().get() == ("Cursor", None)
        assert connection.connection.cursor_factory is ServerBindingCursor
        assert connection.features.max_query_params == 2**16 - 1
    assert cursor_kind.apply().get() == ("Cursor", None)
