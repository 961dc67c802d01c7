"""Who may call which route: credentials -> ``Principal``, route ``opt["scope"]`` -> allowed.

Routes declare the scope they need in Litestar's ``opt`` (handler, controller or router):
``@get("/", opt={"scope": "search"})``. A route under ``/api/`` that declares none is denied
to everyone (fail closed), and :func:`routes_without_scope` lets a test and the startup log
name it. The checks run in ``ragmono.api.edge_middleware.EdgeMiddleware`` (plain async ASGI:
no thread pool, no extra framework layer).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.routes import HTTPRoute

from ragmono.domain import ACCESS_ALL
from ragmono.errors import Forbidden, SettingsError, Unauthorized
from ragmono.ports import JwksSource

from .jwks import JwksKeys
from .schemas import ALL_SCOPES, ROUTE_SCOPE_KEY, Principal
from .tokens import ClaimLabels, JwtVerifier, ServiceTokens

__all__ = [
    "ANY_SCOPE",
    "API_PREFIX",
    "GUARDED_PREFIXES",
    "OPEN_ACCESS",
    "AuthConfig",
    "Authenticator",
    "authorize",
    "build_authenticator",
    "routes_without_scope",
    "scoped_routes",
]

API_PREFIX = "/api/"
"""Every route under this prefix needs a declared scope; health, ready, metrics and the
OpenAPI pages live outside it."""

GUARDED_PREFIXES = (API_PREFIX, "/v1/", "/mcp")
"""Paths the edge authenticates: the API, its OpenAI-compatible face and the MCP server."""

ANY_SCOPE = "authenticated"
"""A route that admits any authenticated caller and checks scopes per operation itself
(the MCP endpoint: each tool needs its own scope)."""

OPEN_ACCESS = Principal(
    subject="", scopes=ALL_SCOPES, kind="anonymous", labels=frozenset({ACCESS_ALL})
)
"""The caller when auth is off (dev profile with no secrets): anonymous, every scope, every
document (``access:all``)."""


class Authenticator:
    """Turns the ``X-Service-Token`` or ``Authorization: Bearer`` header into a ``Principal``."""

    def __init__(self, service_tokens: ServiceTokens, jwt: JwtVerifier | None) -> None:
        self._service_tokens = service_tokens
        self._jwt = jwt

    async def authenticate(
        self, *, service_token: str | None, authorization: str | None
    ) -> Principal:
        """The caller; ``Unauthorized`` (401) naming what is missing or wrong.

        Exactly one credential: with both headers, one of them would be silently ignored,
        and an invalid credential is never ignored.
        """
        if service_token is not None and authorization is not None:
            raise Unauthorized("send X-Service-Token or Authorization, not both")
        if service_token is not None:
            principal = self._service_tokens.verify(service_token)
            if principal is None:
                raise Unauthorized("invalid X-Service-Token")
            return principal
        if authorization is not None:
            scheme, _, credentials = authorization.strip().partition(" ")
            if scheme.lower() != "bearer" or not credentials.strip():
                raise Unauthorized("malformed Authorization header: expected 'Bearer <token>'")
            # A service token is also accepted as a bearer token: OpenAI SDKs and MCP clients
            # send their key only that way. (A JWT never equals a 32-byte service token.)
            principal = self._service_tokens.verify(credentials.strip())
            if principal is not None:
                return principal
            if self._jwt is None:
                raise Unauthorized(
                    "invalid bearer token: not a service token, and JWTs are not configured"
                )
            return await self._jwt.verify(credentials.strip())
        raise Unauthorized("credentials required: X-Service-Token or Authorization: Bearer <jwt>")


def authorize(principal: Principal, required: str | None, *, method: str, path: str) -> None:
    """Allow the call or raise ``Forbidden`` (403): the scope is missing, or the route has none."""
    if required is None:
        raise Forbidden(f"route {method} {path} declares no scope, so nobody may call it")
    if required == ANY_SCOPE:
        return
    if not principal.allows(required):
        held = ", ".join(sorted(principal.scopes)) or "none"
        raise Forbidden(f"this route needs scope {required!r}; the credentials hold: {held}")


@dataclass(frozen=True, slots=True)
class AuthConfig:
    """The ``auth.*`` settings and the profile, as the composition root hands them over."""

    profile: str = "dev"
    service_tokens: tuple[str, ...] = ()
    jwt_secret: str = ""
    jwks_url: str = ""
    issuer: str = ""
    audience: str = ""
    leeway_s: int = 30
    jwks_cache_s: float = 300.0
    jwks_min_refresh_s: float = 10.0
    claims: ClaimLabels = field(default_factory=ClaimLabels)

    @property
    def configured(self) -> bool:
        """Whether any credential source is configured."""
        return bool(self.service_tokens or self.jwt_secret or self.jwks_url)


def build_authenticator(auth: AuthConfig, jwks: JwksSource | None) -> Authenticator | None:
    """The authenticator ``auth`` describes; None when the API is open.

    Open is allowed only in the ``dev`` profile; ``prod`` without auth raises ``SettingsError``.
    Malformed tokens, unknown scopes and short secrets raise ``SettingsError`` naming the key.
    """
    if not auth.configured:
        if auth.profile == "prod":
            raise SettingsError(
                'profile = "prod" needs auth configured: set auth.service_tokens, '
                "auth.jwt_secret or auth.jwks_url (`ragmono token secret` prints a secret)"
            )
        return None
    if auth.jwks_url and jwks is None:
        raise SettingsError("invalid setting auth.jwks_url: no JWKS source was built for it")
    keys = (
        JwksKeys(jwks, cache_s=auth.jwks_cache_s, min_refresh_s=auth.jwks_min_refresh_s)
        if jwks is not None
        else None
    )
    verifier = (
        JwtVerifier(
            secret=auth.jwt_secret,
            keys=keys,
            issuer=auth.issuer,
            audience=auth.audience,
            leeway_s=auth.leeway_s,
            claims=auth.claims,
        )
        if auth.jwt_secret or keys is not None
        else None
    )
    return Authenticator(ServiceTokens(auth.service_tokens), verifier)


def scoped_routes(app: Litestar) -> Iterator[tuple[str, str, str | None]]:
    """``(method, path, scope or None)`` for every guarded route (OPTIONS excluded).

    Raises ``ValueError`` for a scope outside the vocabulary: a typo must not deploy.
    """
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not route.path.startswith(GUARDED_PREFIXES):
            continue
        for handler in route.route_handlers:
            scope = _declared_scope(handler)
            for method in sorted(handler.http_methods):
                if method == "OPTIONS":
                    continue
                if scope is not None and scope not in ALL_SCOPES:
                    raise ValueError(
                        f"route {method} {route.path} declares unknown scope {scope!r}; "
                        f"use one of {sorted(ALL_SCOPES)}"
                    )
                yield method, route.path, scope


def routes_without_scope(app: Litestar) -> list[str]:
    """``"METHOD /path"`` of every ``/api/`` route that declares no scope (each is denied)."""
    return [f"{m} {p}" for m, p, scope in scoped_routes(app) if scope is None]


def _declared_scope(handler: HTTPRouteHandler) -> str | None:
    value: Any = handler.opt.get(ROUTE_SCOPE_KEY)
    return value if isinstance(value, str) else None
