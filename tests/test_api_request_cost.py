"""The fixed cost of a /v1/ bearer request, cut without changing what it does: the token lookup, the throttle and
the JSON renderer (docs/architecture.md, "Cost of an API request")."""

import json
from datetime import timedelta

import pytest
from django.forms.models import model_to_dict
from django.utils import timezone

from accounts.actors import actor_for_user
from accounts.choices import CredentialKind, Role
from accounts.models import ApiCredential
from accounts.services import credential_authenticate, credential_create

pytestmark = pytest.mark.django_db


def _fields(instance):
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


# ------------------------------------------------------------------ token lookup


def test_the_token_lookup_answers_what_select_related_answers(global_admin, django_assert_num_queries):
    credential, raw = credential_create(actor=actor_for_user(global_admin), name="script", days=7)
    expected = ApiCredential.objects.select_related("organisation", "user", "user__organisation").get(pk=credential.pk)

    found = credential_authenticate(raw)

    assert type(found) is ApiCredential and not found._state.adding and found._state.db == "default"
    assert _fields(found) | {"last_used_at": None} == _fields(expected) | {"last_used_at": None}
    with django_assert_num_queries(0):  # the related rows came with the credential
        organisation, user, user_organisation = found.organisation, found.user, found.user.organisation
    assert _fields(organisation) == _fields(expected.organisation)
    assert _fields(user) == _fields(expected.user) and user.roles == [Role.GLOBAL_ADMIN.value]
    assert _fields(user_organisation) == _fields(expected.user.organisation)
    assert model_to_dict(found)["roles"] == model_to_dict(expected)["roles"]


def test_the_token_lookup_builds_instances_through_django_when_a_model_signal_listens(global_admin):
    """The lookup builds its instances without Model.__init__ (accounts.credential_lookup._instance); with a
    pre_init or post_init listener on a model it goes through Model.from_db, so the listener hears them."""
    from django.db.models.signals import post_init

    from accounts.models import User

    _credential, raw = credential_create(actor=actor_for_user(global_admin), name="script", days=7)
    heard = []

    def listener(sender, instance, **kwargs):
        heard.append(instance.pk)

    post_init.connect(listener, sender=User)
    try:
        found = credential_authenticate(raw)
    finally:
        post_init.disconnect(listener, sender=User)
    assert heard == [global_admin.pk] and found.user.pk == global_admin.pk and not found.user._state.adding
    assert _fields(found.user) == _fields(User.objects.get(pk=global_admin.pk))


def test_an_application_credential_has_no_user(global_admin, django_assert_num_queries):
    _credential, raw = credential_create(actor=actor_for_user(global_admin), name="app", kind=CredentialKind.APP,
                                         roles=[Role.SALES_AGENT.value])
    found = credential_authenticate(raw)
    with django_assert_num_queries(0):
        assert found.user is None and found.organisation.pk == global_admin.organisation_id
    assert found.roles == [Role.SALES_AGENT.value] and found.kind == CredentialKind.APP


def test_last_use_is_recorded_at_most_once_a_minute(global_admin, django_assert_num_queries):
    import time_machine

    credential, raw = credential_create(actor=actor_for_user(global_admin), name="script", days=7)
    assert credential.last_used_at is None
    with django_assert_num_queries(2):  # the lookup, then the first use recorded
        credential_authenticate(raw)
    first = ApiCredential.objects.get(pk=credential.pk).last_used_at
    assert first is not None
    with django_assert_num_queries(1):  # within the minute: the lookup only
        credential_authenticate(raw)
    assert ApiCredential.objects.get(pk=credential.pk).last_used_at == first
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        credential_authenticate(raw)
    assert ApiCredential.objects.get(pk=credential.pk).last_used_at > first


def test_a_bearer_request_runs_the_lookup_as_one_query(api, django_assert_num_queries):
    api.get("/v1/profiles/organization")  # the first use is recorded (one more query) outside the count
    with django_assert_num_queries(1) as captured:
        response = api.get("/v1/nothing-here")
    assert response.status_code == 404
    assert "accounts_apicredential" in captured.captured_queries[0]["sql"]


# ------------------------------------------------------------------ throttle


@pytest.fixture
def three_a_minute():
    from django.core.cache import cache

    from core.api.throttling import TenantRateThrottle

    cache.clear()
    old = TenantRateThrottle.THROTTLE_RATES
    TenantRateThrottle.THROTTLE_RATES = {"tenant": "3/min"}
    yield
    TenantRateThrottle.THROTTLE_RATES = old
    cache.clear()


def _redis_cache():
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    from conftest import skip_or_fail

    cache = caches["default"]
    if not isinstance(cache, RedisCache):
        skip_or_fail("the throttle's one-round-trip window needs the Redis cache (set REDIS_URL)")
    return cache


def test_the_throttle_keeps_a_sliding_window_in_one_redis_list(api, three_a_minute):
    import time_machine

    cache = _redis_cache()
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        statuses = []
        for _ in range(3):
            statuses.append(api.get("/v1/profiles/organization").status_code)
            clock.shift(10)
        refused = api.get("/v1/profiles/organization")  # 30 s after the first of three: 30 s to wait
        clock.shift(31)  # the first request has left the window: one more is let through, then refused again
        statuses += [api.get("/v1/profiles/organization").status_code,
                     api.get("/v1/profiles/organization").status_code]
    assert statuses == [200, 200, 200, 200, 429]
    assert refused.status_code == 429 and refused["Retry-After"] == "30"
    body = refused.json()
    assert body["statusCode"] == 429 and "Rate limit is exceeded" in body["message"]
    assert refused["Cache-Control"] == "no-store" and refused["MS-CorrelationId"]
    client = cache._cache.get_client()
    [key] = client.keys(f"{cache.key_prefix}*throttle_tenant_org-*")  # this xdist process's keys only
    assert client.type(key) == b"list" and client.llen(key) == 3 and 0 < client.ttl(key) <= 60


def test_the_throttle_counts_every_worker_against_one_window(api, three_a_minute):
    """Concurrent requests cannot lose each other's count (DRF's read-then-write of a pickled list could)."""
    from concurrent.futures import ThreadPoolExecutor

    from rest_framework.test import APIRequestFactory

    from core.api.throttling import TenantRateThrottle

    _redis_cache()
    request = APIRequestFactory().get("/v1/profiles/organization")
    request.auth = actor_for_user(ApiCredential.objects.get(name="test token").user)

    def allowed(_):
        return TenantRateThrottle().allow_request(request, None)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(allowed, range(20)))
    assert results.count(True) == 3


# ------------------------------------------------------------------ renderer


def _drf_bytes(data, accepted_media_type=None):
    from rest_framework.renderers import JSONRenderer

    class Reference(JSONRenderer):  # what PartnerCenterJSONRenderer rendered before orjson
        ensure_ascii = False

    return Reference().render(data, accepted_media_type, {})


def _ours(data, accepted_media_type=None):
    from core.api.renderers import PartnerCenterJSONRenderer

    return PartnerCenterJSONRenderer().render(data, accepted_media_type, {})


def _json_values():
    import datetime
    from zoneinfo import ZoneInfo

    from hypothesis import strategies as st

    from accounts.choices import Role

    scalars = st.one_of(
        st.none(), st.booleans(), st.integers(min_value=-(2**63), max_value=2**64 - 1),
        st.text(), st.uuids(), st.decimals(allow_nan=False, allow_infinity=False, places=6),
        st.datetimes(timezones=st.sampled_from([None, datetime.UTC, ZoneInfo("Europe/Paris")])),
        st.dates(), st.times(), st.sampled_from(list(Role)),
    )
    return st.recursive(scalars, lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=8), children, max_size=4)), max_leaves=20)


def test_the_renderer_writes_the_bytes_drf_wrote():
    from hypothesis import given

    @given(_json_values())
    def check(value):
        assert _ours(value) == _drf_bytes(value)

    check()


def test_a_float_keeps_its_value():
    """The one spelling that changes: a Python float in exponent form (`1e-05` -> `1e-5`), the same number. No API
    answer holds a float (money is Decimal, which renders exactly as before)."""
    from hypothesis import given
    from hypothesis import strategies as st

    @given(st.floats(allow_nan=False, allow_infinity=False))
    def check(value):
        assert json.loads(_ours([value])) == json.loads(_drf_bytes([value])) == [value]

    check()


def test_money_ids_and_times_render_as_before():
    import datetime
    import uuid
    from decimal import Decimal

    from django.utils.translation import gettext_lazy

    value = {"price": Decimal("12.340"), "small": Decimal("0.00001"), "big": Decimal("12345678901234567890"),
             "id": uuid.UUID("6f2a1c3e-0000-4000-8000-00000000abcd"),
             "at": datetime.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=datetime.UTC), "day": datetime.date(2026, 1, 2),
             "text": "Société\u2028line", "lazy": gettext_lazy("Customer"), "huge": 2**70, 1: "int key"}
    assert _ours(value) == _drf_bytes(value)
    assert _ours(value).startswith(b'{"price":12.34,"small":1e-05,"big":1.2345678901234567e+19,'
                                   b'"id":"6f2a1c3e-0000-4000-8000-00000000abcd","at":"2026-01-02T03:04:05.678901Z",')
    assert b"Soci\xc3\xa9t\xc3\xa9\\u2028line" in _ours(value)
    assert _ours(value, "application/json; indent=2") == _drf_bytes(value, "application/json; indent=2")
    assert _ours(None) == b""


def test_a_timezone_aware_time_still_cannot_be_rendered():
    import datetime

    value = {"t": datetime.time(1, 2, tzinfo=datetime.UTC)}
    with pytest.raises(ValueError):
        _drf_bytes(value)
    with pytest.raises(ValueError):
        _ours(value)


def test_a_customer_page_and_an_error_envelope_render_as_drf_rendered_them(api, global_admin):
    from customers.tests.factories import CustomerFactory

    for number in range(3):
        CustomerFactory(organisation=global_admin.organisation, company_name=f"Contoso {number} Société")
    page = api.get("/v1/customers?size=2")
    assert page.status_code == 200 and page["Content-Type"] == "application/json; charset=utf-8"
    assert page.content == _drf_bytes(page.data)
    assert len(page.json()["items"]) == 2 and "continuationToken" in page.json()
    error = api.get("/v1/customers?size=abc", HTTP_X_LOCALE="fr-FR")
    assert error.status_code == 400 and error.content == _drf_bytes(error.data)
    assert error.json()["code"] and error.json()["description"]


# ------------------------------------------------------------------ garbage


def test_an_answer_is_freed_when_the_server_closes_it(global_admin):
    """DRF's view <-> response <-> renderer context cycles are cut on close (core.api.views.PCAPIView), so a page's
    data is freed by reference counting, not left for the cycle collector. Run as a WSGI server runs it (the test
    client adds cycles of its own)."""
    import gc
    import weakref

    from django.core.handlers.wsgi import WSGIHandler
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections
    from django.test import RequestFactory

    from customers.tests.factories import CustomerFactory

    for i in range(3):
        CustomerFactory(organisation=global_admin.organisation, company_name=f"Freed {i}")
    _credential, raw = credential_create(actor=actor_for_user(global_admin), name="script", days=7)
    environ = RequestFactory().get("/v1/customers", HTTP_AUTHORIZATION=f"Bearer {raw}").environ
    handler = WSGIHandler()
    gc.collect()
    gc.disable()
    for signal in (request_started, request_finished):  # as the test client does: keep the test's transaction
        signal.disconnect(close_old_connections)
    try:
        response = handler(environ, lambda status, headers: None)
        body = b"".join(response)
        assert json.loads(body).get("totalCount") == 3, body
        answer = weakref.ref(response)
        response.close()
        del response
        assert answer() is None  # freed at once, with its data
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)
        gc.enable()
