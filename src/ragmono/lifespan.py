"""The composition root: builds adapters from settings, services from adapters, closes all.

This is the one place that knows which concrete adapter serves each port.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import structlog

from ragmono.domain import ChunkingConfig
from ragmono.modules.collections import CollectionService
from ragmono.modules.health import HealthService
from ragmono.modules.query import CacheAdmin, QueryService, SearchService
from ragmono.ports import Cache, Embedder, Generator, SparseEncoder, VectorStore
from ragmono.settings import Settings

__all__ = ["Adapters", "Services", "build_services", "open_adapters"]

log = structlog.get_logger("ragmono")


@dataclass(frozen=True, slots=True)
class Adapters:
    """One concrete adapter per port."""

    vector_store: VectorStore
    embedder: Embedder
    sparse_encoder: SparseEncoder
    generator: Generator | None = None
    """None: the extractive answerer."""
    cache: Cache | None = None
    """None: an in-process LRU sized by ``cache.max_entries``."""


@dataclass(frozen=True, slots=True)
class Services:
    """What controllers are handed (by name, through Litestar's dependency injection)."""

    settings: Settings
    adapters: Adapters
    collections: CollectionService
    health: HealthService
    search: SearchService
    answers: QueryService
    cache_admin: CacheAdmin


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


def _build_generator(settings: Settings) -> Generator:
    provider = settings.generator.provider
    if provider == "extractive":
        from ragmono.adapters.extractive import ExtractiveGenerator

        return ExtractiveGenerator()
    raise NotImplementedError(f"generator.provider={provider!r} is not available yet")


def _build_cache(settings: Settings) -> Cache:
    if settings.redis.url:
        from ragmono.adapters.redis_cache import RedisCache

        return RedisCache(
            settings.redis.url,
            key_prefix=settings.redis.key_prefix,
            timeout_s=settings.redis.timeout_s,
            local_entries=settings.cache.max_entries,
            local_ttl_s=settings.cache.local_ttl_s,
        )
    from ragmono.adapters.cache_memory import MemoryCache

    return MemoryCache(settings.cache.max_entries)


@contextlib.asynccontextmanager
async def open_adapters(settings: Settings) -> AsyncIterator[Adapters]:
    """Build every adapter the settings ask for; close them in reverse order on exit."""
    from ragmono.adapters.bm25 import Bm25Encoder

    async with contextlib.AsyncExitStack() as stack:
        vector_store = _build_vector_store(settings)
        stack.push_async_callback(vector_store.close)
        embedder = _build_embedder(settings)
        stack.push_async_callback(embedder.close)
        generator = _build_generator(settings)
        stack.push_async_callback(generator.close)
        cache = _build_cache(settings)
        stack.push_async_callback(cache.close)
        log.info(
            "adapters_ready",
            data_dir=str(settings.data_path),
            vector_store=settings.vector_store.mode,
            embedder=f"{embedder.ref.provider}/{embedder.ref.model}",
            generator=settings.generator.provider,
            redis=bool(settings.redis.url),
        )
        yield Adapters(
            vector_store=vector_store,
            embedder=embedder,
            sparse_encoder=Bm25Encoder(),
            generator=generator,
            cache=cache,
        )


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
    from ragmono.adapters.cache_memory import MemoryCache
    from ragmono.adapters.extractive import ExtractiveGenerator

    cache = adapters.cache or MemoryCache(settings.cache.max_entries)
    if cache.backend != "memory":
        health.add(cache.health)
    ttl_s = settings.cache.ttl_s
    search = SearchService(
        adapters.vector_store,
        adapters.embedder,
        adapters.sparse_encoder,
        cache=cache,
        ttl_s=ttl_s,
    )
    extractive = ExtractiveGenerator()
    answers = QueryService(
        search, adapters.generator or extractive, extractive, cache=cache, ttl_s=ttl_s
    )
    return Services(
        settings=settings,
        adapters=adapters,
        collections=collections,
        health=health,
        search=search,
        answers=answers,
        cache_admin=CacheAdmin(cache, ttl_s=ttl_s),
    )
