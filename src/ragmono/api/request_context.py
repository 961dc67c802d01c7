"""Request ids and the one access-log line per request, as plain ASGI middleware.

Hand-written rather than a plugin: it costs ~13 us per request against ~2x that for
Litestar's logging plugin (design section 9), and it never sees bodies or headers it
does not need, so no secret can reach a log.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import structlog
from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send

__all__ = ["RequestContextMiddleware", "request_id_of"]

log = structlog.get_logger("ragmono.access")
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
REQUEST_ID_HEADER = b"x-request-id"


def request_id_of(scope: Scope) -> str:
    """The request id bound to this request (or empty outside one)."""
    state: dict[str, Any] = scope.get("state", {})
    return str(state.get("request_id", ""))


class RequestContextMiddleware:
    """Takes ``X-Request-ID`` (or makes one), echoes it, binds it to logs, logs one line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        http_scope: HTTPScope = scope
        incoming = next((v for k, v in scope["headers"] if k == REQUEST_ID_HEADER), b"").decode(
            "latin-1"
        )
        request_id = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER, request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            log.info(
                "request",
                method=http_scope["method"],
                path=scope["path"],
                status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
            )
            structlog.contextvars.unbind_contextvars("request_id")
