"""GET /v1/customers runs its page query from a statement compiled once per shape (core.api.pagination.seek_page_cached,
customers.selectors.customer_list_statement): the parameters it binds must be the ORM's, for every shape and for
values that need escaping, and the answer must be the ORM path's answer."""

import pytest
import time_machine
from django.db import connection
from django.test import RequestFactory
from django.utils import timezone
from rest_framework.request import Request

from accounts.actors import system_actor
from accounts.choices import Tier
from accounts.models import Organisation
from core.api import pagination
from core.api.pagination import _page_queryset, seek_page, seek_page_cached
from customers import selectors
from customers.api.serializers import customer_list_item_json
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

JSON_ITEMS = {"fields": selectors.CUSTOMER_ORDERING, "expressions": {"item_json": customer_list_item_json()}}
SEARCHES = ["", "  ", "Ab", "50%_off", "back\\slash", "émile", "O'Brien", "x" * 200]


def _request(query="", token=None):
    headers = {"HTTP_MS_CONTINUATIONTOKEN": token} if token else {}
    return Request(RequestFactory().get(f"/v1/customers?{query}", **headers))


@pytest.fixture
def actors(make_org):
    provider = make_org(name="Provider P", tier=Tier.INDIRECT_PROVIDER)
    reseller = make_org(name="Reseller R", tier=Tier.INDIRECT_RESELLER, provider=provider, partner_id="4400001")
    return system_actor(provider), system_actor(reseller)


@pytest.mark.parametrize("search", SEARCHES)
@pytest.mark.parametrize("field", ["", "company_name", "domain"])
@pytest.mark.parametrize("country,reseller", [("", ""), ("us", ""), ("", "4400001"), ("GB", "4400001")])
def test_parameters_are_the_orms_for_every_shape(actors, search, field, country, reseller):
    for actor in actors:
        arguments = {"actor": actor, "search": search, "search_field": field, "country": country, "reseller": reseller}
        key, params = selectors.customer_list_statement(**arguments)
        for after in (None, ["Émile & Co", 12]):
            for rows in ({}, JSON_ITEMS):  # the API's query, whose items PostgreSQL writes, binds the same values
                queryset = _page_queryset(selectors.customer_list_rows(**arguments, **rows),
                                          selectors.CUSTOMER_ORDERING, bool(search), after)[:101]
                _sql, compiled = queryset.query.get_compiler(connection.alias).as_sql()
                assert list(compiled) == [*params, *(after or [])]
        assert actor.tier in (Tier.INDIRECT_PROVIDER, Tier.INDIRECT_RESELLER)


def test_the_cached_statement_answers_what_the_orm_answers(actors, make_org, other_org):
    provider, reseller_actor = actors
    reseller = make_org(name="Other reseller", tier=Tier.INDIRECT_RESELLER,
                        provider=Organisation.objects.get(pk=provider.organisation_id))
    for i in range(7):
        CustomerFactory(organisation_id=provider.organisation_id, company_name=f"Contoso {i % 3}",
                        reseller_id=reseller_actor.organisation_id if i % 2 else reseller.pk)
    CustomerFactory(organisation_id=provider.organisation_id, company_name="50%_off Ltd")
    CustomerFactory(organisation=other_org, company_name="Contoso foreign")  # another partner's: never listed
    for actor, search in ((provider, ""), (provider, "contoso"), (provider, "50%_"), (reseller_actor, "")):
        arguments = {"actor": actor, "search": search, "search_field": "", "country": "", "reseller": ""}
        key, params = selectors.customer_list_statement(**arguments)
        token, cached_pages, orm_pages = None, [], []
        while True:
            request = _request("size=2", token)
            # The continuation tokens carry their signing time: both paths sign in the same (frozen) second.
            with time_machine.travel(timezone.now(), tick=False):
                rows, next_token = seek_page_cached(request, lambda a=arguments: selectors.customer_list_rows(**a),
                                                    key=key, params=params, ordering=selectors.CUSTOMER_ORDERING,
                                                    scope="t", filter_first=bool(search))
                orm_rows, orm_token = seek_page(request, selectors.customer_list_rows(**arguments),
                                                ordering=selectors.CUSTOMER_ORDERING, scope="t",
                                                filter_first=bool(search))
            assert [row["tenant_id"] for row in rows] == [str(row["tenant_id"]) for row in orm_rows]
            assert rows == [{**row, "tenant_id": str(row["tenant_id"]), "commerce_id": str(row["commerce_id"]),
                             "reseller__tenant_id": row["reseller__tenant_id"] and str(row["reseller__tenant_id"])}
                            for row in orm_rows]
            assert next_token == orm_token
            cached_pages.append(rows)
            orm_pages.append(orm_rows)
            if next_token is None:
                break
            token = next_token
        listed = sum(len(page) for page in cached_pages)
        assert listed == selectors.customer_list(actor=actor, search=search).count() > 0
        assert (key, bool(search), False, 2) in pagination._STATEMENTS


def test_parameters_out_of_step_with_the_query_go_through_the_orm(actors, other_org):
    provider, _reseller = actors
    CustomerFactory(organisation_id=provider.organisation_id, company_name="Kept")
    CustomerFactory(organisation=other_org, company_name="Foreign")
    key = ("test-out-of-step",)
    wrong = [provider.organisation_id + 1000, "reseller"]  # as if tenant_q had changed and the params had not
    rows, _token = seek_page_cached(_request(), lambda: selectors.customer_list_rows(actor=provider), key=key,
                                    params=wrong, ordering=selectors.CUSTOMER_ORDERING, scope="t")
    assert [row["company_name"] for row in rows] == ["Kept"]
    assert pagination._STATEMENTS[(key, False, False, 100)] is None
    rows, _token = seek_page_cached(_request(), lambda: selectors.customer_list_rows(actor=provider), key=key,
                                    params=wrong, ordering=selectors.CUSTOMER_ORDERING, scope="t")
    assert [row["company_name"] for row in rows] == ["Kept"]


def test_the_api_uses_the_statement(api, global_admin, django_assert_num_queries):
    for i in range(3):
        CustomerFactory(organisation=global_admin.organisation, company_name=f"C{i}")
    pagination._STATEMENTS.clear()
    assert [item["companyProfile"]["companyName"] for item in api.get("/v1/customers").json()["items"]] == [
        "C0", "C1", "C2"]
    assert [statement is not None for statement in pagination._STATEMENTS.values()] == [True]
    with django_assert_num_queries(2):
        assert api.get("/v1/customers?size=1").status_code == 200


def test_json_pages_are_the_same_through_the_statement_and_through_the_orm(actors):
    """seek_page_json takes the page's items from the statement's rows without making a dict of each (only the last
    row kept, for the token); its ORM path (a statement whose parameters did not check) answers the same items and
    tokens, page after page."""
    from core.api.pagination import seek_page_json

    provider, _reseller = actors
    for i in range(5):
        CustomerFactory(organisation_id=provider.organisation_id, company_name=f"Contoso {i % 2} \"q\" é")
    arguments = {"actor": provider, "search": "", "search_field": "", "country": "", "reseller": ""}
    key, params = selectors.customer_list_statement(**arguments)
    wrong = [provider.organisation_id + 1000, "reseller"]  # the ORM path: the statement is refused, once and for all
    tokens = {"statement": None, "orm": None}
    pages = {"statement": [], "orm": []}
    while True:
        with time_machine.travel(timezone.now(), tick=False):  # both paths sign their tokens in the same second
            for path, (bound, shape) in {"statement": (params, key), "orm": (wrong, ("orm", *key))}.items():
                items, tokens[path] = seek_page_json(
                    _request("size=2", tokens[path]), lambda: selectors.customer_list_rows(**arguments, **JSON_ITEMS),
                    key=shape, params=bound, ordering=selectors.CUSTOMER_ORDERING, scope="t")
                pages[path].append(items.text)
        assert tokens["statement"] == tokens["orm"] and pages["statement"][-1] == pages["orm"][-1]
        if tokens["statement"] is None:
            break
    assert len(pages["statement"]) == 3 and sum(text.count('"commerceId"') for text in pages["statement"]) == 5
    assert pagination._STATEMENTS[(("json", "item_json", key), False, True, 2)] is not None
    assert pagination._STATEMENTS[(("json", "item_json", ("orm", *key)), False, False, 2)] is None
