"""The MCP server as one Litestar ASGI mount, and the task group its transport needs."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from litestar import asgi
from litestar.handlers import ASGIRouteHandler
from litestar.types import Receive, Scope, Send
from mcp.server.fastmcp import FastMCP

__all__ = ["McpEndpoint"]


class McpEndpoint:
    """``server``'s streamable-HTTP transport, mountable at ``path`` in the app.

    The SDK's session manager runs a task group for the life of the app:
    :meth:`running` enters it (from the app's lifespan; once per server).
    """

    def __init__(self, server: FastMCP, *, path: str = "/mcp", opt: dict[str, Any]) -> None:
        server.streamable_http_app()  # builds the session manager; its Starlette app is unused
        self._manager = server.session_manager
        manager = self._manager

        async def endpoint(scope: Scope, receive: Receive, send: Send) -> None:
            await manager.handle_request(scope, receive, send)  # type: ignore[arg-type]

        self.handler: ASGIRouteHandler = asgi(path, is_mount=True, copy_scope=True, opt=opt)(
            endpoint
        )

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Run the transport's task group until the app stops."""
        async with self._manager.run():
            yield
