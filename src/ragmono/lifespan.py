"""The composition root: builds adapters from settings, services from adapters, closes all.

This is the one place that knows which concrete adapter serves each port.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import structlog

from ragmono.api.edge import Edge, security_headers
from ragmono.domain import ChunkingConfig
from ragmono.modules.auth import ALL_SCOPES, build_authenticator
from ragmono.modules.collections import CollectionService
from ragmono.modules.health import HealthService
from ragmono.modules.ratelimit import ClientAddressResolver, RateLimiter, RatePolicy
from ragmono.ports import Embedder, JwksSource, RateLimitStore, SparseEncoder, VectorStore
from ragmono.settings import Settings

__all__ = ["Adapters", "Services", "build_edge", "build_services", "open_adapters"]

log = structlog.get_logger("ragmono")


@dataclass(frozen=True, slots=True)
class Adapters:
    """One concrete adapter per port."""

    vector_store: VectorStore
    embedder: Embedder
    sparse_encoder: SparseEncoder


@dataclass(frozen=True, slots=True)
class Services:
    """What controllers are handed (by name, through Litestar's dependency injection)."""

    settings: Settings
    adapters: Adapters
    collections: CollectionService
    health: HealthService


def _build_vector_store(settings: Settings) -> VectorStore:
    mode = settings.vector_store.mode
    if mode == "embedded":
        from ragmono.adapters.qdrant.embedded import EmbeddedVectorStore

        return EmbeddedVectorStore(settings.data_path / "vectors")
    raise NotImplementedError(f"vector_store.mode={mode!r} is not available yet")


def _build_embedder(settings: Settings) -> Embedder:
    provider = settings.embedder.provider
    if provider == "local":
        from ragmono.adapters.onnx_embedder import OnnxEmbedder

        return OnnxEmbedder(batch_size=settings.embedder.batch_size)
    raise NotImplementedError(f"embedder.provider={provider!r} is not available yet")


@contextlib.asynccontextmanager
async def open_adapters(settings: Settings) -> AsyncIterator[Adapters]:
    """Build every adapter the settings ask for; close them in reverse order on exit."""
    from ragmono.adapters.bm25 import Bm25Encoder

    async with contextlib.AsyncExitStack() as stack:
        vector_store = _build_vector_store(settings)
        stack.push_async_callback(vector_store.close)
        embedder = _build_embedder(settings)
        stack.push_async_callback(embedder.close)
        log.info(
            "adapters_ready",
            data_dir=str(settings.data_path),
            vector_store=settings.vector_store.mode,
            embedder=f"{embedder.ref.provider}/{embedder.ref.model}",
            generator=settings.generator.provider,
            redis=bool(settings.redis.url),
        )
        yield Adapters(vector_store=vector_store, embedder=embedder, sparse_encoder=Bm25Encoder())


def build_services(settings: Settings, adapters: Adapters) -> Services:
    """Wire services to adapters. Pure construction: no I/O."""
    collections = CollectionService(
        adapters.vector_store,
        adapters.embedder.ref,
        default_chunking=ChunkingConfig(
            chunk_size=settings.ingest.chunk_size, chunk_overlap=settings.ingest.chunk_overlap
        ),
    )
    health = HealthService([adapters.vector_store.health, adapters.embedder.health])
    return Services(settings=settings, adapters=adapters, collections=collections, health=health)


def build_edge(settings: Settings) -> Edge:
    """Auth, rate limits and response headers of /api/ from settings.

    Pure construction (clients connect on first use); raises ``SettingsError`` naming the key
    for bad auth or rate-limit settings, and for the prod profile without auth.
    """
    from ragmono.adapters.rate_limit_memory import MemoryRateLimitStore

    client_address = ClientAddressResolver(
        settings.rate_limit.trusted_proxies, settings.rate_limit.proxy_header
    )
    policy = RatePolicy.from_settings(settings.rate_limit, groups=ALL_SCOPES)
    jwks: JwksSource | None = None
    if settings.auth.jwks_url:
        from ragmono.adapters.jwks_http import HttpJwksSource

        jwks = HttpJwksSource(settings.auth.jwks_url, timeout_s=settings.auth.jwks_timeout_s)
    authenticator = build_authenticator(settings, jwks)
    limiter: RateLimiter | None = None
    if settings.rate_limit.enabled:
        memory = MemoryRateLimitStore()
        if settings.redis.url:
            from ragmono.adapters.redis_rate_limit import RedisRateLimitStore

            # Seam: pass the `redis` breaker here once ragmono.resilience provides it.
            shared: RateLimitStore = RedisRateLimitStore.from_url(
                settings.redis.url,
                prefix=settings.redis.key_prefix,
                timeout_s=settings.redis.timeout_s,
            )
            retry_s = settings.breakers.redis.reset_timeout_s or settings.breakers.reset_timeout_s
            limiter = RateLimiter(policy, shared, fallback=memory, retry_primary_s=retry_s)
        else:
            limiter = RateLimiter(policy, memory)
    closers = [c.close for c in (jwks, limiter) if c is not None]
    return Edge(
        authenticator=authenticator,
        limiter=limiter,
        client_address=client_address,
        response_headers=security_headers(settings.server),
        closers=tuple(closers),
    )
