"""Headless Chromium (Debian's, driven by Playwright) for the browser tests; screenshots land
in artifacts/browser/ (gitignored)."""

import os
import shutil
import time
from pathlib import Path

import pytest

from tests.conftest import ARTIFACTS

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SHOTS = ARTIFACTS / "browser"


@pytest.fixture
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    # Playwright's sync API runs an event loop in this thread; the ORM calls the live
    # server makes happen in its own thread, and ours happen before the browser starts.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def shots() -> Path:
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    return SHOTS


def csp_violations(page) -> list[str]:
    """What the page's Content-Security-Policy refused from now on, as Chromium reports it (with the page's URL)."""
    refused: list[str] = []

    def console(message) -> None:
        if "Content Security Policy" in message.text:
            refused.append(f"{page.url}: {message.text}")

    page.on("console", console)
    return refused


def wait_until(page, expression: str, timeout: float = 30_000) -> None:
    """Poll a JavaScript expression (or `() => ...` function) until it is true, for up to
    `timeout` ms, across navigations.

    What `page.wait_for_function` does, but it compiles the expression in the page with
    `new Function`, which the site's Content-Security-Policy refuses ('unsafe-eval');
    `page.evaluate` goes through the DevTools protocol, which the policy does not govern.
    """
    deadline = time.monotonic() + timeout / 1000
    while True:
        try:
            if page.evaluate(expression):
                return
        except Exception:  # the page is navigating, or an element is not there yet
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"still not true after {timeout / 1000:.0f} s: {expression}")
        page.wait_for_timeout(100)
