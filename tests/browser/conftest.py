"""Browser tests: pytest-django's live_server driven by the system Chromium through Playwright.

Every test gets a fresh browser context (its own cookies) on a page whose `base_url` is the live
server. A failing test leaves a screenshot in test-artifacts/. Console errors (which include
Content Security Policy violations) are collected on `page.console_errors`.

Database: live_server needs transactional tests, which end with a flush (TRUNCATE) that also
removes the reference data the migrations load. `serialized_rollback=True` on each test brings it
back before it, and the root conftest's `pytest_runtest_teardown` loads it again after every
transactional test, so the tests that run next in the same worker still find it.
"""

import os
import re
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django would refuse ORM calls made
# from the test body while it runs.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
DEFAULT_TIMEOUT_MS = 15_000


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def browser(chromium_path):
    """Chromium, with Playwright started for this test only.

    While Playwright runs, its event loop counts as running in this thread, so Django hands the
    test's ORM calls connections of their own; they are closed here, before the loop stops.
    Stopping Playwright after each test keeps the next test's database set-up and flush on the
    ordinary connections.
    """
    from django.db import connections
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
            connections.close_all()


@pytest.fixture
def new_page(browser, live_server, request):
    """Make pages, each in its own browser context (a separate person). Screenshots on failure."""
    pages = []

    def make():
        context = browser.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 900},
                                      locale="en-GB", timezone_id="UTC")
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        page = context.new_page()
        page.console_errors = []
        page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
        page.on("pageerror", lambda exc: page.console_errors.append(f"uncaught: {exc}"))
        pages.append(page)
        return page

    yield make
    report = getattr(request.node, "rep_call", None)
    failed = report is not None and report.failed
    for index, page in enumerate(pages):
        if failed:
            ARTIFACTS.mkdir(exist_ok=True)
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid.split("::", 1)[-1])
            suffix = f"-{index}" if len(pages) > 1 else ""
            try:
                page.screenshot(path=str(ARTIFACTS / f"FAILED-{name}{suffix}.png"), full_page=True)
            except Exception as exc:  # noqa: BLE001 - a screenshot must not hide the real failure
                print(f"could not take the failure screenshot: {exc}")
        page.context.close()


@pytest.fixture
def page(new_page):
    return new_page()
