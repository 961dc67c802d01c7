"""``create_app(settings)``: routers, middleware, error map and lifespan. No logic lives here."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator, Callable
from typing import Any

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Server

from ragmono import __version__
from ragmono.api.edge_middleware import (
    API_SECURITY,
    OPENAPI_COMPONENTS,
    EdgeMiddleware,
    principal_of,
)
from ragmono.api.http_metrics import HttpMetricsMiddleware
from ragmono.api.json_request import JsonCheckedRequest
from ragmono.api.openai_v1 import build_openai_router
from ragmono.api.openapi_problems import document_problem_responses
from ragmono.api.problems import EXCEPTION_HANDLERS
from ragmono.api.request_context import RequestContextMiddleware
from ragmono.api.v1 import build_v1_router
from ragmono.console import ConsoleConfig, OfflineSwaggerPlugin, console_router, docs_router
from ragmono.lifespan import (
    Adapters,
    Services,
    backup_schedule,
    build_compat,
    build_edge,
    build_services,
    cors_config,
    open_adapters,
    share_rate_limits,
)
from ragmono.modules.auth import ANY_SCOPE, scoped_routes
from ragmono.modules.compat import STATE_KEY as COMPAT_STATE
from ragmono.modules.compat import seed_router
from ragmono.modules.health import HealthController
from ragmono.modules.mcp import McpEndpoint, McpServices, build_mcp_server
from ragmono.modules.metrics import MetricsController
from ragmono.modules.query import CacheReaders
from ragmono.settings import Settings

__all__ = ["create_app"]


def create_app(settings: Settings, *, adapters: Adapters | None = None) -> Litestar:
    """Build the ASGI app. Adapters are opened in the lifespan unless given (tests).

    Raises ``SettingsError`` for bad auth or rate-limit settings (and prod without auth).
    """
    edge = build_edge(settings)
    cache_readers = CacheReaders()
    metrics_on = settings.metrics.enabled
    seed_api = settings.compat.seed_api

    def mcp_services() -> McpServices:
        services: Services = app.state.services
        return McpServices(
            collections=services.collections,
            search=services.search,
            answers=services.answers,
            ingest=services.ingest,
        )

    # Authenticated by the edge like /api; each tool checks its own scope.
    mcp = McpEndpoint(build_mcp_server(mcp_services, principal_of), opt={"scope": ANY_SCOPE})
    console = ConsoleConfig(
        root_path=settings.server.root_path, trusted_proxies=settings.rate_limit.trusted_proxies
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            stack.push_async_callback(edge.aclose)
            edge.log_start(app)
            opened = (
                adapters
                if adapters is not None
                else await stack.enter_async_context(open_adapters(settings))
            )
            await stack.enter_async_context(share_rate_limits(settings, edge, opened))
            app.state.adapters = opened  # not injectable: for tests and operators' tooling
            app.state.services = services = build_services(settings, opened)
            cache_readers.bind(services.search, services.answers)
            if seed_api:
                setattr(app.state, COMPAT_STATE, build_compat(settings, services))
            if isinstance(app.asgi_handler, HttpMetricsMiddleware):
                app.asgi_handler.bind(services.telemetry)
            await stack.enter_async_context(services.jobs.running())
            await stack.enter_async_context(services.watches.running())
            await stack.enter_async_context(services.reindex.retention())
            await stack.enter_async_context(
                backup_schedule(settings, services.backups, opened.leases)
            )
            await stack.enter_async_context(mcp.running())
            yield

    def provide(name: str) -> Provide:
        def getter(state: State) -> Any:
            services: Services = state.services
            return getattr(services, name)

        return Provide(getter, sync_to_thread=False)

    dependencies: dict[str, Provide | Callable[..., Any]] = {
        # Every service is injectable by its field name (``collections: NamedDependency[...]``).
        f.name: provide(f.name)
        for f in dataclasses.fields(Services)
    }
    app = Litestar(
        route_handlers=[
            HealthController,
            build_v1_router(
                max_upload_bytes=settings.server.max_upload_bytes, cache_readers=cache_readers
            ),
            build_openai_router(),
            mcp.handler,
            *([MetricsController] if metrics_on else []),
            *([seed_router(API_SECURITY)] if seed_api else []),
            console_router(console),
        ],
        lifespan=[lifespan],
        dependencies=dependencies,
        middleware=[DefineMiddleware(EdgeMiddleware, edge=edge)],
        before_send=[edge.add_headers],
        cors_config=cors_config(settings.cors),
        exception_handlers=EXCEPTION_HANDLERS,
        request_class=JsonCheckedRequest,
        request_max_body_size=settings.server.max_body_bytes,
        openapi_config=OpenAPIConfig(
            title="ragmono",
            version=__version__,
            path="/schema",
            render_plugins=[OfflineSwaggerPlugin(console)],
            openapi_router=docs_router(),
            servers=[Server(url=settings.server.root_path or "/")],
            components=OPENAPI_COMPONENTS,
        ),
        debug=False,
    )
    for _ in scoped_routes(app):  # a scope outside the vocabulary is a bug: fail at build
        pass
    document_problem_responses(app)
    # Both wrap Litestar's router rather than the routes, so unmatched paths (404/405) get a
    # request id, an access-log line and their metrics too.
    app.asgi_handler = RequestContextMiddleware(app.asgi_handler)
    if metrics_on:
        app.asgi_handler = HttpMetricsMiddleware(app.asgi_handler)
    return app
