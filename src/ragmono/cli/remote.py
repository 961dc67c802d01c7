"""The HTTP side of remote commands (``--url``): one client, and every failure as one line.

httpx is imported here, when a command first needs it, not when ``ragmono`` starts.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from .errors import EXIT_REFUSED, EXIT_SERVER, EXIT_UNREACHABLE, EXIT_USAGE, CliError

if TYPE_CHECKING:
    import httpx

__all__ = ["check", "checked_url", "connect", "problem_line"]

_HINTS = {
    401: "pass --token or set RAGMONO_TOKEN",
    403: "the token lacks this route's scope",
}


def checked_url(url: str) -> str:
    """``url`` without a trailing slash, or a usage error naming what is wrong with it."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        hint = f" (did you mean http://{url}?)" if "://" not in url else ""
        raise CliError(f"not an http(s) URL: {url!r}{hint}", EXIT_USAGE)
    return url.rstrip("/")


def _import_httpx() -> None:
    # httpx imports its own command line (rich, pygments: ~0.3 s) when rich is installed;
    # ragmono never uses it, so it is marked absent and httpx falls back to a stub.
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]


@asynccontextmanager
async def connect(
    url: str, token: str | None, timeout_s: float = 300.0
) -> AsyncIterator[httpx.AsyncClient]:
    """A client for the server at ``url``; transport failures leave as :class:`CliError`."""
    base = checked_url(url)
    _import_httpx()
    import httpx

    headers = {"X-Service-Token": token} if token else {}
    try:
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=timeout_s) as http:
            yield http
    except httpx.ConnectError:
        raise CliError(
            f"cannot reach the server at {base} (is `ragmono serve` running there?)",
            EXIT_UNREACHABLE,
        ) from None
    except httpx.TimeoutException:
        raise CliError(f"the server at {base} did not answer in time", EXIT_UNREACHABLE) from None
    except httpx.TransportError as exc:
        raise CliError(
            f"talking to {base} failed: {type(exc).__name__}: {exc}", EXIT_UNREACHABLE
        ) from None


def problem_line(response: httpx.Response) -> str:
    """``401 Unauthorized: detail`` from a problem+json answer (or its text)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    detail = body.get("detail") if isinstance(body, dict) else None
    line = f"{response.status_code} {response.reason_phrase}: {detail or response.text.strip()}"
    request_id = body.get("request_id") if isinstance(body, dict) else None
    if response.status_code >= 500 and request_id:
        line += f" (request id {request_id})"
    hint = _HINTS.get(response.status_code)
    return f"{line} ({hint})" if hint else line


def check(response: httpx.Response) -> httpx.Response:
    """``response`` when it succeeded; else the server's problem as :class:`CliError`."""
    if response.status_code < 400:
        return response
    code = EXIT_SERVER if response.status_code >= 500 else EXIT_REFUSED
    raise CliError(f"the server answered {problem_line(response)}", code)
