"""Playwright on Debian's Chromium (/usr/bin/chromium); no browser is ever downloaded.

Tests take `page` and pytest-django's `live_server`, and need the `transactional_db` the live
server implies, because the server thread reads what the test wrote.
"""

import os

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

# Playwright's sync API keeps an event loop running in the test thread, and Django refuses ORM
# calls from a thread with a running loop; the calls are in fact synchronous here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("BZPEER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Browser:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, transactional_db) -> Page:
    context = browser.new_context()
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(autouse=True)
def empty_cache():
    """Each browser test starts with an empty cache. Its rows are flushed between tests and
    pks come round again, while Redis keeps the data versions and the cached pages keyed by
    them: a page cached for another test's author of the same pk could be served (seen once
    in CI: a profile page 34 px taller than the one the test built)."""
    from django.core.cache import cache

    cache.clear()
