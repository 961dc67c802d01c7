"""A live ``ragmono serve`` and the system Chromium for the console's end-to-end tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.support.auth import SERVICE_TOKEN
from tests.support.browser import SCREENSHOTS_ENV, OfflineContext, launch
from tests.support.live_server import LiveServer
from tests.support.ports import free_port
from tests.support.prefix_proxy import PrefixProxy

BASE_ENV = {
    "RAGMONO_RATE_LIMIT__DEFAULT": "100000/minute",
    "RAGMONO_BACKUP__SCHEDULE": "",
}
READ_ONLY_TOKEN = "reader-token-0123456789abcdefghijklmnopqrs"


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture(scope="package")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where to write screenshots (``RAGMONO_TEST_SCREENSHOTS`` or a temporary folder)."""
    chosen = os.environ.get(SCREENSHOTS_ENV)
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="package")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, LiveServer]]:
    """Both servers, started side by side (each loads the embedding model: minutes saved in
    CI's total, seconds here)."""
    tokens = f'["{SERVICE_TOKEN}", "{READ_ONLY_TOKEN}:search+query"]'
    wanted = {
        # Auth off, as after `make run`; every upload becomes a job (the progress bar).
        "open": {"RAGMONO_INGEST__ASYNC_THRESHOLD_BYTES": "0"},
        # Auth on: one token with every scope, one that may only search and query; behind a
        # proxy on 127.0.0.1 that says which prefix it serves the app under.
        # Small uploads are written while the browser waits (per-file results). Its LLM is an
        # Ollama nobody runs, so every answer is the degraded extractive one.
        "auth": {
            "RAGMONO_PROFILE": "prod",
            "RAGMONO_AUTH__SERVICE_TOKENS": tokens,
            "RAGMONO_RATE_LIMIT__TRUSTED_PROXIES": "127.0.0.1",
            "RAGMONO_GENERATOR__PROVIDER": "ollama",
            "RAGMONO_GENERATOR__MODEL": "llama3.2",
            "RAGMONO_OLLAMA__URL": f"http://127.0.0.1:{free_port()}",
        },
    }
    made = {
        name: LiveServer(tmp_path_factory.mktemp(f"console-{name}"), {**BASE_ENV, **env})
        for name, env in wanted.items()
    }
    try:
        with ThreadPoolExecutor(len(made)) as pool:
            # A generous start-up limit: on a loaded 2-core machine one start took 58 s.
            for started in [pool.submit(server.start, 180.0) for server in made.values()]:
                started.result()
        yield made
    finally:
        for server in made.values():
            server.stop()


@pytest.fixture(scope="package")
def open_server(servers: dict[str, LiveServer]) -> LiveServer:
    """Auth off, as after ``make run``."""
    return servers["open"]


@pytest.fixture(scope="package")
def auth_server(servers: dict[str, LiveServer]) -> Iterator[PrefixProxy]:
    """The auth-on server under ``/rag``, through a reverse proxy that strips the prefix and
    sends X-Forwarded-Prefix (any URL that forgets the prefix gets the proxy's 404)."""
    proxy = PrefixProxy(servers["auth"].port, "/rag", send_prefix_header=True).start()
    yield proxy
    proxy.stop()


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
        lambda msg: (
            errors.append(msg.text)
            if msg.type == "error" and "Content Security Policy" in msg.text
            else None
        ),
    )
    yield page
    assert errors == [], f"script errors or CSP violations on the page: {errors}"
