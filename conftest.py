"""Shared fixtures: organisations, users with roles, authenticated API and browser clients.

Tests run against PostgreSQL (DATABASE_URL, else the embedded server `make test` starts). Tests
marked needs_redis / browser skip when Redis or Chromium is missing, except under CI=true, where
that skip is a failure.
"""

import os
import shutil
import socket
from urllib.parse import urlparse

import pyotp
import pytest
from rest_framework.test import APIClient

from accounts.actors import actor_for_user
from accounts.choices import Role, Tier
from accounts.services import credential_create
from accounts.tests.factories import PASSWORD, OrganisationFactory, UserFactory
from core.testing import load_fixture

# Hypothesis: no per-example deadline. The suite runs on two busy cores (xdist) where one example can take longer
# than the default 200 ms without anything being wrong; correctness, not speed, is what the properties check.
try:
    from hypothesis import settings as _hypothesis_settings

    _hypothesis_settings.register_profile("portal", deadline=None)
    _hypothesis_settings.load_profile("portal")
except ImportError:  # hypothesis is a dev extra
    pass


def _test_handlers_resolve_as_the_portal():
    """Django's and DRF's test clients resolve /v1/ paths as the portal's WSGI handler does (core.handlers: each
    path's match kept and copied per request), so every API test runs through it."""
    from django.test import client as django_client
    from rest_framework import test as drf_test

    from core.handlers import KeptApiRoutes

    django_client.ClientHandler = type("ClientHandler", (KeptApiRoutes, django_client.ClientHandler), {})
    drf_test.ForceAuthClientHandler = type("ForceAuthClientHandler",
                                           (KeptApiRoutes, drf_test.ForceAuthClientHandler), {})


_test_handlers_resolve_as_the_portal()

IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no", "off")
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")


def skip_or_fail(reason):
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this test must not be skipped)")
    pytest.skip(reason)


def redis_available():
    url = os.environ.get("REDIS_URL")
    if not url:
        return False
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=1):
            return True
    except OSError:
        return False


_DB_BLOCKER = pytest.StashKey()


def reload_reference_data():
    """The rows the migrations load (regions and countries, agreement templates, the catalog, Azure roles)."""
    from django.apps import apps

    from accounts.regions import load_regions
    from agreements.reference import load_templates
    from azureplan.catalog.loader import load_catalog
    from azureplan.catalog.roles import load_azure_roles

    load_regions(apps.get_model("accounts", "Region"), apps.get_model("accounts", "Country"))
    load_azure_roles(apps.get_model("azureplan", "AzureRole"))
    load_templates(apps.get_model("agreements", "AgreementTemplate"))
    load_catalog(*(apps.get_model("azureplan", name) for name in ("Product", "Sku", "Availability", "OfferComparison")),
                 apps.get_model("accounts", "Country"))


def _transactional(item):
    marker = item.get_closest_marker("django_db")
    return ("transactional_db" in getattr(item, "fixturenames", ()) or "live_server" in getattr(item, "fixturenames", ())
            or bool(marker and marker.kwargs.get("transaction")))


def _serialized_rollback(item):
    marker = item.get_closest_marker("django_db")
    return (bool(marker and marker.kwargs.get("serialized_rollback"))
            or "django_db_serialized_rollback" in getattr(item, "fixturenames", ()))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    result = yield
    # A transactional test ends with a flush (TRUNCATE) that also empties the reference tables; put
    # them back for the tests that run next in this worker. Not before a serialized_rollback test (the
    # browser tests): it restores every table itself, and rows made here (agreement templates, or the
    # content types and permissions that a non-serialized test's flush re-creates) would get other ids
    # than the restored ones and collide with them: empty the tables instead.
    blocker = item.config.stash.get(_DB_BLOCKER, None)
    if nextitem is not None and blocker is not None and _transactional(item):
        with blocker.unblock():
            if not _serialized_rollback(nextitem):
                reload_reference_data()
            elif not _serialized_rollback(item):
                from django.core.management import call_command

                call_command("flush", interactive=False, inhibit_post_migrate=True, verbosity=0)
    return result


@pytest.fixture(autouse=True)
def _remember_db_blocker(request, django_db_blocker):
    request.config.stash[_DB_BLOCKER] = django_db_blocker


# A test that uses one of these fixtures gets the marker even if it forgot it, so `make test-fast`
# (-m "not browser and not needs_redis and not needs_worker") never runs it.
MARKER_OF_FIXTURE = {"redis_url": "needs_redis", "solo_worker": "needs_worker", "chromium_path": "browser",
                     "live_server": "browser"}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    for item in items:
        for fixture, marker in MARKER_OF_FIXTURE.items():
            if fixture in getattr(item, "fixturenames", ()) and not item.get_closest_marker(marker):
                item.add_marker(marker)


@pytest.fixture
def redis_url():
    if not redis_available():
        skip_or_fail("needs Redis: set REDIS_URL")
    # One Redis database per pytest-xdist process (REDIS_URL's, then the next ones): a worker started by one
    # process must not take the tasks another process sends to its own worker and database.
    url = urlparse(os.environ["REDIS_URL"])
    index = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    base = int(url.path.strip("/") or 0) if url.path.strip("/").isdigit() else 0
    return url._replace(path=f"/{(base + index) % 16}").geturl()


@pytest.fixture
def solo_worker(redis_url, transactional_db):
    """A real Celery worker (solo pool) on this process's Redis database, for the tests that need the broker."""
    from celery.contrib.testing.worker import start_worker

    from partnercenter.celery import app

    app.conf.task_always_eager = False
    point_celery_at(app, redis_url)
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield app


def wait_until(predicate, seconds=20, poll=0.1):
    """Poll `predicate` until it is true (True) or `seconds` have passed (False)."""
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(poll)
    return False


def point_celery_at(app, url):
    """Send and consume through `url`. Connection pools made for another broker URL would keep sending there, so
    they are dropped when the URL changes."""
    if app.conf.broker_url != url:
        app.conf.broker_url = url
        app._pool = None
        app.amqp._producer_pool = None
    return app


@pytest.fixture
def chromium_path():
    if not CHROMIUM:
        skip_or_fail("needs Chromium (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture
def samples():
    """Microsoft's Partner Center examples by file name (tests/fixtures/partnercenter/), parsed."""
    return load_fixture


@pytest.fixture
def make_org(db):
    def make(**kwargs):
        return OrganisationFactory(**kwargs)

    return make


@pytest.fixture
def org(db):
    return OrganisationFactory(name="Partner A", tier=Tier.DIRECT_BILL)


@pytest.fixture
def other_org(db):
    return OrganisationFactory(name="Partner B", tier=Tier.DIRECT_BILL)


@pytest.fixture
def make_user(db, org):
    def make(*roles, organisation=None, **kwargs):
        roles = [Role(r).value for r in roles] if roles else [Role.GLOBAL_ADMIN.value]
        return UserFactory(organisation=organisation or org, roles=roles, **kwargs)

    return make


@pytest.fixture
def global_admin(make_user):
    return make_user(Role.GLOBAL_ADMIN, email="ga@a.example.com")


@pytest.fixture
def actor_of():
    return lambda user: actor_for_user(user, request_id="test")


@pytest.fixture
def api_client_for(db):
    """An APIClient authenticated with a fresh personal token of `user`."""

    def make(user):
        _credential, raw = credential_create(actor=actor_for_user(user), name="test token")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        client.token = raw
        return client

    return make


@pytest.fixture
def api(api_client_for, global_admin):
    return api_client_for(global_admin)


def enrol(user):
    """Give `user` a TOTP second factor; returns a pyotp.TOTP that makes valid codes."""
    secret = pyotp.random_base32()
    user.totp_secret = secret
    from django.utils import timezone

    user.mfa_enrolled_at = timezone.now()
    user.save(update_fields=["totp_secret", "mfa_enrolled_at"])
    return pyotp.TOTP(secret)


@pytest.fixture
def portal_client(client):
    """A Django test client signed in as `user` with MFA passed (session flag as after verification)."""

    def make(user):
        from accounts.authentication import MFA_SESSION_KEY

        if not user.mfa_enrolled:
            enrol(user)
        client.force_login(user)
        session = client.session
        session[MFA_SESSION_KEY] = True
        session.save()
        return client

    return make


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _language_reset():
    """A test that activates French (a page in French, a French user's e-mail) must not leave the next test of the
    same process speaking it: messages asserted in English would then depend on the order of the tests."""
    from django.utils import translation

    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _cache_keys_per_xdist_process(settings):
    """Every pytest-xdist process has its own test database whose ids start at 1, but they share REDIS_URL's cache:
    keys per process, or one process's throttle window (keyed by organisation id) counts the other's requests."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if worker:
        caches = {name: {**config} for name, config in settings.CACHES.items()}
        for config in caches.values():
            config["KEY_PREFIX"] = f"{config.get('KEY_PREFIX', '')}test-{worker}"
        settings.CACHES = caches  # the setting_changed signal drops the cache connections made with the old one


@pytest.fixture(autouse=True)
def _eager_celery(settings):
    """Tasks run in-process at commit time unless a test starts a real worker."""
    from partnercenter.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def _openapi_checked(node):
    """API test modules (file name with "api", and tests/test_pc_*.py) or a test marked `openapi`."""
    if node.get_closest_marker("openapi"):
        return True
    name = node.path.name if hasattr(node, "path") else ""
    return "api" in name or name.startswith("test_pc_") or name == "test_address_validation.py"


@pytest.fixture(autouse=True)
def _openapi_answers(request):
    """Check every /v1/ answer of the test against the served schema (tests/openapi_check.py)."""
    if not _openapi_checked(request.node):
        yield
        return
    from tests.openapi_check import validating

    with validating():
        yield


__all__ = ["PASSWORD", "enrol"]
