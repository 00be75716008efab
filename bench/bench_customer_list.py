"""The customer list at 100,000 customers in one organisation: API latency (p50, p95) of the first page,
of deep pages reached by continuation token, and of a company-name search, each next to a floor
measured in the same run: the same rows fetched with a plain `.values()` query and dumped as JSON.

Rows are loaded with PostgreSQL COPY (the floor for bulk loading, DESIGN.md §8).
"""

import io
import json
import statistics
import time
import uuid

from django.db import connection, transaction

ROWS = 100_000
PAGE = 100
SAMPLES = 60
MAX_RATIO = 25

COLUMNS = ("tenant_id", "commerce_id", "organisation_id", "domain", "company_name", "organization_registration_number",
           "billing_profile_id", "email", "culture", "language", "billing_company_name", "first_name", "last_name",
           "address_line1", "address_line2", "city", "state", "postal_code", "country_id", "region", "phone_number",
           "relationship", "allow_delegated_access", "created_at", "version")


def _load(org_id):
    buffer = io.StringIO()
    for i in range(ROWS):
        name = f"Customer {i:06d} Ltd"
        buffer.write("\t".join([
            str(uuid.uuid4()), str(uuid.uuid4()), str(org_id), f"bench{i:06d}.onmicrosoft.com", name, "",
            str(uuid.uuid4()), f"ap{i}@bench.example.com", "en-US", "en", name, "Accounts", "Payable",
            "1 Example Street", "", "Seattle", "WA", "98101", "US", "", "", "reseller", "f",
            "2026-01-01 00:00:00+00", "1",
        ]) + "\n")
    buffer.seek(0)
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY customers_customer ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            copy.write(buffer.getvalue())
        cursor.execute("ANALYZE customers_customer")


def _percentiles(samples):
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.95) - 1]


def run():
    from django.conf import settings
    from rest_framework.test import APIClient

    from accounts.actors import actor_for_user
    from accounts.models import Country, Organisation, User
    from accounts.services import credential_create
    from customers.models import Customer

    settings.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = []
    with transaction.atomic():
        org = Organisation.objects.create(name="Bench partner", partner_id="9900002", tier="direct_bill",
                                          country=Country.objects.get(code="US"))
        admin = User.objects.create_user(email="agent@bench-customers.example.com", organisation=org, first_name="B",
                                         last_name="A", roles=["sales_agent"], activated_at=org.created_at)
        _cred, raw = credential_create(actor=actor_for_user(admin), name="bench", days=1)
    start = time.perf_counter()
    _load(org.pk)
    load_seconds = time.perf_counter() - start
    print(f"  loaded {ROWS} customers with COPY in {load_seconds:.1f}s")

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    fields = ["tenant_id", "commerce_id", "domain", "company_name", "relationship", "country_id"]

    def api_first():
        response = client.get(f"/v1/customers?size={PAGE}")
        assert response.status_code == 200 and len(response.json()["items"]) == PAGE, response.content[:300]

    def floor_first():
        rows = list(Customer.objects.filter(organisation=org).order_by("company_name", "id").values(*fields)[:PAGE])
        json.dumps(rows, default=str)

    # Deep pages: walk with continuation tokens to positions spread over the list.
    tokens = []
    response = client.get("/v1/customers?size=1000")
    body = response.json()
    while "next" in body["links"] and len(tokens) < SAMPLES:
        tokens.append((body["continuationToken"], body["items"][-1]["companyProfile"]["companyName"]))
        response = client.get("/v1" + body["links"]["next"]["uri"], HTTP_MS_CONTINUATIONTOKEN=body["continuationToken"])
        body = response.json()
    deep = iter(tokens * 3)

    def api_deep():
        token, _name = next(deep)
        response = client.get(f"/v1/customers?size={PAGE}&seekOperation=Next", HTTP_MS_CONTINUATIONTOKEN=token)
        assert response.status_code == 200 and response.json()["items"], response.content[:300]

    deep_floor = iter(tokens * 3)

    def floor_deep():
        _token, name = next(deep_floor)
        rows = list(Customer.objects.filter(organisation=org, company_name__gt=name)
                    .order_by("company_name", "id").values(*fields)[:PAGE])
        json.dumps(rows, default=str)

    def api_search():
        response = client.get("/v1/customers?size=100&search=Customer%200777")
        assert response.status_code == 200 and response.json()["items"], response.content[:300]

    def floor_search():
        rows = list(Customer.objects.filter(organisation=org, company_name__istartswith="Customer 0777")
                    .order_by("company_name", "id").values(*fields)[:PAGE])
        json.dumps(rows, default=str)

    results = []
    for label, api_fn, floor_fn in (("first page", api_first, floor_first), ("deep pages", api_deep, floor_deep),
                                    ("search by company name", api_search, floor_search)):
        api_times, floor_times = [], []
        for _ in range(min(SAMPLES, len(tokens)) if label == "deep pages" else SAMPLES):
            t0 = time.perf_counter()
            api_fn()
            api_times.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            floor_fn()
            floor_times.append(time.perf_counter() - t0)
        api_p50, api_p95 = _percentiles(api_times)
        floor_p50, floor_p95 = _percentiles(floor_times)
        results.append({"name": f"GET /v1/customers {label} p50", "seconds": api_p50, "floor_seconds": floor_p50,
                        "floor": f".values() + json, {ROWS} rows"})
        results.append({"name": f"GET /v1/customers {label} p95", "seconds": api_p95, "floor_seconds": floor_p95,
                        "floor": f".values() + json, {ROWS} rows"})
    return results
