"""GET /v1/customers builds its items from plain rows: they must equal what the serializer makes of the models."""

import json

import pytest

from accounts.actors import system_actor
from accounts.choices import Tier
from customers import selectors
from customers.api.serializers import CustomerListItemSerializer, customer_list_items
from customers.tests.factories import CustomerFactory


@pytest.mark.django_db
def test_items_from_rows_equal_the_serializer_key_for_key(make_org):
    org = make_org(name="Provider P", tier=Tier.INDIRECT_PROVIDER)
    reseller = make_org(name="Reseller R", tier=Tier.INDIRECT_RESELLER, provider=org)
    CustomerFactory(organisation=org, company_name="Émile & Co", organization_registration_number="123456789")
    CustomerFactory(organisation=org, reseller=reseller)
    CustomerFactory(organisation=org)
    actor = system_actor(org)
    expected = CustomerListItemSerializer(selectors.customer_list(actor=actor), many=True).data
    items = customer_list_items(selectors.customer_list_rows(actor=actor))
    assert json.dumps(items) == json.dumps(expected)  # same keys, same order, same values
    assert sum("associatedPartnerId" in item for item in items) == 1


@pytest.mark.django_db
def test_the_list_answers_in_two_queries_at_any_depth(api, global_admin, django_assert_num_queries):
    for _ in range(3):
        CustomerFactory(organisation=global_admin.organisation)
    body = api.get("/v1/customers?size=2").json()
    # the token (with its user and organisation) and the page
    with django_assert_num_queries(2):
        api.get("/v1/customers?size=2&seekOperation=Next", HTTP_MS_CONTINUATIONTOKEN=body["continuationToken"])
