"""The portal's handler keeps each /v1/ path's ResolverMatch (core.handlers): the same route and arguments as Django's
own resolution every time, a copy per request, and a changed URLconf used at once."""

import pytest
from django.test import override_settings
from django.urls import Resolver404, get_resolver

from core import handlers
from core.handlers import PortalWSGIHandler, resolve_api_path

PATHS = [
    "/v1/customers",
    "/v1/customers/4c3f1e2a-0b5d-4c1e-9f7a-2d6b8e0a1c3f",
    "/v1/customers/4c3f1e2a-0b5d-4c1e-9f7a-2d6b8e0a1c3f/subscriptions",
    "/v1/customers/0a0a0a0a-0b5d-4c1e-9f7a-2d6b8e0a1c3f/subscriptions",
    "/v1/invoices/unbilled/lineitems",
    "/v1/no-such-route",  # Partner Center's 404 envelope: the /v1/ catch-all
]


def _same(a, b):
    return (a.func, a.args, a.kwargs, a.url_name, a.route, a.captured_kwargs, a.extra_kwargs, a.view_name) == \
        (b.func, b.args, b.kwargs, b.url_name, b.route, b.captured_kwargs, b.extra_kwargs, b.view_name)


@pytest.mark.parametrize("path", PATHS)
def test_a_kept_match_is_what_django_resolves(path):
    expected = get_resolver().resolve(path)
    first, again = resolve_api_path(path), resolve_api_path(path)
    assert _same(first, expected) and _same(again, expected)
    assert first is not again and first.kwargs is not again.kwargs


def test_a_request_that_changes_its_match_does_not_change_the_next_ones():
    path = PATHS[2]
    mine = resolve_api_path(path)
    mine.kwargs["customer_id"] = "someone-else"
    mine.captured_kwargs.clear()
    nxt = resolve_api_path(path)
    assert nxt.kwargs == {"customer_id": "4c3f1e2a-0b5d-4c1e-9f7a-2d6b8e0a1c3f"} == nxt.captured_kwargs


@override_settings(ROOT_URLCONF="tests.handler_urls")  # no /v1/ catch-all there
def test_a_path_that_resolves_to_nothing_is_not_kept():
    path = "/v1/no-such-route"
    handlers._matches.pop(path, None)  # kept by an earlier test under the project's URLconf
    with pytest.raises(Resolver404):
        resolve_api_path(path)
    assert path not in handlers._matches


@override_settings(ROOT_URLCONF="tests.handler_urls")
def test_another_urlconf_is_used_at_once():
    match = resolve_api_path("/v1/customers")
    assert match.url_name == "other-customers"


def test_the_portal_handler_answers_an_api_request_and_a_page(db, global_admin, monkeypatch):
    """The WSGI application gunicorn runs: a bearer GET of the customer list, twice (the second from the kept
    match), and a page, resolved Django's way."""
    import io

    from django.core import signals
    from django.db import close_old_connections

    from accounts.actors import actor_for_user
    from accounts.services import credential_create

    # As Django's test client: the handler must not close the test's connection (its transaction) between requests.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        _credential, raw = credential_create(actor=actor_for_user(global_admin), name="handler test")
        application = PortalWSGIHandler()

        def get(path, **headers):
            environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME": "testserver",
                       "SERVER_PORT": "80", "HTTP_HOST": "testserver", "wsgi.input": io.BytesIO(),
                       "wsgi.url_scheme": "http", "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.errors": io.StringIO(),
                       **headers}
            status = []
            body = application(environ, lambda s, h, exc=None: status.append(s))
            try:
                return status[0], b"".join(body)
            finally:
                body.close()

        for _ in range(2):
            status, body = get("/v1/customers", HTTP_AUTHORIZATION=f"Bearer {raw}")
            assert status.startswith("200") and b'"items"' in body
        status, _body = get("/v1/customers")
        assert status.startswith("401")
        status, _body = get("/healthz")
        assert status.startswith("200")
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
