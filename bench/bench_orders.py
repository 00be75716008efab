"""Checkout throughput over HTTP: 8 concurrent API clients buy the Azure plan for distinct customers of one partner
against the portal under gunicorn with production settings (as bench_customer_http starts it).

Each client works through its own customers: POST /v1/customers/{id}/carts, then POST .../checkout with an
MS-RequestId; every fifth checkout is sent twice with the same MS-RequestId (a client retrying after a timeout), and
the retry must answer the same order. Afterwards the database must hold exactly one order and one Azure plan per
customer: 0 duplicates. The partner has a credit limit with room to spare, so the credit check runs on every
checkout. Provisioning is queued (Celery, at commit) but not run: the figure is the checkout's; the queue is purged.

The target is at least TARGET orders per second over the whole run (carts and retries included in the time): the
"floor" is the time TARGET orders/s would take, so the ratio is at most 1 when the target is met.
"""

import http.client
import json
import os
import secrets
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from bench.bench_customer_http import _free_port, _wait

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = 8
PER_CLIENT = 60
TARGET = 50  # orders per second
MAX_RATIO = 1
# gunicorn's sync workers: 2 x cores + 1, gunicorn's usual advice (on 2 cores, 8 workers measured no faster
# than 5: the extra processes only compete for the same cores with PostgreSQL and the clients).
WORKERS = int(os.environ.get("BENCH_ORDERS_WORKERS", str(2 * (os.cpu_count() or 1) + 1)))


def _post(connection, path, token, body=None, headers=None):
    payload = json.dumps(body).encode() if body is not None else b""
    connection.request("POST", path, body=payload, headers={
        "Authorization": f"Bearer {token}", "Host": "127.0.0.1", "Content-Type": "application/json",
        **(headers or {})})
    response = connection.getresponse()
    data = response.read()
    return response.status, data


def _client(port, token, customers, offer, out, errors, latencies=None):
    latencies = {} if latencies is None else latencies
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        for index, tenant in enumerate(customers):
            started = time.perf_counter()
            status, data = _post(connection, f"/v1/customers/{tenant}/carts", token,
                                 {"lineItems": [{"id": 0, "catalogItemId": offer, "quantity": 1,
                                                 "billingCycle": "one_time"}]})
            if status != 201:
                errors.append(("cart", status, data[:200]))
                continue
            cart = json.loads(data)["id"]
            key = str(uuid.uuid4())
            path = f"/v1/customers/{tenant}/carts/{cart}/checkout"
            checkout_start = time.perf_counter()
            status, data = _post(connection, path, token, headers={"MS-RequestId": key})
            latencies.setdefault("cart", []).append(checkout_start - started)
            latencies.setdefault("checkout", []).append(time.perf_counter() - checkout_start)
            if status != 201:
                errors.append(("checkout", status, data[:200]))
                continue
            order = json.loads(data)["orders"][0]["id"]
            if index % 5 == 0:  # a retry with the same key replays the same order
                status, data = _post(connection, path, token, headers={"MS-RequestId": key})
                replayed = json.loads(data)["orders"][0]["id"] if status == 201 else None
                if replayed != order:
                    errors.append(("replay", status, data[:200]))
            out.append(order)
    finally:
        connection.close()


def _setup(count):
    from django.db import transaction

    from accounts.actors import actor_for_user
    from accounts.models import Country, Organisation, User
    from accounts.services import credential_create
    from azureplan.tests.factories import AZURE_PLAN_US, buyable_customer

    with transaction.atomic():
        org = Organisation.objects.create(name="Bench orders partner", partner_id="9900013", tier="direct_bill",
                                          country=Country.objects.get(code="US"), credit_limit=1_000_000)
        agent = User.objects.create_user(email="agent@bench-orders.example.com", organisation=org, first_name="B",
                                         last_name="A", roles=["sales_agent", "admin_agent"],
                                         activated_at=org.created_at)
        _cred, token = credential_create(actor=actor_for_user(agent), name="bench", days=1)
        tenants = [str(buyable_customer(org, company_name=f"Bench order customer {n:05d}",
                                        domain=f"bench-orders-{n:05d}.onmicrosoft.com").tenant_id)
                   for n in range(count)]
    return org, token, tenants, AZURE_PLAN_US


def run():
    from django.db import connection

    from azureplan.models import AzurePlan, Order
    from core.db import database_url

    count = CLIENTS * PER_CLIENT
    org, token, tenants, offer = _setup(count + WORKERS)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "partnercenter.settings.production",
           "DJANGO_SECRET_KEY": secrets.token_urlsafe(50), "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
           "SECURE_SSL_REDIRECT": "false", "API_THROTTLE_RATE": "1000000/min",
           "DATABASE_URL": database_url(connection.settings_dict), "PYTHONPATH": str(ROOT)}
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "partnercenter.wsgi", "--bind", f"127.0.0.1:{port}",
                                "--workers", str(WORKERS), "--log-level", "warning"], cwd=ROOT, env=env)
    try:
        _wait(port, process)
        # Warm every worker up (imports, first queries) on a customer of its own, not counted.
        warm = tenants[:WORKERS]
        _client(port, token, warm, offer, [], [])
        tenants = tenants[WORKERS:]
        chunks = [tenants[i::CLIENTS] for i in range(CLIENTS)]
        orders, errors, latencies = [], [], {}
        threads = [threading.Thread(target=_client, args=(port, token, chunk, offer, orders, errors, latencies))
                   for chunk in chunks]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - start
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        try:
            from partnercenter.celery import app

            app.control.purge()  # the provisioning tasks queued by the checkouts
        except Exception as exc:  # noqa: BLE001 - a purge failure must not hide the figures
            print(f"could not purge the provisioning queue: {exc}")
    assert not errors, errors[:5]
    measured = len(tenants)
    assert len(orders) == measured == len(set(orders)), (len(orders), measured)
    db_orders = Order.objects.filter(customer__organisation=org).count()
    db_plans = AzurePlan.objects.filter(customer__organisation=org).count()
    per_customer = (AzurePlan.objects.filter(customer__organisation=org).values("customer_id").distinct().count())
    duplicates = (db_orders - (measured + len(warm))) + (db_plans - per_customer)
    assert db_orders == db_plans == per_customer == measured + len(warm), (db_orders, db_plans, per_customer)
    rate = measured / seconds
    print("bench_orders: median latency " + ", ".join(
        f"{name} {statistics.median(values) * 1000:.0f} ms" for name, values in sorted(latencies.items()))
        + f"; load average {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    print(f"bench_orders: {measured} orders by {CLIENTS} clients in {seconds:.2f} s = {rate:.1f} orders/s "
          f"({WORKERS} gunicorn workers); orders {db_orders}, plans {db_plans}, duplicates {duplicates}")
    return [{"name": f"checkout Azure plan, {CLIENTS} clients ({rate:.0f}/s)", "seconds": seconds,
             "floor_seconds": measured / TARGET, "floor": f"target {TARGET} orders/s, 0 duplicates"}]
