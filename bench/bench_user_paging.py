"""Walking a large user list through the API's seek paging, against raw SQL over the same rows.

Keyset pages cost the same at any depth, so walking N rows in pages should stay a small constant
factor above one raw SELECT of all rows (serialisation and HTTP handling are the difference).
"""

import uuid

from django.db import connection, transaction
from django.utils import timezone

from bench.run import timed

ROWS = 5000
PAGE = 500
MAX_RATIO = 60


def _setup():
    from accounts.actors import actor_for_user
    from accounts.models import Country, Organisation, User
    from accounts.services import credential_create

    with transaction.atomic():
        org = Organisation.objects.create(name="Bench partner", partner_id="9900001", tier="direct_bill",
                                          country=Country.objects.get(code="US"))
        now = timezone.now()
        User.objects.bulk_create(
            [User(organisation=org, email=f"user{i:05d}@bench.example.com", first_name="Bench", last_name=str(i),
                  roles=["sales_agent"], activated_at=now, public_id=uuid.uuid4(), password="!")
             for i in range(ROWS)],
            batch_size=1000,
        )
        admin = User.objects.create_user(email="admin@bench.example.com", organisation=org, first_name="B",
                                         last_name="A", roles=["global_admin"], activated_at=now)
        _cred, raw = credential_create(actor=actor_for_user(admin), name="bench", days=1)
    return org, raw


def run():
    from django.conf import settings
    from rest_framework.test import APIClient

    settings.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = []
    org, raw = _setup()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    def walk():
        seen = 0
        response = client.get(f"/v1/users?size={PAGE}")
        while True:
            body = response.json()
            seen += len(body["items"])
            if "next" not in body["links"]:
                break
            response = client.get("/v1" + body["links"]["next"]["uri"],
                                  HTTP_MS_CONTINUATIONTOKEN=body["continuationToken"])
        assert seen == ROWS + 1, seen

    def floor():
        with connection.cursor() as cursor:
            cursor.execute("SELECT public_id, email, first_name, last_name, roles, language, is_active, "
                           "last_login, invited_at FROM accounts_user WHERE organisation_id = %s ORDER BY email, id",
                           [org.pk])
            rows = cursor.fetchall()
        assert len(rows) == ROWS + 1

    return [{"name": f"GET /v1/users, {ROWS} rows in pages of {PAGE}", "seconds": timed(walk, 2),
             "floor_seconds": timed(floor), "floor": "raw SELECT of the same rows"}]
