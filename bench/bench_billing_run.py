"""A billing run at the issue's scale: 2,000 customers and 3,000,000 rated usage lines of one closed month billed in
one run, against a floor of bare SQL in the same run; a second run writes 0 rows (asserted).

Set-up, not measured: the partner's 2,000 customers, Azure plans and 3,000 Azure subscriptions (bench_usage's
estate, INSERT ... SELECT over generate_series), then the month's rated usage written by one INSERT ... SELECT over
generate_series straight into the month's partition, rated columns filled (unit price, PEC 0 or 15 %, effective
price, pricing and billing amounts rounded down to the cent, exchange rate 1, rated_at): the subscription x day x
meter of each line from the line's number, so every line is distinct under the usage's natural key.

Measured:
- floor: bare SQL, one transaction: the month's lines grouped into invoice lines (lines_sql.line_select, the same
  grouping) by one INSERT ... SELECT into a bare copy of the invoice line table (no index, no trigger, no foreign
  key), then the invoice's totals summed from it (best of 2);
- the run: `billing.invoicing.runs.billing_run_start` (the checks: month closed, no unrated usage, the rate; the
  draft and the chunks of 200 customers) then `billing_run_execute` (every chunk's transaction in this process,
  synchronously, as a worker runs it, then the finishing step: totals, number, ClosedUsageMonth); target at most 2x
  the floor;
- a second run: refused (MonthAlreadyInvoiced) and every chunk task run again: 0 rows written (asserted).

BENCH_BILLING_LINES changes the usage line count (default 3,000,000)."""

import os
import time
from datetime import UTC, datetime, timedelta

LINES = int(os.environ.get("BENCH_BILLING_LINES", "3000000"))
MAX_RATIO = 2.0


def _usage(org, month, last):
    """LINES rated usage rows of `month` for the partner's Azure subscriptions, in one INSERT ... SELECT."""
    from django.db import connection

    from billing.models import UsageRecord
    from billing.usage.partitions import ensure_usage_partitions, partition_name

    ensure_usage_partitions(month, last)
    days = (last - month).days + 1
    rated_at = datetime.now(UTC)
    values = {
        "organisation_id": "%(org)s", "customer_id": "b.customer_id", "azure_plan_id": "b.plan_id",
        "azure_subscription_id": "b.sub_id", "usage_date": "%(m0)s::date + ((i / %(subs)s) %% %(days)s)::int",
        "product_id": "'DZH318Z0BQ4X'", "sku_id": "lpad((i / (%(subs)s * %(days)s))::text, 4, '0')",
        "meter_id": "md5('meter' || (i / (%(subs)s * %(days)s)))::uuid::text",
        "product_name": "'Virtual Machines'", "sku_name": "'D' || (i / (%(subs)s * %(days)s)) || ' v3'",
        "meter_name": "'D' || (i / (%(subs)s * %(days)s)) || ' v3'", "meter_category": "'Virtual Machines'",
        "publisher_name": "'Microsoft'", "unit": "'1 Hour'", "resource_group": "'rg-app'",
        "resource_uri": "'/subscriptions/' || b.subscription_id || '/resourceGroups/rg-app/vm1'",
        "quantity": "q.quantity", "rated_at": "%(rated_at)s", "unit_price": "q.price",
        "pec_percentage": "b.pec", "effective_unit_price": "q.price * (1 - b.pec / 100)",
        "pricing_currency": "'USD'", "billing_currency": "'USD'", "exchange_rate": "1",
        "exchange_rate_date": "%(last)s::date",
        "pricing_pre_tax_total": "floor(q.price * (1 - b.pec / 100) * q.quantity * 100) / 100",
        "billing_pre_tax_total": "floor(q.price * (1 - b.pec / 100) * q.quantity * 100) / 100",
    }
    # The partition has no default of its own for id: the parent's sequence (as rows routed through it get).
    columns, expressions = ["id"], [f"nextval(pg_get_serial_sequence('{UsageRecord._meta.db_table}', 'id'))"]
    for field in UsageRecord._meta.concrete_fields:
        if field.column == "id":
            continue
        name = field.attname
        if name in values:
            expression = values[name]
        elif field.null:
            expression = "NULL"
        elif field.get_internal_type() in ("CharField", "TextField"):
            expression = "''"
        else:
            raise RuntimeError(f"no value for {name}")
        columns.append(field.column)
        expressions.append(expression)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bench_subs AS SELECT row_number() OVER (ORDER BY s.id) - 1 AS n, s.id AS sub_id, "
            "s.subscription_id, p.id AS plan_id, c.id AS customer_id, CASE WHEN s.id %% 2 = 0 THEN 15 ELSE 0 END "
            "AS pec FROM azureplan_azuresubscription s "
            "JOIN azureplan_azureplan p ON p.id = s.plan_id JOIN customers_customer c ON c.id = p.customer_id "
            "WHERE c.organisation_id = %s", [org.pk])
        cursor.execute("CREATE UNIQUE INDEX ON bench_subs (n)")
        cursor.execute("ANALYZE bench_subs")
        cursor.execute("SELECT count(*) FROM bench_subs")
        subs = cursor.fetchone()[0]
        cursor.execute(
            f"INSERT INTO {partition_name(month)} ({', '.join(columns)}) "  # noqa: S608 (model columns)
            f"SELECT {', '.join(expressions)} FROM generate_series(0, %(lines)s - 1) AS i "
            "JOIN bench_subs b ON b.n = i %% %(subs)s "
            "CROSS JOIN LATERAL (SELECT round((1 + (i %% 97)) / 4.0, 4) AS quantity, "
            "0.05 + ((i / (%(subs)s * %(days)s)) %% 40) * 0.037 AS price) q",
            {"org": org.pk, "m0": month, "last": last, "days": days, "lines": LINES, "rated_at": rated_at,
             "subs": subs})
        written = cursor.rowcount
        cursor.execute("DROP TABLE bench_subs")
        cursor.execute(f"ANALYZE {partition_name(month)}")
    return written


def _count_lines():
    from billing.models import InvoiceLine

    return InvoiceLine.objects.count()


def run():
    from django.db import connection, transaction

    from accounts.actors import actor_for_user
    from accounts.models import Country, Organisation, User
    from billing.errors import MonthAlreadyInvoiced
    from billing.invoicing import lines_sql, runs
    from billing.models import BillingRunChunk, Invoice, InvoiceLine
    from billing.usage.generator import month_end

    from .bench_usage import _estate

    today = datetime.now(UTC).date()
    month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    last = month_end(month)
    started = time.perf_counter()
    with transaction.atomic():
        org = Organisation.objects.create(name="Bench billing partner", partner_id="9900013", tier="direct_bill",
                                          country=Country.objects.get(code="US"))
        admin = User.objects.create_user(email="admin@bench-billing.example.com", organisation=org, first_name="B",
                                         last_name="A", roles=["global_admin", "billing_admin"],
                                         activated_at=org.created_at)
        subscriptions = _estate(org, month)
        written = _usage(org, month, last)
    assert written == LINES, written
    print(f"  2000 customers, {subscriptions} Azure subscriptions, {written} rated usage lines of {month:%Y-%m} "
          f"written in {time.perf_counter() - started:.1f}s (set-up)")
    actor = actor_for_user(admin, request_id="bench")
    params = {"org": org.pk, "m0": month, "m1": (last + timedelta(days=1)), "last": last}

    def floor():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS bench_floor_lines; CREATE TABLE bench_floor_lines "
                           f"(LIKE {InvoiceLine._meta.db_table} INCLUDING DEFAULTS INCLUDING IDENTITY)")
            cursor.execute(f"INSERT INTO bench_floor_lines (invoice_id, {', '.join(lines_sql.LINE_COLUMNS)}) "  # noqa: S608
                           f"SELECT 0, s.* FROM ({lines_sql.line_select()}) s", params)
            cursor.execute("SELECT count(*), sum(subtotal), sum(pricing_pre_tax_total) FROM bench_floor_lines")
            return cursor.fetchone()

    floor_times, floor_result = [], None
    for _ in range(2):
        begin = time.perf_counter()
        floor_result = floor()
        floor_times.append(time.perf_counter() - begin)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_floor_lines")
    floor_seconds = min(floor_times)
    floor_text = f"bare SQL: {LINES} lines into {floor_result[0]} invoice lines, one INSERT ... SELECT, + totals"

    begin = time.perf_counter()
    run = runs.billing_run_start(actor=actor, organisation_id=org.pk, month=month, enqueue=False)
    run = runs.billing_run_execute(run)
    seconds = time.perf_counter() - begin
    invoice = Invoice.objects.get(pk=run.invoice_id)
    assert invoice.status == "finalized" and invoice.number == "G000000001", invoice
    assert invoice.line_count == floor_result[0] == run.lines_written, (invoice.line_count, floor_result)
    assert invoice.total_amount == floor_result[1] and invoice.pricing_total == floor_result[2]
    chunks = BillingRunChunk.objects.filter(run=run).count()
    print(f"  the run: {chunks} chunks of {runs.CHUNK_CUSTOMERS} customers, {invoice.line_count} invoice lines, "
          f"{invoice.total_amount} {invoice.currency}, {invoice.number}")

    before = _count_lines()
    begin = time.perf_counter()
    try:
        runs.billing_run_start(actor=actor, organisation_id=org.pk, month=month, enqueue=False)
    except MonthAlreadyInvoiced:
        pass
    else:
        raise AssertionError("a second run of the same month was not refused")
    again = sum(runs.run_chunk(chunk_id) for chunk_id in BillingRunChunk.objects.filter(run=run)
                .values_list("pk", flat=True))
    repeat_seconds = time.perf_counter() - begin
    assert again == 0 and _count_lines() == before, (again, before)
    print(f"  a second run: refused (MonthAlreadyInvoiced), its chunk tasks again: {again} rows written")
    return [
        {"name": f"bench_billing_run floor: {LINES} lines", "seconds": floor_seconds, "floor_seconds": floor_seconds,
         "floor": floor_text},
        {"name": "bench_billing_run: the run (chunks in-process)", "seconds": seconds, "floor_seconds": floor_seconds,
         "floor": floor_text, "max_ratio": MAX_RATIO},
        {"name": "bench_billing_run: a second run (0 rows)", "seconds": repeat_seconds,
         "floor_seconds": floor_seconds, "floor": floor_text, "max_ratio": 0.5},
    ]
