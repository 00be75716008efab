"""GET /v1/customers overlaps the throttle's round trip to Redis with its page query
(core.api.views.PCAPIView.deferred_throttle_methods): the same requests are let through and refused, with the same
429 and Retry-After, a refused request never gets the page, and a tenant seen refused is checked before any query."""

import pytest
from django.utils import timezone

from customers.api import views as customer_views
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_window():
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    from conftest import skip_or_fail
    from core.api import throttling

    cache = caches["default"]
    if not isinstance(cache, RedisCache):
        skip_or_fail("the deferred throttle needs the Redis cache (set REDIS_URL)")
    cache.clear()
    old = throttling.TenantRateThrottle.THROTTLE_RATES
    throttling.TenantRateThrottle.THROTTLE_RATES = {"tenant": "3/min"}
    throttling._refused_until.clear()
    yield cache
    throttling.TenantRateThrottle.THROTTLE_RATES = old
    throttling._refused_until.clear()
    cache.clear()


def _window_length(cache):
    client = cache._cache.get_client()
    [key] = client.keys(f"{cache.key_prefix}*throttle_tenant_org-*")
    return client.llen(key)


def _in_use(cache):
    return len(cache._cache.get_client().connection_pool._get_in_use_connections())


def test_the_same_requests_pass_and_are_refused_as_when_checked_first(api, global_admin, redis_window,
                                                                       django_assert_num_queries):
    import time_machine

    for i in range(3):
        CustomerFactory(organisation=global_admin.organisation, company_name=f"C{i}")
    api.get("/v1/profiles/organization")  # the token's first use is recorded: not part of what is counted below
    redis_window.clear()
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        statuses = []
        for _ in range(3):
            with django_assert_num_queries(2):  # the token and the page; Redis answers meanwhile
                statuses.append(api.get("/v1/customers").status_code)
            clock.shift(10)
        with django_assert_num_queries(2):  # refused after its page was read (the overlap's cost), not answered with it
            refused = api.get("/v1/customers")  # 30 s after the first of three: 30 s to wait
        with django_assert_num_queries(1):  # seen refused in this process: checked before the page is read
            again = api.get("/v1/customers")
        clock.shift(31)  # the first request has left the window: one more is let through, then refused again
        statuses += [api.get("/v1/customers").status_code, api.get("/v1/customers").status_code]
    assert statuses == [200, 200, 200, 200, 429]
    for response in (refused, again):
        assert response.status_code == 429 and response["Retry-After"] == "30", response.content
        body = response.json()
        assert body["statusCode"] == 429 and "Rate limit is exceeded" in body["message"] and "items" not in body
        assert response["Cache-Control"] == "no-store" and response["MS-CorrelationId"]
    assert _window_length(redis_window) == 3 and _in_use(redis_window) == 0


def test_a_refused_request_gets_429_whatever_its_handler_answered(api, redis_window):
    from core.api import throttling

    for _ in range(3):
        assert api.get("/v1/customers").status_code == 200
    throttling._refused_until.clear()  # as in another process that has not seen the refusal: deferred
    response = api.get("/v1/customers", HTTP_MS_CONTINUATIONTOKEN="not-a-token")  # the handler's own answer: 400
    assert response.status_code == 429 and int(response["Retry-After"]) >= 1
    throttling._refused_until.clear()
    assert api.head("/v1/customers").status_code == 429
    assert _window_length(redis_window) == 3 and _in_use(redis_window) == 0


def test_a_handler_that_fails_leaves_no_answer_on_a_shared_connection(api, redis_window, monkeypatch):
    def broken(self, request):
        raise RuntimeError("boom")

    with monkeypatch.context() as patch:
        patch.setattr(customer_views.CustomerListView, "get", broken)
        with pytest.raises(RuntimeError):
            api.get("/v1/customers")
    assert _in_use(redis_window) == 0
    redis_window.set("after", "ok")  # the pool's connections answer their own commands
    assert redis_window.get("after") == "ok"
    # The failed request was counted, as a checked-first one is; each later request reads its own answer (were the
    # failed one's answer left on the connection, every answer would be one request late and the third let through).
    assert [api.get("/v1/customers").status_code for _ in range(3)] == [200, 200, 429]
    assert _window_length(redis_window) == 3


def test_a_redis_that_lost_its_scripts_still_counts_once(api, redis_window):
    redis_window._cache.get_client().script_flush()
    assert api.get("/v1/customers").status_code == 200
    assert _window_length(redis_window) == 1
    redis_window._cache.get_client().script_flush()
    assert api.get("/v1/customers").status_code == 200
    assert _window_length(redis_window) == 2 and _in_use(redis_window) == 0


def test_writes_and_other_views_are_checked_first(api, redis_window, django_assert_num_queries):
    from core.api.views import PCAPIView

    assert PCAPIView.deferred_throttle_methods == ()
    assert customer_views.CustomerListView.deferred_throttle_methods == ("GET", "HEAD")
    for _ in range(3):
        assert api.get("/v1/customers").status_code == 200
    from core.api import throttling

    throttling._refused_until.clear()
    with django_assert_num_queries(1):  # only the token: the create's validation never ran
        response = api.post("/v1/customers", {}, format="json")
    assert response.status_code == 429


def _drop_connections_of_this_database(client):
    """Redis closes every connection to this test's database but the asking one, as a restart would. Only this
    database's: the other xdist worker, or another suite on the same Redis, keeps its connections (a CLIENT KILL of
    every normal connection reset theirs mid-test)."""
    me = client.client_id()
    database = client.connection_pool.connection_kwargs.get("db", 0)
    dropped = 0
    for entry in client.client_list(_type="normal"):
        if int(entry["db"]) == int(database) and int(entry["id"]) != me:
            dropped += client.client_kill_filter(_id=int(entry["id"]))
    return dropped


def test_a_connection_redis_closed_is_opened_again(api, redis_window, monkeypatch):
    """The deferred count's connection is the worker thread's own (core.api.throttling._held_connection): after
    Redis drops it (a restart, an idle timeout), the request is still counted once and answered, and the next one
    goes through that connection again, opened anew (not through the client's fallback)."""
    from core.api import throttling

    again = []
    real = throttling.PendingThrottle._again
    monkeypatch.setattr(throttling.PendingThrottle, "_again", lambda self: again.append(1) or real(self))
    assert api.get("/v1/customers").status_code == 200
    assert _drop_connections_of_this_database(redis_window._cache.get_client()) >= 1  # the held one among them
    assert api.get("/v1/customers").status_code == 200
    fallbacks = len(again)
    sent = []
    real_start = throttling.TenantRateThrottle.start
    monkeypatch.setattr(throttling.TenantRateThrottle, "start",
                        lambda self, request, view: sent.append(real_start(self, request, view)) or sent[-1])
    assert api.get("/v1/customers").status_code == 200
    assert isinstance(sent[0], throttling.PendingThrottle) and len(again) == fallbacks <= 1  # deferred, and read
    assert _window_length(redis_window) == 3 and _in_use(redis_window) == 0


def test_an_answer_left_unread_is_never_read_by_another_request(api, redis_window):
    """Should a path ever send a count and neither read nor drop its answer, the thread's connection is closed
    before its next use: the next request reads its own answer, not the one left behind."""
    from core.api import throttling

    assert api.get("/v1/customers").status_code == 200
    window = throttling.TenantRateThrottle()
    request = type("Request", (), {"auth": None, "headers": {}, "META": {"REMOTE_ADDR": "192.0.2.1"}})()
    left = window.start(request, None)  # another client's count (by address), its answer never read
    assert isinstance(left, throttling.PendingThrottle)
    statuses = [api.get("/v1/customers").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]  # 2nd and 3rd of the organisation's window, then refused
    assert _window_length(redis_window) == 3
