"""Demo data for `make run`: three organisations with a user per role. Idempotent."""

import uuid
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from .choices import Role, Tier
from .models import Country, Organisation, User

DEMO_PASSWORD = "portal-demo-sign-in"

ORGANISATIONS = [
    {"key": "direct", "tenant_id": uuid.UUID("0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"), "partner_id": "4100001",
     "name": "Example Direct Partner", "tier": Tier.DIRECT_BILL, "country": "US", "credit_limit": "250000.00"},
    {"key": "provider", "tenant_id": uuid.UUID("1a2b3c4d-5e6f-4a0b-9c1d-2e3f4a5b6c7d"), "partner_id": "4200002",
     "name": "Exemple Distribution", "tier": Tier.INDIRECT_PROVIDER, "country": "FR", "credit_limit": "500000.00"},
    {"key": "reseller", "tenant_id": uuid.UUID("2b3c4d5e-6f7a-4b1c-8d2e-3f4a5b6c7d8e"), "partner_id": "4300003",
     "name": "Example Reseller", "tier": Tier.INDIRECT_RESELLER, "country": "BE", "credit_limit": "0.00",
     "provider": "provider"},
]

ROLE_SLUGS = {
    Role.GLOBAL_ADMIN: "global-admin",
    Role.USER_MANAGEMENT_ADMIN: "user-admin",
    Role.ADMIN_AGENT: "admin-agent",
    Role.SALES_AGENT: "sales-agent",
    Role.BILLING_ADMIN: "billing-admin",
    Role.HELPDESK_AGENT: "helpdesk-agent",
}


# Users holding more than one role: cancelling or reactivating an Azure subscription needs Global admin AND
# Admin agent (the README's cancel step signs in as this one).
COMBINED_USERS = [
    ("global-admin-agent", "Global admin + Admin agent", (Role.GLOBAL_ADMIN, Role.ADMIN_AGENT)),
]


def demo_email(org_key, role):
    return f"{ROLE_SLUGS[Role(role)]}@{org_key}.example.com"


@transaction.atomic
def load_demo():
    """Create what is missing; never changes or deletes what exists. Returns [(org, [emails])]."""
    created = {}
    result = []
    for spec in ORGANISATIONS:
        org = Organisation.objects.filter(tenant_id=spec["tenant_id"]).first()
        if org is None:
            org = Organisation.objects.create(
                tenant_id=spec["tenant_id"], partner_id=spec["partner_id"], name=spec["name"], tier=spec["tier"],
                country=Country.objects.get(code=spec["country"]), mpa_signed_at=date(2020, 1, 15),
                credit_limit=Decimal(spec["credit_limit"]),
                provider=created.get(spec.get("provider")),
            )
        created[spec["key"]] = org
        emails = []
        french = spec["country"] == "FR"
        users = [(demo_email(spec["key"], role), str(Role(role).label), [role.value]) for role in Role]
        users += [(f"{slug}@{spec['key']}.example.com", label, [Role(r).value for r in roles])
                  for slug, label, roles in COMBINED_USERS]
        for email, last_name, roles in users:
            if not User.objects.filter(email=email).exists():
                User.objects.create_user(
                    email=email, password=DEMO_PASSWORD, organisation=org, roles=roles,
                    first_name="Demo", last_name=last_name, language="fr" if french else "",
                    activated_at=timezone.now(),
                )
            emails.append(email)
        result.append((org, emails))
    return result
