"""Debian's Chromium driven by Playwright (no browser download), with the network cut off."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Browser, BrowserContext, Playwright, Route

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
SCREENSHOTS_ENV = "RAGMONO_TEST_SCREENSHOTS"
"""Directory the console tests write their screenshots to; the README's come from
``RAGMONO_TEST_SCREENSHOTS=docs/screenshots pytest tests/e2e`` (default: a temporary folder)."""


def chromium_path() -> str:
    """The system Chromium (apt's ``chromium``); ``.ci/run`` installs it."""
    for candidate in (os.environ.get("RAGMONO_TEST_CHROMIUM", ""), *CHROMIUM_CANDIDATES):
        if candidate and Path(candidate).exists():
            return candidate
    found = shutil.which("chromium")
    if found is None:
        raise RuntimeError("chromium is not installed: apt-get install chromium (see .ci/run)")
    return found


def launch(playwright: Playwright) -> Browser:
    """Headless system Chromium."""
    return playwright.chromium.launch(executable_path=chromium_path(), headless=True)


class OfflineContext:
    """A browser context that aborts, and records, every request not to 127.0.0.1.

    Stands for a machine without internet: a page that needs a CDN renders blank here, and
    ``foreign`` names what it tried to fetch.
    """

    def __init__(self, browser: Browser, **options: object) -> None:
        self.context: BrowserContext = browser.new_context(**options)  # type: ignore[arg-type]
        self.foreign: list[str] = []
        self.context.route("**/*", self._route)

    def _route(self, route: Route) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob") or parts.hostname == "127.0.0.1":
            route.continue_()
        else:
            self.foreign.append(url)
            route.abort("internetdisconnected")

    def close(self) -> None:
        """Close the context (and its pages)."""
        self.context.close()
