"""The served schema (/api/schema/) says what the routes answer, and the check that holds every API test's answers to
it (tests/openapi_check.py, on in the API test modules) catches a drift."""

import json

import pytest
from django.http import HttpResponse

from tests.openapi_check import SchemaMismatch, check_answer, served_schema

pytestmark = pytest.mark.django_db


def _component(schema, name):
    return schema["components"]["schemas"][name]


def test_optional_fields_are_not_required_and_nullable_ones_are_nullable():
    schema, _openapi = served_schema()
    assert "associatedPartnerId" not in _component(schema, "Customer").get("required", [])
    assert "associatedPartnerId" in _component(schema, "Customer")["properties"]
    assert "partnerIdOnRecord" not in _component(schema, "OrderLineItem").get("required", [])
    assert "subscriptionId" not in _component(schema, "OrderLineItem").get("required", [])
    user = _component(schema, "PartnerUser") if "PartnerUser" in schema["components"]["schemas"] else next(
        c for c in schema["components"]["schemas"].values() if "invitedAt" in c.get("properties", {}))
    assert user["properties"]["invitedAt"].get("nullable") is True
    assert user["properties"]["lastLogin"].get("nullable") is True


@pytest.mark.parametrize(("path", "method", "status"), [
    ("/v1/customers", "post", "201"),
    ("/v1/customers/{customer_id}/orders", "post", "201"),
    ("/v1/customers/{customer_id}/carts", "post", "201"),
    ("/v1/productUpgrades", "post", "202"),
])
def test_location_headers_are_declared(path, method, status):
    schema, _openapi = served_schema()
    headers = schema["paths"][path][method]["responses"][status].get("headers", {})
    assert "Location" in headers


def _answer(body, status=200, **headers):
    response = HttpResponse(json.dumps(body), status=status, content_type="application/json")
    for key, value in headers.items():
        response[key] = value
    return response


def test_the_check_catches_a_missing_required_property():
    body = {"url": "https://portal.example.com/invite/x", "attributes": {"objectType": "RelationshipRequest"}}
    check_answer("GET", "/v1/customers/relationshiprequests", _answer(body))
    with pytest.raises(SchemaMismatch, match="url"):
        check_answer("GET", "/v1/customers/relationshiprequests", _answer({"attributes": {}}))


def test_the_check_catches_a_wrong_type_and_an_undocumented_status():
    with pytest.raises(SchemaMismatch):
        check_answer("GET", "/v1/customers/relationshiprequests", _answer({"url": 5, "attributes": {}}))
    with pytest.raises(SchemaMismatch, match="not documented"):
        check_answer("GET", "/v1/customers/relationshiprequests", _answer({}, status=203))


def test_the_check_catches_an_undeclared_location_header(monkeypatch):
    import copy

    from tests import openapi_check

    schema, _openapi = served_schema()
    stripped = copy.deepcopy(schema)
    del stripped["paths"]["/v1/customers/{customer_id}/carts"]["post"]["responses"]["201"]["headers"]
    monkeypatch.setitem(openapi_check._SPEC, "schema", stripped)
    with pytest.raises(SchemaMismatch, match="Location"):
        check_answer("POST", "/v1/customers/x/carts", _answer({}, status=201, Location="/v1/x"))
