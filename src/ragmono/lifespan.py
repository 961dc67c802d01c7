"""The composition root: builds adapters from settings, services from adapters, closes all.

This is the one place that knows which concrete adapter serves each port.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog

from ragmono import __version__
from ragmono.adapters.embedders import EmbedderRegistry
from ragmono.adapters.jobs_memory import MemoryIdempotencyStore, MemoryJobStore
from ragmono.adapters.telemetry_memory import NoopTelemetry
from ragmono.adapters.tokenizer import load_chunking_tokenizer
from ragmono.api.edge import Edge, security_headers
from ragmono.backup import BackupService
from ragmono.domain import ChunkingConfig, EmbedderRef
from ragmono.modules.admin import BreakerService
from ragmono.modules.auth import ALL_SCOPES, build_authenticator
from ragmono.modules.collections import CollectionService
from ragmono.modules.health import HealthService
from ragmono.modules.ingest import (
    Chunker,
    DocumentWriter,
    IngestJobs,
    IngestLimits,
    IngestService,
    JobFiles,
    JobRunner,
    ParseLimits,
    Reindexer,
    ReindexService,
    WriteGate,
)
from ragmono.modules.metrics import MetricsService
from ragmono.modules.models import ModelsService
from ragmono.modules.query import CacheAdmin, QueryService, SearchService
from ragmono.modules.ratelimit import ClientAddressResolver, RateLimiter, RatePolicy
from ragmono.ports import (
    Cache,
    Embedder,
    Embedders,
    Generator,
    IdempotencyStore,
    JobStore,
    JwksSource,
    MigrationLedger,
    ModelCatalog,
    RestorableVectorStore,
    SparseEncoder,
    Telemetry,
    VectorStore,
)
from ragmono.resilience import BreakerRegistry
from ragmono.settings import BreakerSettings, Settings

__all__ = [
    "Adapters",
    "Services",
    "backup_schedule",
    "build_backup_service",
    "build_edge",
    "build_services",
    "migration_ledger",
    "open_adapters",
    "open_vector_store",
    "run_migrations",
    "share_rate_limits",
]

log = structlog.get_logger("ragmono")


@dataclass(frozen=True, slots=True)
class Adapters:
    """One concrete adapter per port."""

    vector_store: VectorStore
    embedder: Embedder
    sparse_encoder: SparseEncoder
    generator: Generator | None = None
    """The LLM (generator.provider = "ollama"); None means the extractive answerer serves."""
    breakers: BreakerRegistry = field(default_factory=lambda: BreakerRegistry(BreakerSettings()))
    """Every dependency's circuit breaker; adapters own theirs, built from this one registry."""
    cache: Cache | None = None
    """Search and answer cache; None means an in-process LRU sized by ``cache.max_entries``."""
    model_catalog: ModelCatalog | None = None
    """Ollama's model list, when a provider is ``ollama``."""
    job_store: JobStore = field(default_factory=MemoryJobStore)
    """Ingest job records (in-process by default; Redis when replicas share jobs)."""
    idempotency: IdempotencyStore = field(default_factory=MemoryIdempotencyStore)
    """First results of POSTs with an Idempotency-Key."""
    telemetry: Telemetry = field(default_factory=NoopTelemetry, kw_only=True)
    """Metrics sink (and state-change log); test twins may leave the no-op default."""
    embedders: Embedders | None = field(default=None, kw_only=True)
    """Every embedder a collection may use (reindex); None: only ``embedder``."""


@dataclass(frozen=True, slots=True)
class Services:
    """What controllers are handed (by name, through Litestar's dependency injection)."""

    settings: Settings
    adapters: Adapters
    collections: CollectionService
    health: HealthService
    breakers: BreakerService
    search: SearchService
    answers: QueryService
    cache_admin: CacheAdmin
    models: ModelsService
    telemetry: Telemetry
    metrics: MetricsService
    ingest: IngestService
    jobs: JobRunner
    reindex: ReindexService
    """Reindex a collection with another embedder; drops retained old collections."""
    backups: BackupService | None = None
    """Backups in every Qdrant mode; None for a store without a backup medium (test twins)."""


def _build_vector_store(
    settings: Settings, breakers: BreakerRegistry, telemetry: Telemetry
) -> VectorStore:
    vs = settings.vector_store
    mode = vs.mode
    if mode == "embedded":
        from ragmono.adapters.qdrant.embedded import EmbeddedVectorStore

        return EmbeddedVectorStore(
            settings.data_path / "vectors",
            log_level=settings.logging.level,
            log_format=settings.logging.format,
        )
    if mode == "server":
        from ragmono.adapters.qdrant.server import ServerVectorStore

        return ServerVectorStore(
            vs.url,
            api_key=vs.api_key,
            timeout_s=vs.timeout_s,
            prefer_grpc=vs.prefer_grpc,
            breakers=breakers,
            telemetry=telemetry,
        )
    if mode == "cluster":
        from ragmono.adapters.qdrant.cluster import ClusterVectorStore

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


async def _open_embedder(settings: Settings, breakers: BreakerRegistry) -> Embedder:
    provider = settings.embedder.provider
    if provider == "local":
        from ragmono.adapters.onnx_embedder import OnnxEmbedder

        return OnnxEmbedder(batch_size=settings.embedder.batch_size)
    if provider == "ollama":
        from ragmono.adapters.ollama import OllamaEmbedder, is_ollama_failure

        return await OllamaEmbedder.open(
            url=settings.ollama.url,
            model=settings.embedder.model,
            dimensions=settings.embedder.dimensions,
            batch_size=settings.embedder.batch_size,
            timeout_s=settings.ollama.timeout_s,
            breaker=breakers.get(
                "ollama_embed",
                is_failure=is_ollama_failure,
                default_timeout_s=settings.ollama.timeout_s,
            ),
        )
    raise NotImplementedError(f"embedder.provider={provider!r} is not available yet")


def _embedder_registry(
    settings: Settings, breakers: BreakerRegistry, default: Embedder
) -> EmbedderRegistry:
    """The configured embedder, ``local/all-MiniLM-L6-v2`` and any ``ollama/<model>``.

    Every Ollama model shares the ``ollama_embed`` breaker: they are one server.
    """
    from ragmono.errors import NotFound

    async def local(model: str, dimensions: int) -> Embedder:
        from ragmono.adapters.onnx_embedder import MODEL_NAME, OnnxEmbedder

        if model != MODEL_NAME:
            raise NotFound(f"the local provider has only {MODEL_NAME!r}", field="embedder")
        return OnnxEmbedder(batch_size=settings.embedder.batch_size)

    async def ollama(model: str, dimensions: int) -> Embedder:
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
            verify=dimensions == 0,
        )

    return EmbedderRegistry(default, {"local": local, "ollama": ollama})


def _build_generator(settings: Settings, breakers: BreakerRegistry) -> Generator | None:
    gen = settings.generator
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


def _open_shared_state(
    settings: Settings, breakers: BreakerRegistry, stack: contextlib.AsyncExitStack
) -> tuple[Cache, dict[str, Any]]:
    """The cache, and with ``redis.url`` the Redis job and idempotency stores (one client)."""
    if not settings.redis.url:
        from ragmono.adapters.cache_memory import MemoryCache

        return MemoryCache(settings.cache.max_entries), {}
    from ragmono.adapters.redis_cache import RedisCache
    from ragmono.adapters.redis_client import is_redis_failure, open_redis
    from ragmono.adapters.redis_jobs import RedisIdempotencyStore, RedisJobStore

    client = open_redis(settings.redis.url, timeout_s=settings.redis.timeout_s)
    stack.push_async_callback(client.aclose)
    breaker = breakers.get(
        "redis", is_failure=is_redis_failure, default_timeout_s=settings.redis.timeout_s
    )
    prefix = settings.redis.key_prefix
    cache = RedisCache(
        client,
        key_prefix=prefix,
        local_entries=settings.cache.max_entries,
        local_ttl_s=settings.cache.local_ttl_s,
        breaker=breaker,
    )
    stack.push_async_callback(cache.close)  # runs before the client closes
    return cache, {
        "job_store": RedisJobStore(client, key_prefix=prefix, breaker=breaker),
        "idempotency": RedisIdempotencyStore(client, key_prefix=prefix, breaker=breaker),
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
    from ragmono.adapters.qdrant.catalog import FileCatalog
    from ragmono.adapters.qdrant.ledgers import FileCatalogLedger, RemoteCatalogLedger
    from ragmono.adapters.qdrant.remote_catalog import RemoteCatalog

    catalog = getattr(store, "catalog", None)
    if isinstance(catalog, FileCatalog):
        return FileCatalogLedger(catalog)
    if isinstance(catalog, RemoteCatalog):
        return RemoteCatalogLedger(catalog)
    return MemoryMigrationLedger()


@contextlib.asynccontextmanager
async def open_vector_store(settings: Settings) -> AsyncIterator[VectorStore]:
    """Only the vector store (for operational commands such as ``ragmono migrate``)."""
    breakers = BreakerRegistry(settings.breakers)
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
        breakers = BreakerRegistry(settings.breakers)
        breakers.add_listener(telemetry.record_breaker_transition)
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


def build_services(settings: Settings, adapters: Adapters) -> Services:
    """Wire services to adapters. Pure construction: no I/O."""
    collections = CollectionService(
        adapters.vector_store,
        adapters.embedder.ref,
        default_chunking=ChunkingConfig(
            chunk_size=settings.ingest.chunk_size, chunk_overlap=settings.ingest.chunk_overlap
        ),
    )
    health = HealthService(
        [adapters.vector_store.health, adapters.embedder.health],
        breakers=adapters.breakers.snapshots,
    )
    if adapters.generator is not None:
        health.add(adapters.generator.health)
    metrics = MetricsService(adapters.telemetry, token=settings.auth.metrics_token)
    from ragmono.adapters.cache_memory import MemoryCache
    from ragmono.adapters.extractive import ExtractiveGenerator

    cache = adapters.cache or MemoryCache(settings.cache.max_entries)
    if cache.backend != "memory":
        health.add(cache.health)
    ttl_s = settings.cache.ttl_s
    embedders = _embedders_of(adapters)
    search = SearchService(
        adapters.vector_store,
        embedders,
        adapters.sparse_encoder,
        cache=cache,
        ttl_s=ttl_s,
        telemetry=adapters.telemetry,
    )
    extractive = ExtractiveGenerator()  # the default answerer, and the LLM's fallback
    generator = adapters.generator or extractive
    answers = QueryService(search, generator, extractive, cache=cache, ttl_s=ttl_s)
    ingest, jobs, reindex = _build_ingest(settings, adapters, embedders)
    return Services(
        settings=settings,
        adapters=adapters,
        collections=collections,
        health=health,
        breakers=BreakerService(adapters.breakers),
        search=search,
        answers=answers,
        cache_admin=CacheAdmin(cache, ttl_s=ttl_s),
        models=ModelsService(adapters.embedder, generator, adapters.model_catalog),
        telemetry=adapters.telemetry,
        metrics=metrics,
        ingest=ingest,
        jobs=jobs,
        backups=build_backup_service(
            settings, adapters.vector_store, adapters.telemetry, after_restore=cache.invalidate
        ),
        reindex=reindex,
    )


def _embedders_of(adapters: Adapters) -> Embedders:
    """The adapters' registry, or one that knows only their embedder (test twins)."""
    return adapters.embedders or EmbedderRegistry(adapters.embedder, {})


def build_backup_service(
    settings: Settings,
    store: VectorStore,
    telemetry: Telemetry | None = None,
    *,
    after_restore: Callable[[], Awaitable[object]] | None = None,
) -> BackupService | None:
    """Backups of the store: file copies (embedded) or Qdrant snapshots (server, cluster).

    ``after_restore`` runs once restored data is served (the app drops its cached answers).
    None for a store neither medium can back up (the in-memory test twin).
    """
    from ragmono.backup import FileCopyMedium
    from ragmono.ports import BackupMedium

    medium: BackupMedium
    if isinstance(store, RestorableVectorStore):
        from importlib.metadata import version

        medium = FileCopyMedium(
            store,
            staging=settings.data_path / ".restore",
            engine_version=version("qdrant-edge-py"),
        )
    else:
        from ragmono.adapters.qdrant.remote import RemoteVectorStore
        from ragmono.adapters.qdrant.snapshots import QdrantSnapshots

        vs = settings.vector_store
        urls = vs.urls if vs.mode == "cluster" else [vs.url]
        if not isinstance(store, RemoteVectorStore) or not all(urls):
            return None
        medium = QdrantSnapshots(
            store,
            urls,
            api_key=vs.api_key,
            timeout_s=settings.backup.snapshot_timeout_s,
            telemetry=telemetry,
        )
    return BackupService(
        medium,
        Path(settings.backup.dir).expanduser().resolve(),
        ragmono_version=__version__,
        telemetry=telemetry,
        after_restore=after_restore,
    )


@contextlib.asynccontextmanager
async def backup_schedule(settings: Settings, services: Services) -> AsyncIterator[None]:
    """Run scheduled backups (backup.schedule, local time) while the app runs."""
    if services.backups is None or not settings.backup.schedule:
        yield
        return
    from ragmono.backup import BackupSchedule

    schedule = BackupSchedule(
        services.backups,
        settings.backup.schedule,
        keep_days=settings.backup.keep_days,
        keep_last=settings.backup.keep_last,
    )
    task = asyncio.create_task(schedule.run_forever(), name="backup-schedule")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _build_ingest(
    settings: Settings, adapters: Adapters, embedders: Embedders
) -> tuple[IngestService, JobRunner, ReindexService]:
    cfg = settings.ingest
    gate = WriteGate()
    writer = DocumentWriter(
        adapters.vector_store,
        embedders,
        adapters.sparse_encoder,
        Chunker(load_chunking_tokenizer),
        batch_chunks=cfg.batch_chunks,
        telemetry=adapters.telemetry,
        gate=gate,
    )
    reindexer = Reindexer(
        adapters.vector_store,
        embedders,
        adapters.sparse_encoder,
        gate,
        batch_chunks=settings.reindex.batch_chunks,
        keep_old_s=settings.reindex.keep_old_hours * 3600,
    )
    parse = ParseLimits(
        max_pdf_pages=cfg.max_pdf_pages,
        max_decoded_bytes=cfg.max_decoded_bytes,
        timeout_s=cfg.parse_timeout_s,
    )
    work = IngestJobs(
        writer,
        parse,
        allowed_roots=cfg.allowed_roots,
        max_file_bytes=settings.server.max_upload_bytes,
        reindexer=reindexer,
    )
    jobs = JobRunner(
        adapters.job_store,
        JobFiles(settings.data_path / "jobs"),
        work,
        workers=cfg.job_workers,
        retention_s=cfg.job_retention_s,
        telemetry=adapters.telemetry,
    )
    limits = IngestLimits(
        async_threshold_bytes=cfg.async_threshold_bytes,
        allowed_roots=tuple(cfg.allowed_roots),
        idempotency_ttl_s=cfg.idempotency_ttl_s,
        parse=parse,
    )
    ingest = IngestService(writer, jobs, adapters.idempotency, limits)
    return ingest, jobs, ReindexService(reindexer, jobs)


def build_edge(settings: Settings) -> Edge:
    """Auth, rate limits (in-process until shared) and response headers of /api/.

    Pure construction (the JWKS client connects on first use); raises ``SettingsError`` naming
    the key for bad auth or rate-limit settings, and for the prod profile without auth.
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
    limiter = RateLimiter(policy, MemoryRateLimitStore()) if settings.rate_limit.enabled else None
    return Edge(
        authenticator=authenticator,
        limiter=limiter,
        client_address=client_address,
        response_headers=security_headers(settings.server),
        closers=tuple(c.close for c in (jwks, limiter) if c is not None),
    )


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
