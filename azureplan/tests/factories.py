"""Helpers to reach a customer that may buy: relationship + attested MCA, through the real services."""

from datetime import date

from accounts.actors import system_actor
from agreements.services import agreement_attest
from customers.tests.factories import CustomerFactory

AZURE_PLAN_US = "DZH318Z0BPS6:0001:DZH318Z0BML6"
MCA_TEMPLATE = "117a77b0-9360-443b-8795-c6dedc750cf9"


def buyable_customer(organisation, **kwargs):
    customer = CustomerFactory(organisation=organisation, **kwargs)
    agreement_attest(actor=system_actor(organisation), customer=customer, first_name="Pat", last_name="Lee",
                     email="pat@customer.example.com", date_agreed=date(2024, 1, 2), template_id=MCA_TEMPLATE)
    return customer


def plan_line(**overrides):
    line = {"catalog_item_id": AZURE_PLAN_US, "quantity": 1, "billing_cycle": "one_time"}
    line.update(overrides)
    return line


LEGACY_HEADER = "customerId,subscriptionId,friendlyName,resellerPartnerId,createdDate,roleAssignments"


def legacy_csv(rows, header=LEGACY_HEADER):
    """A legacy import file: rows of (customer, subscription id, name[, reseller PartnerID[, created[, roles]]])."""
    import uuid as _uuid

    lines = [header]
    for row in rows:
        customer, sub_id, name, *rest = row
        reseller = rest[0] if len(rest) > 0 else ""
        created = rest[1] if len(rest) > 1 else "2019-05-10"
        roles = rest[2] if len(rest) > 2 else ""
        tenant = getattr(customer, "tenant_id", customer)
        lines.append(",".join([str(tenant), str(sub_id or _uuid.uuid4()), name, reseller, created, roles]))
    return ("\n".join(lines) + "\n").encode()


def legacy_estate(actor, customer, count=2, names=None, reseller=""):
    """Import `count` legacy subscriptions of `customer` through the real import service."""
    import uuid as _uuid

    from azureplan.legacy.importer import legacy_import

    names = names or [f"Legacy {i + 1}" for i in range(count)]
    return legacy_import(actor=actor, content=legacy_csv([(customer, _uuid.uuid4(), n, reseller) for n in names]),
                         file_name="estate.csv")
