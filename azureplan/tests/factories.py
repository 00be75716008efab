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
