"""The HTTP edge (security headers, CORS, rate limits) and the shared rate-limit store."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from litestar.config.cors import CORSConfig

from ragmono.api.edge_middleware import EXPOSED_HEADERS, Edge, security_headers
from ragmono.modules.auth import ALL_SCOPES, AuthConfig, ClaimLabels, build_authenticator
from ragmono.modules.ratelimit import ClientAddressResolver, RateLimiter, RatePolicy
from ragmono.ports import (
    JwksSource,
)
from ragmono.settings import CorsSettings, Settings

from .adapters import Adapters


def build_edge(settings: Settings) -> Edge:
    """Auth, rate limits (in-process until shared) and response headers of /api/.

    Pure construction (the JWKS client connects on first use); raises ``SettingsError`` naming
    the key for bad auth or rate-limit settings, and for the prod profile without auth.
    """
    from ragmono.adapters.rate_limit_memory import MemoryRateLimitStore

    client_address = ClientAddressResolver(
        settings.rate_limit.trusted_proxies, settings.rate_limit.proxy_header
    )
    rates = settings.rate_limit
    policy = RatePolicy.parse(rates.default, rates.routes, groups=ALL_SCOPES)
    jwks: JwksSource | None = None
    if settings.auth.jwks_url:
        from ragmono.adapters.jwks_http import HttpJwksSource

        jwks = HttpJwksSource(settings.auth.jwks_url, timeout_s=settings.auth.jwks_timeout_s)
    authenticator = build_authenticator(auth_config(settings), jwks)
    limiter = RateLimiter(policy, MemoryRateLimitStore()) if settings.rate_limit.enabled else None
    return Edge(
        authenticator=authenticator,
        limiter=limiter,
        client_address=client_address,
        response_headers=security_headers(hsts=settings.server.hsts),
        closers=tuple(c.close for c in (jwks, limiter) if c is not None),
        exempt_loopback=_exempt_loopback(settings),
    )


def _exempt_loopback(settings: Settings) -> bool:
    """``rate_limit.exempt_loopback``, or by profile when unset: dev yes, prod no."""
    exempt = settings.rate_limit.exempt_loopback
    return settings.profile == "dev" if exempt is None else exempt


@contextlib.asynccontextmanager
async def share_rate_limits(
    settings: Settings, edge: Edge, adapters: Adapters
) -> AsyncIterator[None]:
    """With ``redis.url`` set, count rate limits in Redis behind the ``redis`` breaker."""
    if edge.limiter is None or not settings.redis.url:
        yield
        return
    from ragmono.adapters.redis_rate_limit import RedisRateLimitStore, is_redis_failure

    store = RedisRateLimitStore.from_url(
        settings.redis.url,
        prefix=settings.redis.key_prefix,
        timeout_s=settings.redis.timeout_s,
        breaker=adapters.breakers.get(
            "redis", is_failure=is_redis_failure, default_timeout_s=settings.redis.timeout_s
        ),
    )
    edge.limiter.share_through(store)
    try:
        yield
    finally:
        edge.limiter.share_through(None)
        await store.close()


def auth_config(settings: Settings) -> AuthConfig:
    """The auth module's own config from ``auth.*`` and the profile."""
    auth = settings.auth
    return AuthConfig(
        profile=settings.profile,
        service_tokens=tuple(auth.service_tokens),
        jwt_secret=auth.jwt_secret,
        jwks_url=auth.jwks_url,
        issuer=auth.issuer,
        audience=auth.audience,
        leeway_s=auth.leeway_s,
        jwks_cache_s=auth.jwks_cache_s,
        jwks_min_refresh_s=auth.jwks_min_refresh_s,
        claims=ClaimLabels(
            user=auth.jwt_user_claim,
            groups=auth.jwt_groups_claim,
            tenant=auth.jwt_tenant_claim,
            labels=auth.jwt_access_claim,
        ),
    )


def cors_config(cors: CorsSettings) -> CORSConfig | None:
    """Litestar's CORS from settings; None (CORS off) when no origin is allowed."""
    if not cors.allow_origins:
        return None
    return CORSConfig(
        allow_origins=list(cors.allow_origins),
        allow_methods=list(cors.allow_methods),  # type: ignore[arg-type]
        allow_headers=list(cors.allow_headers),
        allow_credentials=cors.allow_credentials,
        expose_headers=list(EXPOSED_HEADERS),
        max_age=600,
    )
