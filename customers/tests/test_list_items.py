"""GET /v1/customers has PostgreSQL write its items (customers.api.serializers.customer_list_item_json): the answer must
be, byte for byte, what the renderer writes for CustomerListItemSerializer's data of the same customers."""

import json

import pytest

from accounts.actors import system_actor
from accounts.choices import Tier
from core.api.renderers import JSONArray, PartnerCenterJSONRenderer
from customers import selectors
from customers.api.serializers import CustomerListItemSerializer, customer_list_item_json
from customers.tests.factories import CustomerFactory

# Text that JSON escapes (quotes, backslashes, every control character but NUL, which PostgreSQL text cannot hold),
# that the renderer escapes on top (U+2028, U+2029), and that is written as it is (DEL, accents, a 4-byte emoji,
# markup, SQL and driver syntax).
AWKWARD = [
    'Quote " and \\ backslash', "".join(chr(c) for c in range(1, 32)) + "\x7f", "Line\u2028Paragraph\u2029end",
    "Émile & Co 🚀 <script>x</script>", "50%_off 'O''Brien' %s %(name)s", "\\u0041 not an escape", " ",
]


def _rendered(data):
    return PartnerCenterJSONRenderer().render(data)


@pytest.mark.django_db
def test_sql_items_are_the_serializers_byte_for_byte(make_org):
    org = make_org(name="Provider P", tier=Tier.INDIRECT_PROVIDER)
    reseller = make_org(name="Reseller R", tier=Tier.INDIRECT_RESELLER, provider=org)
    for index, text in enumerate(AWKWARD):
        CustomerFactory(organisation=org, company_name=f"{index} {text}", domain=f"d{index}{text}.example.com",
                        organization_registration_number=text[:50], reseller=reseller if index % 2 else None)
    actor = system_actor(org)
    expected = CustomerListItemSerializer(selectors.customer_list(actor=actor), many=True).data
    rows = selectors.customer_list_rows(actor=actor, fields=selectors.CUSTOMER_ORDERING,
                                        expressions={"item_json": customer_list_item_json()})
    items = JSONArray.of(row["item_json"] for row in rows)
    assert len(items) == len(AWKWARD) == len(expected)
    assert _rendered(items) == _rendered(expected)  # same keys, same order, same escapes
    assert _rendered({"items": items}) == _rendered({"items": expected})
    assert items == json.loads(_rendered(expected))  # read in Python: the parsed items
    assert sum("associatedPartnerId" in item for item in items) == len(AWKWARD) // 2
    assert b"\\u2028" in _rendered(items) and "\u2028" in items.text


@pytest.mark.django_db
def test_the_list_answer_is_the_serializers(api, global_admin):
    for index, text in enumerate(AWKWARD):
        CustomerFactory(organisation=global_admin.organisation, company_name=f"{index} {text}")
    response = api.get("/v1/customers?size=4")
    assert response.status_code == 200
    body = json.loads(response.content)
    customers = selectors.customer_list(actor=system_actor(global_admin.organisation))[:4]
    expected = {**body, "items": CustomerListItemSerializer(customers, many=True).data}
    assert response.content == _rendered(expected)
    assert body["totalCount"] == 4 and "continuationToken" in body
    # DRF's own (indented) rendering writes the same items
    indented = api.get("/v1/customers?size=4", HTTP_ACCEPT="application/json; indent=2")
    assert json.loads(indented.content)["items"] == body["items"] and b'\n  "items": [' in indented.content


def test_an_array_renders_as_written_and_reads_as_parsed():
    array = JSONArray.of(['{"a":1}', '{"b":"\u2028"}'])
    assert len(array) == 2 and array[1] == {"b": "\u2028"} and list(array) == [{"a": 1}, {"b": "\u2028"}]
    assert _rendered({"items": array}) == b'{"items":[{"a":1},{"b":"\\u2028"}]}'
    assert _rendered(JSONArray.of([])) == b"[]" and len(JSONArray.of([])) == 0
    indented = PartnerCenterJSONRenderer().render(array, "application/json; indent=2")
    assert indented == PartnerCenterJSONRenderer().render([{"a": 1}, {"b": "\u2028"}], "application/json; indent=2")
    assert indented.startswith(b'[\n  {\n    "a": 1\n  },')


@pytest.mark.django_db
def test_the_list_answers_in_two_queries_at_any_depth(api, global_admin, django_assert_num_queries):
    for _ in range(3):
        CustomerFactory(organisation=global_admin.organisation)
    body = api.get("/v1/customers?size=2").json()
    # the token (with its user and organisation) and the page
    with django_assert_num_queries(2):
        api.get("/v1/customers?size=2&seekOperation=Next", HTTP_MS_CONTINUATIONTOKEN=body["continuationToken"])
