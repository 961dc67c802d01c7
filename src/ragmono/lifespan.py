"""The composition root: builds adapters from settings, services from adapters, closes all.

This is the one place that knows which concrete adapter serves each port.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import structlog

from ragmono import __version__
from ragmono.adapters.jobs_memory import MemoryIdempotencyStore, MemoryJobStore
from ragmono.adapters.telemetry_memory import NoopTelemetry
from ragmono.adapters.tokenizer import load_chunking_tokenizer
from ragmono.domain import ChunkingConfig
from ragmono.modules.admin import BreakerService
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
)
from ragmono.modules.metrics import MetricsService
from ragmono.ports import (
    Embedder,
    Generator,
    IdempotencyStore,
    JobStore,
    SparseEncoder,
    Telemetry,
    VectorStore,
)
from ragmono.resilience import BreakerRegistry
from ragmono.settings import BreakerSettings, Settings

__all__ = ["Adapters", "Services", "build_services", "open_adapters"]

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
    job_store: JobStore = field(default_factory=MemoryJobStore)
    """Ingest job records (in-process by default; Redis when replicas share jobs)."""
    idempotency: IdempotencyStore = field(default_factory=MemoryIdempotencyStore)
    """First results of POSTs with an Idempotency-Key."""
    telemetry: Telemetry = field(default_factory=NoopTelemetry, kw_only=True)
    """Metrics sink (and state-change log); test twins may leave the no-op default."""


@dataclass(frozen=True, slots=True)
class Services:
    """What controllers are handed (by name, through Litestar's dependency injection)."""

    settings: Settings
    adapters: Adapters
    collections: CollectionService
    health: HealthService
    breakers: BreakerService
    telemetry: Telemetry
    metrics: MetricsService
    ingest: IngestService
    jobs: JobRunner


def _build_vector_store(settings: Settings) -> VectorStore:
    mode = settings.vector_store.mode
    if mode == "embedded":
        from ragmono.adapters.qdrant.embedded import EmbeddedVectorStore

        return EmbeddedVectorStore(settings.data_path / "vectors")
    raise NotImplementedError(f"vector_store.mode={mode!r} is not available yet")


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


@contextlib.asynccontextmanager
async def open_adapters(settings: Settings) -> AsyncIterator[Adapters]:
    """Build every adapter the settings ask for; close them in reverse order on exit."""
    from ragmono.adapters.bm25 import Bm25Encoder

    async with contextlib.AsyncExitStack() as stack:
        telemetry = _build_telemetry(settings)
        breakers = BreakerRegistry(settings.breakers)
        breakers.add_listener(telemetry.record_breaker_transition)
        vector_store = _build_vector_store(settings)
        stack.push_async_callback(vector_store.close)
        embedder = await _open_embedder(settings, breakers)
        stack.push_async_callback(embedder.close)
        generator = _build_generator(settings, breakers)
        if generator is not None:
            stack.push_async_callback(generator.close)
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
            telemetry=telemetry,
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
    ingest, jobs = _build_ingest(settings, adapters)
    return Services(
        settings=settings,
        adapters=adapters,
        collections=collections,
        health=health,
        breakers=BreakerService(adapters.breakers),
        telemetry=adapters.telemetry,
        metrics=metrics,
        ingest=ingest,
        jobs=jobs,
    )


def _build_ingest(settings: Settings, adapters: Adapters) -> tuple[IngestService, JobRunner]:
    cfg = settings.ingest
    writer = DocumentWriter(
        adapters.vector_store,
        adapters.embedder,
        adapters.sparse_encoder,
        Chunker(load_chunking_tokenizer),
        batch_chunks=cfg.batch_chunks,
        telemetry=adapters.telemetry,
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
    return IngestService(writer, jobs, adapters.idempotency, limits), jobs
