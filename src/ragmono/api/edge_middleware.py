"""The edge of /api/: auth, scopes and rate limits in one async ASGI middleware, plus the
security and RateLimit-* headers on every response, CORS and the OpenAPI security schemes.

What Kong did in the seed system, in-process. Order per request: credentials (401), the
route's declared scope (403), the client's quota for that scope (429), then the handler.
Plain ASGI rather than a guard: a sync guard runs in a thread pool (+8%, design section 9),
and a middleware can count the request before any body is read.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import structlog
from litestar import Litestar, Request
from litestar.enums import ScopeType
from litestar.openapi.spec import Components, SecurityRequirement, SecurityScheme
from litestar.types import (
    ASGIApp,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    HTTPScope,
    Message,
    Receive,
    Scope,
    Send,
)

from ragmono.api.problems import problem_for
from ragmono.errors import RagmonoError, RateLimited
from ragmono.modules.auth import (
    GUARDED_PREFIXES,
    OPEN_ACCESS,
    ROUTE_SCOPE_KEY,
    Authenticator,
    Principal,
    authorize,
    routes_without_scope,
)
from ragmono.modules.ratelimit import ClientAddressResolver, Quota, RateLimiter

__all__ = [
    "API_SECURITY",
    "ERROR_RENDERER_KEY",
    "EXPOSED_HEADERS",
    "OPENAPI_COMPONENTS",
    "Edge",
    "EdgeMiddleware",
    "principal_of",
    "security_headers",
]

log = structlog.get_logger("ragmono.edge")

_TYPED_PARAM: Final = re.compile(r"\{(\w+):[^}]+\}")
_QUOTA: Final = "rate_limit_quota"
_PRINCIPAL: Final = "principal"
ERROR_RENDERER_KEY: Final = "error_renderer"
"""Key in a router's ``opt`` naming how the edge answers its 401/403/429 when not as
problem+json (the OpenAI-compatible ``/v1`` answers in OpenAI's error shape):
``(request, exc) -> Response``."""


@dataclass(frozen=True, slots=True)
class Edge:
    """What the edge middleware and header hook need; built by ``lifespan.build_edge``."""

    authenticator: Authenticator | None
    """None: the API is open (dev profile without secrets)."""
    limiter: RateLimiter | None
    """None: rate limiting is disabled."""
    client_address: ClientAddressResolver
    response_headers: tuple[tuple[bytes, bytes], ...]
    """Added to every response (security headers)."""
    closers: tuple[Callable[[], Awaitable[None]], ...] = ()
    exempt_loopback: bool = False
    """Loopback clients are not rate-limited (``rate_limit.exempt_loopback``)."""

    def log_start(self, app: Litestar) -> None:
        """Say loudly at start what is unprotected: auth off, routes that declare no scope."""
        if self.authenticator is None:
            log.warning(
                "auth_disabled",
                detail="profile dev without auth.service_tokens, auth.jwt_secret or "
                "auth.jwks_url: anyone who can reach /api/ may call it",
            )
        missing = routes_without_scope(app)
        if missing:
            log.error("routes_without_scope", routes=missing, effect="denied to every caller")

    async def aclose(self) -> None:
        """Close what the edge opened (Redis client, JWKS HTTP client), last first."""
        for close in reversed(self.closers):
            await close()

    async def add_headers(self, message: Message, scope: Scope) -> None:
        """``before_send`` hook: security headers everywhere, RateLimit-* where counted.

        A hook rather than a send wrapper so error responses built outside any middleware
        (404, 405, a failure in a middleware) carry the headers too.
        """
        if message["type"] != "http.response.start":
            return
        extra = list(self.response_headers)
        quota: Quota | None = scope.get("state", {}).get(_QUOTA)
        if quota is not None:
            extra += [
                (b"ratelimit-limit", str(quota.limit).encode()),
                (b"ratelimit-remaining", str(quota.remaining).encode()),
                (b"ratelimit-reset", str(quota.reset_s).encode()),
            ]
        message["headers"] = [*message.get("headers", ()), *extra]


def principal_of(scope: Scope) -> Principal | None:
    """The caller admitted by the edge for this request (None outside the guarded paths)."""
    principal: Principal | None = scope.get("state", {}).get(_PRINCIPAL)
    return principal


class EdgeMiddleware:
    """Admits a request to a guarded route (``/api/``, ``/v1/``, ``/mcp``) or answers 401, 403,
    429 (or 503): problem+json, or the route's own error shape (``ERROR_RENDERER_KEY``)."""

    def __init__(self, app: ASGIApp, edge: Edge) -> None:
        self.app = app
        self.edge = edge
        resolver = edge.client_address
        self._proxy_header = resolver.header if resolver.trusts_proxies else None
        self._allow: dict[str, str] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or not (
            scope["path"].startswith(GUARDED_PREFIXES)
            # A mount (/mcp) sees only the path below it: its declared scope marks it.
            or ROUTE_SCOPE_KEY in scope["route_handler"].opt
        ):
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS":  # no credentials needed to ask what a path allows
            await self._options(scope, send)
            return
        try:
            await self._admit(scope)
        except RagmonoError as exc:
            # Answered here through the one problem map rather than raised past the route's
            # middleware stack: cheaper, and the response leaves through this route's send.
            request: Request[Any, Any, Any] = Request(scope, receive)
            handler = scope.get("route_handler")
            render = handler.opt.get(ERROR_RENDERER_KEY, problem_for) if handler else problem_for
            response = render(request, exc).to_asgi_response(app=None, request=request)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _options(self, scope: HTTPScope, send: Send) -> None:
        # Litestar 2.25's own OPTIONS answer lists only the methods of the first handler
        # registered for a path (its Allow closure keeps a stale route): answer from the route
        # table. (CORS preflights never get here: the CORS middleware answers them first.)
        if self._allow is None:
            self._allow = {
                _TYPED_PARAM.sub(r"{\1}", path): ", ".join(sorted(methods))
                for path, methods in scope["litestar_app"].route_handler_method_map.items()
            }
        allow = self._allow.get(scope.get("path_template", ""), "OPTIONS")
        start: HTTPResponseStartEvent = {
            "type": "http.response.start",
            "status": 204,
            "headers": [(b"allow", allow.encode())],
        }
        body: HTTPResponseBodyEvent = {
            "type": "http.response.body",
            "body": b"",
            "more_body": False,
        }
        await send(start)
        await send(body)

    async def _admit(self, scope: HTTPScope) -> None:
        edge = self.edge
        service_token = authorization = None
        forwarded: list[str] = []
        for name, value in scope["headers"]:
            if name == b"x-service-token":
                service_token = value.decode("latin-1")
            elif name == b"authorization":
                authorization = value.decode("latin-1")
            elif name == self._proxy_header:
                forwarded.append(value.decode("latin-1"))
        principal = (
            OPEN_ACCESS
            if edge.authenticator is None
            else await edge.authenticator.authenticate(
                service_token=service_token, authorization=authorization
            )
        )
        required = scope["route_handler"].opt.get(ROUTE_SCOPE_KEY)
        authorize(principal, required, method=scope["method"], path=scope["path"])
        state = scope.setdefault("state", {})
        state[_PRINCIPAL] = principal
        if edge.limiter is None:
            return
        identity = principal.subject
        if not identity or edge.exempt_loopback:
            client = scope.get("client")
            peer = client[0] if client else None
            header = ", ".join(forwarded) if forwarded else None
            address = edge.client_address.resolve(peer, header)
            if edge.exempt_loopback and _is_loopback(address):
                return
            identity = identity or "ip:" + address
        quota = await edge.limiter.check(identity, str(required))
        state[_QUOTA] = quota
        if not quota.allowed:
            raise RateLimited(
                f"rate limit of {quota.limit} requests per window for {required!r} routes "
                f"used up; retry in {quota.reset_s}s",
                retry_after_s=quota.reset_s,
            )


@functools.lru_cache(maxsize=1024)
def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:  # not an IP address (a test client's name, "unknown")
        return False


def security_headers(*, hsts: bool) -> tuple[tuple[bytes, bytes], ...]:
    """nosniff, frame deny, no referrer; HSTS when ``hsts`` (``server.hsts``: only behind TLS)."""
    headers = [
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"no-referrer"),
    ]
    if hsts:
        headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
    return tuple(headers)


EXPOSED_HEADERS: Final[Sequence[str]] = (  # what a browser script may read (CORS)
    "X-Request-ID",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "Retry-After",
)


OPENAPI_COMPONENTS = Components(
    security_schemes={
        "BearerAuth": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT"),
        "ServiceToken": SecurityScheme(
            type="apiKey", name="X-Service-Token", security_scheme_in="header"
        ),
    }
)
"""Security schemes for the OpenAPI document (``OpenAPIConfig(components=...)``)."""

API_SECURITY: Final[list[SecurityRequirement]] = [{"BearerAuth": []}, {"ServiceToken": []}]
"""Either scheme admits a caller to /api/v1 (``Router(security=...)``)."""
