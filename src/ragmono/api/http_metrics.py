"""HTTP metrics as plain ASGI middleware around the whole app, routing included.

Hand-written for cost (design section 9: Litestar's Prometheus plugin costs ~2x). It wraps
Litestar's ``asgi_handler`` rather than sitting in the per-route ``middleware`` list, so it also
sees requests that match no route (404/405, labelled ``unmatched``) and the time spent routing.
The route label is Litestar's matched path template (``/api/v1/collections/{name}``), which the
router writes to ``scope["path_template"]``: never the raw path, so ids cannot explode the
label set.
"""

from __future__ import annotations

import time

from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send

from ragmono.ports import Telemetry

__all__ = ["UNMATCHED_ROUTE", "HttpMetricsMiddleware"]

UNMATCHED_ROUTE = "unmatched"


class HttpMetricsMiddleware:
    """Counts and times every HTTP request by route template, method and status."""

    __slots__ = ("app", "telemetry")

    def __init__(self, app: ASGIApp, telemetry: Telemetry | None = None) -> None:
        self.app = app
        self.telemetry = telemetry
        """None until :meth:`bind`: requests pass uncounted (none arrive before the lifespan)."""

    def bind(self, telemetry: Telemetry) -> None:
        """Report to ``telemetry`` from now on (the lifespan builds it after the app exists)."""
        self.telemetry = telemetry

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        telemetry = self.telemetry
        if scope["type"] != ScopeType.HTTP or telemetry is None:
            await self.app(scope, receive, send)
            return
        http_scope: HTTPScope = scope
        status = 500  # what the client sees if the app dies before answering

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        telemetry.http_request_started()
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_and_note_status)
        finally:
            telemetry.http_request_finished(
                http_scope.get("path_template") or UNMATCHED_ROUTE,
                http_scope["method"],
                status,
                time.perf_counter() - started,
            )
