"""Shared fixtures for browser tests: Playwright's sync API driving Debian's Chromium.

Never ``playwright install``: the browser is Debian's ``/usr/bin/chromium`` (or
``CHROMIUM_PATH``). Without it the tests skip, except in CI (``CI=true``) where they fail,
so a CI image without Chromium can't pass silently. ``page`` saves a full-page screenshot
to ``test-artifacts/`` when the test fails.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    # Without these Chromium keeps trying to reach outside hosts.
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    # Keep each phase's report on the item, so fixtures can tell whether the test failed.
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    candidate = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    path = shutil.which(candidate) or (candidate if Path(candidate).is_file() else None)
    if path is None:
        message = f"Chromium is not installed at {candidate} (apt-get install -y chromium); browser tests need it."
        if os.environ.get("CI", "").strip().lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture
def browser(chromium_path, monkeypatch):
    """A Chromium browser for one test. Function-scoped on purpose: Playwright's sync API
    runs an event loop in this thread while it is open, and Django's ORM refuses to run
    inside one, so it must not outlive the test that opted in to that."""
    # The test itself still uses the ORM for setup and checks while the loop exists.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture
def page(browser, request, settings):
    """A fresh page (own cookies); its screenshot goes to test-artifacts/ if the test fails."""
    # live_server speaks plain http, where a browser drops cookies marked Secure (as they
    # are with DEBUG off); the Secure flags themselves are tested in tests/accounts.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    context = browser.new_context()
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.nodeid)
        try:
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        except Exception as exc:
            print(f"Could not save a screenshot: {exc}")
    context.close()
