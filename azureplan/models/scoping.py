"""Who sees a customer's commerce rows: the one rule for pages and API alike (core.tenancy)."""

from django.db.models import Q


def customer_q(actor, prefix="customer__", reseller_field=None):
    """Rows of the actor's customers: the selling partner's. An indirect reseller sees its customers'
    rows (carts) or, where a row names its reseller of record (orders, plans and what hangs under a
    plan), only the rows where it is that reseller *and* the customer is still assigned to it (a reseller
    the provider moved the customer away from, or never assigned it, sees nothing)."""
    if actor.tier == "indirect_reseller":
        assigned = Q(**{f"{prefix}reseller_id": actor.organisation_id})
        if reseller_field:
            return assigned & Q(**{reseller_field: actor.organisation_id})
        return assigned
    return Q(**{f"{prefix}organisation_id": actor.organisation_id})
