"""Every JSON answer a /v1/ test gets is checked against the served OpenAPI schema (/api/schema/), so the schema and
the routes cannot drift apart: an API test module turns it on with `pytestmark = pytest.mark.openapi` (modules whose
file name has "api" in it, and the tests/test_pc_*.py client tests, are on by default: see conftest.py).

For each 2xx answer with a JSON body (and every 4xx/5xx answer whose status the operation documents), openapi-core
validates status, body and declared headers against the operation; a 201 or 202 answer that sets `Location` must
declare that header. Requests are not validated (tests send bad bodies on purpose).
"""

import json
from contextlib import contextmanager
from urllib.parse import parse_qsl, urlsplit

from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from rest_framework.test import APIClient

_SPEC = {}


def served_schema():
    """The schema /api/schema/ serves, as JSON (generated once per process)."""
    if "schema" not in _SPEC:
        from django.test import Client

        response = Client().get("/api/schema/", {"format": "json"})
        assert response.status_code == 200, response.content[:500]
        schema = json.loads(response.content)
        _SPEC["schema"] = schema
        _SPEC["openapi"] = OpenAPI.from_dict(schema)
    return _SPEC["schema"], _SPEC["openapi"]


class SchemaMismatch(AssertionError):
    pass


def _operation(schema, method, path):
    """(path template, operation) of the schema matching a concrete path, else (None, None)."""
    parts = path.rstrip("/").split("/")
    best = None
    for template, item in schema["paths"].items():
        tparts = template.rstrip("/").split("/")
        if len(tparts) != len(parts) or method not in item:
            continue
        literal = 0
        for tp, p in zip(tparts, parts, strict=True):
            if tp.startswith("{") and tp.endswith("}"):
                continue
            if tp.lower() != p.lower():
                break
            literal += 1
        else:
            if best is None or literal > best[0]:
                best = (literal, template, item[method])
    return (best[1], best[2]) if best else (None, None)


def check_answer(method, url, response):
    split = urlsplit(url)
    path = split.path
    if not path.startswith("/v1/"):
        return
    content_type = (response.get("Content-Type") or "").split(";")[0].strip()
    schema, openapi = served_schema()
    method = method.lower()
    template, operation = _operation(schema, method, path)
    if operation is None and method == "head":
        template, operation = _operation(schema, "get", path)
    if operation is None:
        if 200 <= response.status_code < 300:
            raise SchemaMismatch(f"{method.upper()} {path} answered {response.status_code} but the schema has no "
                                 "such operation")
        return
    documented = operation.get("responses", {})
    status = str(response.status_code)
    if status not in documented:
        if 200 <= response.status_code < 300:
            raise SchemaMismatch(f"{method.upper()} {template} answered {status}, not documented "
                                 f"(documented: {', '.join(documented)})")
        return
    if response.status_code in (201, 202) and response.has_header("Location"):
        headers = {name.lower() for name in documented[status].get("headers", {})}
        if "location" not in headers:
            raise SchemaMismatch(f"{method.upper()} {template} answers {status} with a Location header the schema "
                                 "does not declare")
    if content_type != "application/json" or not response.content or method == "head":
        return
    request = MockRequest("http://testserver", method, path, path_pattern=template,
                          args=dict(parse_qsl(split.query)))
    answer = MockResponse(data=response.content, status_code=response.status_code,
                          headers={key: value for key, value in response.items()}, content_type=content_type)
    try:
        openapi.validate_response(request, answer)
    except Exception as exc:  # openapi-core raises its own error types; name the operation and the reason
        cause = exc.__cause__ or exc
        errors = getattr(cause, "schema_errors", None) or []
        details = "; ".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in errors) or str(cause)[:500]
        raise SchemaMismatch(f"{method.upper()} {template} {status}: the answer does not match the served schema: "
                             f"{type(cause).__name__}: {details}") from None


@contextmanager
def validating():
    """While active, every APIClient request's answer is checked (check_answer)."""
    original = APIClient.request

    def request(self, **kwargs):
        response = original(self, **kwargs)
        path = kwargs.get("PATH_INFO", "")
        query = kwargs.get("QUERY_STRING", "")
        check_answer(kwargs.get("REQUEST_METHOD", "GET"), path + ("?" + query if query else ""), response)
        return response

    APIClient.request = request
    try:
        yield
    finally:
        APIClient.request = original
