"""Swagger UI at /schema from files this app serves: no CDN, no inline script."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from litestar import Request, Router
from litestar.datastructures import ResponseHeader
from litestar.openapi.plugins import OpenAPIRenderPlugin

from .config import CONTENT_SECURITY_POLICY, ConsoleConfig
from .controller import render_page

__all__ = ["OfflineSwaggerPlugin", "docs_router"]


class OfflineSwaggerPlugin(OpenAPIRenderPlugin):
    """Litestar's Swagger plugin loads Swagger UI from a CDN and inlines its start-up script;
    this page loads both from the app (``/console/...``) and fetches ``schema/openapi.json``."""

    def __init__(self, config: ConsoleConfig, path: str | Sequence[str] = "/swagger") -> None:
        super().__init__(path=path, favicon="", style="")
        self._config = config

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        """The docs page for this request's public prefix."""
        return render_page("docs.html", self._config.prefix(request.scope))


def docs_router(path: str = "/schema") -> Router:
    """The router Litestar mounts the docs on, with our Content-Security-Policy on its pages."""
    return Router(
        path,
        route_handlers=[],
        include_in_schema=False,
        response_headers=[
            ResponseHeader(name="Content-Security-Policy", value=CONTENT_SECURITY_POLICY)
        ],
    )
