"""Services from adapters: what controllers are handed, wired once per app."""

from __future__ import annotations

from dataclasses import dataclass

from ragmono.adapters.embedders import EmbedderRegistry
from ragmono.adapters.onnx_embedder import MAX_TOKENS, MODEL_NAME
from ragmono.adapters.tokenizer import load_chunking_tokenizer
from ragmono.adapters.watch_state_local import FileWatchBook
from ragmono.adapters.watchfiles_watcher import WatchfilesWatcher
from ragmono.backup import BackupService
from ragmono.domain import ChunkingConfig, EmbedderRef, check_labels
from ragmono.modules.admin import BreakerService
from ragmono.modules.collections import ChunkLimit, CollectionService
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
    SharedLock,
    WatchEntry,
    WatchPolicy,
    WatchService,
    WriteGate,
)
from ragmono.modules.metrics import MetricsService
from ragmono.modules.models import ModelsService
from ragmono.modules.openai_compat import OpenAICompatService
from ragmono.modules.query import AnswerService, CacheAdmin, SearchService
from ragmono.modules.reindex import Reindexer, ReindexService
from ragmono.ports import (
    Embedders,
    Telemetry,
)
from ragmono.settings import Settings, SettingsError

from .adapters import Adapters
from .backups import build_backup_service


@dataclass(frozen=True, slots=True)
class Services:
    """What controllers are handed (by name, through Litestar's dependency injection)."""

    collections: CollectionService
    health: HealthService
    breakers: BreakerService
    search: SearchService
    answers: AnswerService
    cache_admin: CacheAdmin
    models: ModelsService
    telemetry: Telemetry
    metrics: MetricsService
    ingest: IngestService
    jobs: JobRunner
    reindex: ReindexService
    """Reindex a collection with another embedder; drops retained old collections."""
    watches: WatchService
    """Watched folders: changes become sync jobs."""
    openai: OpenAICompatService | None = None
    """The OpenAI-compatible face (/v1) over collections, answers and embedders."""
    backups: BackupService | None = None
    """Backups in every Qdrant mode; None for a store without a backup medium (test twins)."""


def chunk_limit(ref: EmbedderRef) -> ChunkLimit | None:
    """The longest chunk ``ref``'s model reads whole; None where the window is not known.

    The local MiniLM truncates at 256 word pieces, two of which are [CLS] and [SEP]. An Ollama
    model's context is not recorded in its reference, so it is not checked here.
    """
    if ref.provider == "local" and ref.model == MODEL_NAME:
        return ChunkLimit(MAX_TOKENS - 2, f"{MAX_TOKENS} word pieces including [CLS] and [SEP]")
    return None


def build_services(settings: Settings, adapters: Adapters) -> Services:
    """Wire services to adapters. Pure construction: no I/O."""
    collections = CollectionService(
        adapters.vector_store,
        adapters.embedder.ref,
        default_chunking=ChunkingConfig(
            chunk_size=settings.ingest.chunk_size, chunk_overlap=settings.ingest.chunk_overlap
        ),
        chunk_limit=chunk_limit,
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
    answers = AnswerService(
        search, generator, extractive, cache=cache, ttl_s=ttl_s, telemetry=adapters.telemetry
    )
    ingest, jobs, reindex, watches = _build_ingest(settings, adapters, embedders)
    return Services(
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
            settings,
            adapters.vector_store,
            adapters.telemetry,
            after_restore=cache.invalidate,
            leases=adapters.leases,  # with Redis: replicas sharing backup.dir stay apart
        ),
        reindex=reindex,
        watches=watches,
        openai=OpenAICompatService(
            collections,
            answers,
            embedders,
            generator_label=_label(generator.name, generator.model),
        ),
    )


def _label(provider: str, model: str) -> str:
    return f"{provider}/{model}" if model else provider


def _embedders_of(adapters: Adapters) -> Embedders:
    """The adapters' registry, or one that knows only their embedder (test twins)."""
    return adapters.embedders or EmbedderRegistry(adapters.embedder, {})


def _build_ingest(
    settings: Settings, adapters: Adapters, embedders: Embedders
) -> tuple[IngestService, JobRunner, ReindexService, WatchService]:
    cfg = settings.ingest
    gate = WriteGate(adapters.write_holds)  # with Redis: held across replicas
    writer = DocumentWriter(
        adapters.vector_store,
        embedders,
        adapters.sparse_encoder,
        Chunker(load_chunking_tokenizer),
        batch_chunks=cfg.batch_chunks,
        telemetry=adapters.telemetry,
        gate=gate,
        version_lock=SharedLock(adapters.leases),
    )
    reindexer = Reindexer(
        adapters.vector_store,
        embedders,
        adapters.sparse_encoder,
        gate,
        batch_chunks=settings.reindex.batch_chunks,
        keep_old_s=settings.reindex.keep_old_hours * 3600,
        leases=adapters.leases,  # with Redis: one replica sweeps
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
        reindexer=reindexer.run,
    )
    jobs = JobRunner(
        adapters.job_store,
        JobFiles(settings.data_path / "jobs"),
        work,
        workers=cfg.job_workers,
        retention_s=cfg.job_retention_s,
        telemetry=adapters.telemetry,
        queue=adapters.job_queue,  # with Redis: any replica takes the next job
        keep_every_s=cfg.job_claim_after_s / 3,
    )
    limits = IngestLimits(
        async_threshold_bytes=cfg.async_threshold_bytes,
        allowed_roots=tuple(cfg.allowed_roots),
        idempotency_ttl_s=cfg.idempotency_ttl_s,
        max_document_chars=cfg.max_document_chars,
        parse=parse,
    )
    ingest = IngestService(writer, jobs, adapters.idempotency, limits)
    watches = WatchService(
        jobs,
        WatchfilesWatcher(),
        writer.open,
        adapters.watch_book or FileWatchBook(settings.data_path / "watches.json"),
        adapters.leases,
        allowed_roots=cfg.allowed_roots,
        policy=WatchPolicy(debounce_s=cfg.watch_debounce_s, max_pending=cfg.watch_max_pending),
        configured=[
            WatchEntry(
                collection=w.collection,
                path=w.path,
                patterns=list(w.patterns),
                ignore=list(w.ignore),
                access=checked_labels(w.access, f"ingest.watch[{i}].access"),
            )
            for i, w in enumerate(cfg.watch)
        ],
        lease_s=cfg.watch_lease_s,
        telemetry=adapters.telemetry,
    )
    return ingest, jobs, ReindexService(reindexer, jobs), watches


def checked_labels(labels: list[str], key: str) -> list[str]:
    """Access labels from the settings, checked; ``SettingsError`` naming ``key``."""
    try:
        return check_labels(labels)
    except ValueError as exc:
        raise SettingsError(f"invalid setting {key}: {exc}") from None
