"""``create_app(settings)``: routers, middleware, error map and lifespan. No logic lives here."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin

from ragmono import __version__
from ragmono.api.problems import EXCEPTION_HANDLERS
from ragmono.api.request_context import RequestContextMiddleware
from ragmono.api.v1 import build_v1_router
from ragmono.lifespan import Adapters, Services, build_services, open_adapters
from ragmono.modules.health import HealthController
from ragmono.settings import Settings

__all__ = ["create_app"]


def create_app(settings: Settings, *, adapters: Adapters | None = None) -> Litestar:
    """Build the ASGI app. Adapters are opened in the lifespan unless given (tests)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            opened = (
                adapters
                if adapters is not None
                else await stack.enter_async_context(open_adapters(settings))
            )
            app.state.services = build_services(settings, opened)
            yield

    def provide(name: str) -> Provide:
        def getter(state: State) -> Any:
            services: Services = state.services
            return getattr(services, name)

        return Provide(getter, sync_to_thread=False)

    dependencies: dict[str, Provide | Callable[..., Any]] = {
        name: provide(name)
        for name in (
            "collections",
            "health",
            "breakers",
            "search",
            "answers",
            "cache_admin",
            "models",
        )
    }
    return Litestar(
        route_handlers=[HealthController, build_v1_router()],
        lifespan=[lifespan],
        dependencies=dependencies,
        middleware=[RequestContextMiddleware],
        exception_handlers=EXCEPTION_HANDLERS,
        request_max_body_size=settings.server.max_body_bytes,
        openapi_config=OpenAPIConfig(
            title="ragmono",
            version=__version__,
            path="/schema",
            render_plugins=[ScalarRenderPlugin(), SwaggerRenderPlugin(path="/swagger")],
        ),
        debug=False,
    )
