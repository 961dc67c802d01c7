"""A live ``ragmono serve`` and the system Chromium for the console's end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.support.auth import SERVICE_TOKEN
from tests.support.browser import OfflineContext, launch
from tests.support.live_server import LiveServer

BASE_ENV = {
    # Every upload becomes a background job, so the console's progress bar is exercised.
    "RAGMONO_INGEST__ASYNC_THRESHOLD_BYTES": "0",
    "RAGMONO_RATE_LIMIT__DEFAULT": "100000/minute",
    "RAGMONO_BACKUP__SCHEDULE": "",
}
READ_ONLY_TOKEN = "reader-token-0123456789abcdefghijklmnopqrs"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


def _serve(root: Path, env: dict[str, str]) -> Iterator[LiveServer]:
    server = LiveServer(root, {**BASE_ENV, **env}).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def open_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Auth off, as after ``make run``."""
    yield from _serve(tmp_path_factory.mktemp("console-open"), {})


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Auth on: one token with every scope, one that may only search and query."""
    tokens = f'["{SERVICE_TOKEN}", "{READ_ONLY_TOKEN}:search+query"]'
    yield from _serve(
        tmp_path_factory.mktemp("console-auth"),
        {"RAGMONO_PROFILE": "prod", "RAGMONO_AUTH__SERVICE_TOKENS": tokens},
    )


@pytest.fixture
def offline(browser: Browser) -> Iterator[OfflineContext]:
    """A desktop-sized context with every non-local request aborted (and asserted absent)."""
    ctx = OfflineContext(browser, viewport={"width": 1280, "height": 800})
    yield ctx
    ctx.close()
    assert ctx.foreign == [], f"the page tried to reach other origins: {ctx.foreign}"


@pytest.fixture
def page(offline: OfflineContext) -> Iterator[Page]:
    page = offline.context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "console",
        lambda msg: errors.append(msg.text)
        if msg.type == "error" and "Content Security Policy" in msg.text
        else None,
    )
    yield page
    assert errors == [], f"script errors or CSP violations on the page: {errors}"
