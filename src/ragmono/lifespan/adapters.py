"""Adapters from settings: one concrete adapter per port, opened and closed together."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog

from ragmono import __version__
from ragmono.adapters.embedders import EmbedderRegistry
from ragmono.adapters.jobs_memory import MemoryIdempotencyStore, MemoryJobStore
from ragmono.adapters.telemetry_memory import NoopTelemetry
from ragmono.adapters.watch_state_local import MemoryLeaseStore
from ragmono.domain import EmbedderRef
from ragmono.ports import (
    Cache,
    Embedder,
    Embedders,
    Generator,
    IdempotencyStore,
    JobQueue,
    JobStore,
    LeaseStore,
    MigrationLedger,
    ModelCatalog,
    SparseEncoder,
    Telemetry,
    VectorStore,
    WatchBook,
    WriteHolds,
)
from ragmono.resilience import BreakerConfig, BreakerRegistry, BreakerTuning
from ragmono.settings import BreakerOverride, BreakerSettings, Settings

log = structlog.get_logger("ragmono")

JOB_TAKE_WAIT_S = 1.0
"""How long a job taker waits on Redis for a new job before looking for abandoned ones."""


@dataclass(frozen=True, slots=True)
class Adapters:
    """One concrete adapter per port."""

    vector_store: VectorStore
    embedder: Embedder
    sparse_encoder: SparseEncoder
    generator: Generator | None = None
    """The LLM (generator.provider = "ollama"); None means the extractive answerer serves."""
    breakers: BreakerRegistry = field(default_factory=lambda: BreakerRegistry(BreakerConfig()))
    """Every dependency's circuit breaker; adapters own theirs, built from this one registry."""
    cache: Cache | None = None
    """Search and answer cache; None means an in-process LRU sized by ``cache.max_entries``."""
    model_catalog: ModelCatalog | None = None
    """Ollama's model list, when a provider is ``ollama``."""
    job_store: JobStore = field(default_factory=MemoryJobStore)
    """Ingest job records (in-process by default; Redis when replicas share jobs)."""
    job_queue: JobQueue | None = None
    """Redis: replicas share queued jobs and their inputs; None: each process runs its own."""
    idempotency: IdempotencyStore = field(default_factory=MemoryIdempotencyStore)
    """First results of POSTs with an Idempotency-Key."""
    watch_book: WatchBook | None = None  # run-time watches; None: <data_dir>/watches.json
    leases: LeaseStore = field(default_factory=MemoryLeaseStore)  # which replica runs a watch
    write_holds: WriteHolds | None = None  # Redis: reindex write holds span replicas
    telemetry: Telemetry = field(default_factory=NoopTelemetry, kw_only=True)
    """Metrics sink (and state-change log); test twins may leave the no-op default."""
    embedders: Embedders | None = field(default=None, kw_only=True)
    """Every embedder a collection may use (reindex); None: only ``embedder``."""


def _build_vector_store(
    settings: Settings, breakers: BreakerRegistry, telemetry: Telemetry
) -> VectorStore:
    vs = settings.vector_store
    mode = vs.mode
    if mode == "embedded":
        from ragmono.adapters.qdrant.embedded.embedded_store import EmbeddedVectorStore

        return EmbeddedVectorStore(
            settings.data_path / "vectors",
            log_level=settings.logging.level,
            log_format=settings.logging.format,
            telemetry=telemetry,
        )
    if mode == "server":
        from ragmono.adapters.qdrant.remote.server import ServerVectorStore

        return ServerVectorStore(
            vs.url,
            api_key=vs.api_key,
            timeout_s=vs.timeout_s,
            prefer_grpc=vs.prefer_grpc,
            breakers=breakers,
            telemetry=telemetry,
        )
    if mode == "cluster":
        from ragmono.adapters.qdrant.remote.cluster import ClusterVectorStore

        return ClusterVectorStore(
            vs.urls,
            breakers=breakers,
            api_key=vs.api_key,
            timeout_s=vs.timeout_s,
            prefer_grpc=vs.prefer_grpc,
            shard_number=vs.shard_number,
            replication_factor=vs.replication_factor,
            write_consistency_factor=vs.write_consistency_factor,
            read_consistency=vs.read_consistency,
            health_interval_s=vs.health_interval_s,
            telemetry=telemetry,
        )
    raise NotImplementedError(f"vector_store.mode={mode!r} is not available yet")


async def _check_vector_store(store: VectorStore, embedder: EmbedderRef | None) -> None:
    """Server and cluster stores check Qdrant versions and collection sizes (logged, not fatal)."""
    start = getattr(store, "start", None)
    if start is not None:
        await start(embedder)


def _local_embedder(settings: Settings) -> Embedder:
    from ragmono.adapters.onnx_embedder import OnnxEmbedder

    return OnnxEmbedder(
        batch_size=settings.embedder.batch_size,
        threads=settings.embedder.threads,
        query_lane=settings.embedder.query_lane,
    )


async def _ollama_embedder(
    settings: Settings, breakers: BreakerRegistry, model: str, dimensions: int, *, verify: bool
) -> Embedder:
    """Every Ollama model shares the ``ollama_embed`` breaker: they are one server."""
    from ragmono.adapters.ollama import OllamaEmbedder, is_ollama_failure

    return await OllamaEmbedder.open(
        url=settings.ollama.url,
        model=model,
        dimensions=dimensions,
        batch_size=settings.embedder.batch_size,
        timeout_s=settings.ollama.timeout_s,
        breaker=breakers.get(
            "ollama_embed",
            is_failure=is_ollama_failure,
            default_timeout_s=settings.ollama.timeout_s,
        ),
        verify=verify,
    )


async def _openai_embedder(
    settings: Settings, breakers: BreakerRegistry, model: str, dimensions: int
) -> Embedder:
    """Every model of the OpenAI-compatible server shares the ``openai_embed`` breaker."""
    from ragmono.adapters.openai_upstream import OpenAIEmbedder, is_openai_failure, open_client

    up = settings.openai
    client = open_client(up.base_url, up.api_key, up.timeout_s)
    breaker = breakers.get(
        "openai_embed", is_failure=is_openai_failure, default_timeout_s=up.timeout_s
    )
    try:
        return await OpenAIEmbedder.open(
            client=client,
            model=model,
            dimensions=dimensions,
            batch_size=settings.embedder.batch_size,
            breaker=breaker,
        )
    except BaseException:
        await client.close()
        raise


async def _open_embedder(settings: Settings, breakers: BreakerRegistry) -> Embedder:
    provider = settings.embedder.provider
    if provider == "local":
        return _local_embedder(settings)
    if provider == "ollama":
        # Not verified: with embedder.dimensions set, the app starts while Ollama is down.
        model, dimensions = settings.embedder.model, settings.embedder.dimensions
        return await _ollama_embedder(settings, breakers, model, dimensions, verify=False)
    if provider == "openai":
        model, dimensions = settings.embedder.model, settings.embedder.dimensions
        return await _openai_embedder(settings, breakers, model, dimensions)
    raise NotImplementedError(f"embedder.provider={provider!r} is not available yet")


def _embedder_registry(
    settings: Settings, breakers: BreakerRegistry, default: Embedder
) -> EmbedderRegistry:
    """The configured embedder, ``local/all-MiniLM-L6-v2``, any ``ollama/<model>`` and any
    ``openai/<model>``."""
    from ragmono.errors import NotFound

    async def local(model: str, dimensions: int) -> Embedder:
        from ragmono.adapters.onnx_embedder import MODEL_NAME  # onnxruntime only when asked

        if model != MODEL_NAME:
            raise NotFound(f"the local provider has only {MODEL_NAME!r}", field="embedder")
        return _local_embedder(settings)

    async def ollama(model: str, dimensions: int) -> Embedder:
        return await _ollama_embedder(settings, breakers, model, dimensions, verify=not dimensions)

    async def openai(model: str, dimensions: int) -> Embedder:
        return await _openai_embedder(settings, breakers, model, dimensions)

    return EmbedderRegistry(default, {"local": local, "ollama": ollama, "openai": openai})


def _build_generator(settings: Settings, breakers: BreakerRegistry) -> Generator | None:
    gen = settings.generator
    if gen.provider == "openai":
        return _openai_generator(settings, breakers)
    if gen.provider != "ollama":
        return None  # extractive: the query module supplies the passage-based answerer
    from ragmono.adapters.ollama import OllamaGenerator, is_ollama_failure

    return OllamaGenerator(
        url=settings.ollama.url,
        model=gen.model,
        timeout_s=settings.ollama.timeout_s,
        breaker=breakers.get(
            "ollama_generate",
            is_failure=is_ollama_failure,
            default_timeout_s=settings.ollama.timeout_s,
        ),
        keep_alive=gen.keep_alive,
        temperature=gen.temperature,
        max_tokens=gen.max_tokens,
    )


def _openai_generator(settings: Settings, breakers: BreakerRegistry) -> Generator:
    from ragmono.adapters.openai_upstream import OpenAIGenerator, is_openai_failure, open_client

    up, gen = settings.openai, settings.generator
    return OpenAIGenerator(
        client=open_client(up.base_url, up.api_key, up.timeout_s),
        model=gen.model,
        breaker=breakers.get(
            "openai_generate", is_failure=is_openai_failure, default_timeout_s=up.timeout_s
        ),
        temperature=gen.temperature,
        top_p=up.top_p,
        max_tokens=gen.max_tokens,
    )


def _open_shared_state(
    settings: Settings, breakers: BreakerRegistry, stack: contextlib.AsyncExitStack
) -> tuple[Cache, dict[str, Any]]:
    """The cache, and with ``redis.url`` the Redis job and idempotency stores (one client)."""
    if not settings.redis.url:
        from ragmono.adapters.cache_memory import MemoryCache

        return MemoryCache(settings.cache.max_entries), {}
    from ragmono.adapters.redis_cache import RedisCache
    from ragmono.adapters.redis_client import is_redis_failure, open_redis
    from ragmono.adapters.redis_job_queue import RedisJobQueue
    from ragmono.adapters.redis_jobs import RedisIdempotencyStore, RedisJobStore
    from ragmono.adapters.redis_watch_state import RedisLeaseStore, RedisWatchBook
    from ragmono.adapters.redis_write_holds import RedisWriteHolds

    client = open_redis(settings.redis.url, timeout_s=settings.redis.timeout_s)
    stack.push_async_callback(client.aclose)
    breaker = breakers.get(
        "redis", is_failure=is_redis_failure, default_timeout_s=settings.redis.timeout_s
    )
    # The job queue has a client of its own: its takers wait on Redis (XREADGROUP BLOCK), so
    # its timeout allows the wait, and its polling never holds a connection requests need.
    queue_client = open_redis(
        settings.redis.url,
        timeout_s=settings.redis.timeout_s + JOB_TAKE_WAIT_S + 1.0,
        max_connections=settings.ingest.job_workers + 8,  # a taker per worker, reindex, calls
    )
    stack.push_async_callback(queue_client.aclose)
    prefix = settings.redis.key_prefix
    cache = RedisCache(
        client,
        key_prefix=prefix,
        local_entries=settings.cache.max_entries,
        local_ttl_s=settings.cache.local_ttl_s,
        breaker=breaker,
        events=queue_client,
    )
    cache.follow()  # other replicas' invalidations drop this one's in-process tier too
    stack.push_async_callback(cache.close)  # runs before the clients close
    return cache, {
        "job_store": RedisJobStore(client, key_prefix=prefix, breaker=breaker),
        "idempotency": RedisIdempotencyStore(client, key_prefix=prefix, breaker=breaker),
        "watch_book": RedisWatchBook(client, key_prefix=prefix, breaker=breaker),
        "leases": RedisLeaseStore(client, key_prefix=prefix, breaker=breaker),
        "write_holds": RedisWriteHolds(client, key_prefix=prefix, breaker=breaker),
        "job_queue": RedisJobQueue(
            queue_client,
            queue_client,
            key_prefix=prefix,
            inline_max_bytes=settings.ingest.job_input_redis_max_bytes,
            shared_dir=settings.shared_path,
            claim_after_s=settings.ingest.job_claim_after_s,
            block_s=JOB_TAKE_WAIT_S,
            breaker=breaker,
        ),
    }


def _build_telemetry(settings: Settings) -> Telemetry:
    from ragmono.adapters.telemetry_events import EventLoggingTelemetry

    if not settings.metrics.enabled:
        return EventLoggingTelemetry(NoopTelemetry())
    from ragmono.adapters.prometheus import PrometheusTelemetry

    return EventLoggingTelemetry(
        PrometheusTelemetry(
            version=__version__,
            vector_store=settings.vector_store.mode,
            embedder=settings.embedder.provider,
            generator=settings.generator.provider,
        )
    )


def migration_ledger(store: VectorStore) -> MigrationLedger:
    """The ledger that lives with ``store``'s data (its catalog)."""
    from ragmono.adapters.memory import MemoryMigrationLedger
    from ragmono.adapters.qdrant.embedded.file_catalog import FileCatalog
    from ragmono.adapters.qdrant.ledgers import FileCatalogLedger, RemoteCatalogLedger
    from ragmono.adapters.qdrant.remote.remote_catalog import RemoteCatalog

    catalog = getattr(store, "catalog", None)
    if isinstance(catalog, FileCatalog):
        return FileCatalogLedger(catalog)
    if isinstance(catalog, RemoteCatalog):
        return RemoteCatalogLedger(catalog)
    return MemoryMigrationLedger()


def breaker_config(settings: BreakerSettings) -> BreakerConfig:
    """The breakers' defaults and every ``breakers.<name>`` section as resilience's own type."""
    tuning = {
        name: BreakerTuning(
            fail_max=section.fail_max,
            reset_timeout_s=section.reset_timeout_s,
            timeout_s=section.timeout_s,
        )
        for name in settings.__struct_fields__
        if isinstance(section := getattr(settings, name), BreakerOverride)
    }
    return BreakerConfig(
        fail_max=settings.fail_max, reset_timeout_s=settings.reset_timeout_s, tuning=tuning
    )


@contextlib.asynccontextmanager
async def open_vector_store(settings: Settings) -> AsyncIterator[VectorStore]:
    """Only the vector store (for operational commands such as ``ragmono migrate``)."""
    breakers = BreakerRegistry(breaker_config(settings.breakers))
    store = _build_vector_store(settings, breakers, NoopTelemetry())
    try:
        await _check_vector_store(store, None)
        yield store
    finally:
        await store.close()


async def run_migrations(settings: Settings, store: VectorStore) -> list[str]:
    """Apply the pending migrations of ``settings.migrations.dir``; the ids applied."""
    from ragmono.migrations import apply_migrations, load_migrations

    migrations = load_migrations(Path(settings.migrations.dir))
    return await apply_migrations(store, migration_ledger(store), migrations)


@contextlib.asynccontextmanager
async def open_adapters(settings: Settings) -> AsyncIterator[Adapters]:
    """Build every adapter the settings ask for; close them in reverse order on exit."""
    from ragmono.adapters.bm25 import Bm25Encoder

    async with contextlib.AsyncExitStack() as stack:
        telemetry = _build_telemetry(settings)
        breakers = BreakerRegistry(breaker_config(settings.breakers))
        breakers.add_listener(telemetry.record_breaker_transition)
        breakers.add_call_observer(
            lambda name, seconds, kind: telemetry.observe_dependency(name, "call", seconds, kind)
        )
        vector_store = _build_vector_store(settings, breakers, telemetry)
        stack.push_async_callback(vector_store.close)
        embedder = await _open_embedder(settings, breakers)
        stack.push_async_callback(embedder.close)
        embedders = _embedder_registry(settings, breakers, embedder)
        stack.push_async_callback(embedders.close)
        await _check_vector_store(vector_store, embedder.ref)
        if settings.migrations.apply_on_start:
            await run_migrations(settings, vector_store)
        generator = _build_generator(settings, breakers)
        if generator is not None:
            stack.push_async_callback(generator.close)
        cache, shared_stores = _open_shared_state(settings, breakers, stack)
        catalog = None
        if "ollama" in (settings.embedder.provider, settings.generator.provider):
            from ragmono.adapters.ollama_catalog import OllamaCatalog

            catalog = OllamaCatalog(settings.ollama.url)
            stack.push_async_callback(catalog.close)
        log.info(
            "adapters_ready",
            data_dir=str(settings.data_path),
            vector_store=settings.vector_store.mode,
            embedder=f"{embedder.ref.provider}/{embedder.ref.model}",
            generator=f"{settings.generator.provider}/{settings.generator.model}",
            redis=bool(settings.redis.url),
        )
        for snapshot in breakers.snapshots():
            telemetry.set_breaker_state(snapshot.name, snapshot.state)
        yield Adapters(
            vector_store=vector_store,
            embedder=embedder,
            sparse_encoder=Bm25Encoder(),
            generator=generator,
            breakers=breakers,
            cache=cache,
            model_catalog=catalog,
            **shared_stores,
            telemetry=telemetry,
            embedders=embedders,
        )
