"""The composition root: builds adapters from settings, services from adapters, closes all.

This is the one place that knows which concrete adapter serves each port.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import structlog

from ragmono.adapters.jobs_memory import MemoryIdempotencyStore, MemoryJobStore
from ragmono.adapters.tokenizer import load_chunking_tokenizer
from ragmono.domain import ChunkingConfig
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
from ragmono.ports import Embedder, IdempotencyStore, JobStore, SparseEncoder, VectorStore
from ragmono.settings import Settings

__all__ = ["Adapters", "Services", "build_services", "open_adapters"]

log = structlog.get_logger("ragmono")


@dataclass(frozen=True, slots=True)
class Adapters:
    """One concrete adapter per port."""

    vector_store: VectorStore
    embedder: Embedder
    sparse_encoder: SparseEncoder
    job_store: JobStore = field(default_factory=MemoryJobStore)
    idempotency: IdempotencyStore = field(default_factory=MemoryIdempotencyStore)


@dataclass(frozen=True, slots=True)
class Services:
    """What controllers are handed (by name, through Litestar's dependency injection)."""

    settings: Settings
    adapters: Adapters
    collections: CollectionService
    health: HealthService
    ingest: IngestService
    jobs: JobRunner


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
    ingest, jobs = _build_ingest(settings, adapters)
    return Services(
        settings=settings,
        adapters=adapters,
        collections=collections,
        health=health,
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
    )
    limits = IngestLimits(
        async_threshold_bytes=cfg.async_threshold_bytes,
        allowed_roots=tuple(cfg.allowed_roots),
        idempotency_ttl_s=cfg.idempotency_ttl_s,
        parse=parse,
    )
    return IngestService(writer, jobs, adapters.idempotency, limits), jobs
