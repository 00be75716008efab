"""Helpers shared by the test suites: Microsoft's Partner Center examples and the checks made against them.

The examples live in the repository (tests/fixtures/partnercenter/, see tests/fixtures/README.md), so a test
that needs one never skips: a missing file is a failure. Not imported by the application.
"""

import json
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "partnercenter"


def fixture_text(name):
    """The text of one of Microsoft's examples, by its file name (e.g. "list-customers.request.http")."""
    return (FIXTURES / name).read_text(encoding="utf-8")


def load_fixture(name):
    """One of Microsoft's JSON examples, parsed (e.g. "get-customer.response.json")."""
    return json.loads(fixture_text(name))


def request_path(name):
    """The path and query of the first line of an example .http request, without the host and /v1."""
    url = fixture_text(name).splitlines()[0].split()[1]
    return url.split("/v1", 1)[1]


def assert_has_fields(expected, actual, path="$"):
    """Every property of Microsoft's example is in our answer (recursively); values are not compared."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{path} is {actual!r}, expected an object"
        for key, value in expected.items():
            assert key in actual, f"{path}.{key} is missing"
            assert_has_fields(value, actual[key], f"{path}.{key}")
    elif isinstance(expected, list) and expected:
        assert isinstance(actual, list) and actual, f"{path} is {actual!r}, expected a non-empty list"
        assert_has_fields(expected[0], actual[0], f"{path}[0]")


def assert_error(response, status, code=None, field=None, *, name=None):
    """`response` is Partner Center's error envelope with this HTTP status (and code, parameters.field and
    errorName when given): a description, an errorName and message equal to the description. Returns the body."""
    assert response.status_code == status, response.content
    body = response.json()
    if code is not None:
        assert body["code"] == code, body
    assert body["description"] and body["errorName"] and body["message"] == body["description"], body
    if field is not None:
        assert body["parameters"]["field"] == field, body
    if name is not None:
        assert body["errorName"] == name, body
    return body


def page_url(name, *args, **kwargs):
    """`reverse()` for a URL name given without its app namespace (tests that sweep routes by `pattern.name`):
    the name as given first, then under each namespace the URLconf declares."""
    from django.urls import NoReverseMatch, get_resolver, reverse

    for prefix in ("", *(f"{namespace}:" for namespace in get_resolver().namespace_dict)):
        try:
            return reverse(prefix + name, *args, **kwargs)
        except NoReverseMatch:
            continue
    raise NoReverseMatch(f"No URL named {name!r} in any namespace.")
