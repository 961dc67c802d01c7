"""The seed API's backend: :class:`SeedBackend` over ragmono's own services.

Here rather than in ``modules/compat`` because modules never import each other: this is
the composition root, which knows every service. Each method calls one service's public
method and copies fields; none searches, answers or stores anything itself.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from ragmono.domain import CollectionSpec, CollectionStats, Reader
from ragmono.modules.collections import ChunkingChange, CollectionService
from ragmono.modules.compat import (
    CompatContext,
    SeedAnswer,
    SeedCollection,
    SeedDependency,
    SeedDocument,
    SeedHit,
    SeedIngest,
    SeedModel,
    SeedRegistry,
    SeedSearch,
)
from ragmono.modules.health import HealthService
from ragmono.modules.ingest import IngestService, JobAccepted, JobRunner
from ragmono.modules.models import ModelsService
from ragmono.modules.query import AnswerService, SearchParams, SearchService
from ragmono.settings import Settings

from .services import Services

__all__ = ["ServicesBackend", "build_compat"]

_PAGE = 500
_POLL_S = 0.1


class ServicesBackend:
    """Implements :class:`ragmono.modules.compat.SeedBackend` with the app's services."""

    def __init__(
        self,
        *,
        collections: CollectionService,
        search: SearchService,
        answers: AnswerService,
        ingest: IngestService,
        jobs: JobRunner,
        models: ModelsService,
        health: HealthService,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._collections = collections
        self._search = search
        self._answers = answers
        self._ingest = ingest
        self._jobs = jobs
        self._models = models
        self._health = health
        self._clock = clock

    @property
    def embedding_model(self) -> str:
        """The configured embedder's model name."""
        return self._search.embedder.ref.model

    async def search(self, query: str, collection: str, limit: int, reader: Reader) -> SeedSearch:
        """``SearchService.search`` in hybrid mode."""
        out = await self._search.search(
            SearchParams(query=query, collection=collection, top_k=limit, reader=reader)
        )
        return SeedSearch(
            hits=[
                SeedHit(
                    id=h.id,
                    score=h.score,
                    text=h.text,
                    source=h.source,
                    document_id=h.document_id,
                    chunk_index=h.chunk_index,
                    metadata=h.metadata,
                )
                for h in out.results
            ],
            mode=out.mode,
            degraded_reason=out.degraded_reason if out.degraded else None,
            cached=out.cached,
            embed_ms=out.timings.embed_ms,
            search_ms=out.timings.search_ms,
            total_ms=out.timings.total_ms,
        )

    async def answer(self, query: str, collection: str, top_k: int, reader: Reader) -> SeedAnswer:
        """``AnswerService.answer`` (not streamed)."""
        out = await self._answers.answer(
            SearchParams(query=query, collection=collection, top_k=top_k, reader=reader)
        )
        return SeedAnswer(
            answer=out.answer,
            sources=[
                SeedHit(
                    id=s.id,
                    score=s.score,
                    text=s.text,
                    source=s.source,
                    document_id=s.document_id,
                    chunk_index=s.chunk_index,
                )
                for s in out.sources
            ],
            citations=out.citations,
            mode=out.mode,
            degraded_reason=out.degraded_reason if out.degraded else None,
            generator=out.generator,
            model=out.model,
            cached=out.cached,
            embed_ms=out.timings.embed_ms,
            search_ms=out.timings.search_ms,
            generate_ms=out.timings.generate_ms,
            total_ms=out.timings.total_ms,
        )

    async def collections(self) -> list[SeedCollection]:
        """``CollectionService.list_with_stats``."""
        return [_collection(s, st) for s, st in await self._collections.list_with_stats()]

    async def collection(self, name: str, *, stats: bool) -> SeedCollection:
        """``CollectionService.get_with_stats`` or ``get``."""
        if stats:
            return _collection(*await self._collections.get_with_stats(name))
        return _collection(await self._collections.get(name), None)

    async def create_collection(
        self, name: str, *, description: str, chunk_size: int | None, chunk_overlap: int | None
    ) -> SeedCollection:
        """``CollectionService.create`` with the configured embedder."""
        spec = await self._collections.create(
            name,
            description=description,
            chunking=ChunkingChange(chunk_size=chunk_size, chunk_overlap=chunk_overlap),
        )
        return _collection(spec, None)

    async def update_collection(
        self,
        name: str,
        *,
        description: str | None,
        chunk_size: int | None,
        chunk_overlap: int | None,
    ) -> SeedCollection:
        """``CollectionService.update``."""
        chunking = (
            ChunkingChange(chunk_size=chunk_size, chunk_overlap=chunk_overlap)
            if chunk_size is not None or chunk_overlap is not None
            else None
        )
        spec = await self._collections.update(name, description=description, chunking=chunking)
        return _collection(spec, None)

    async def delete_collection(self, name: str) -> None:
        """``CollectionService.delete``."""
        await self._collections.delete(name)

    async def documents(self, name: str, reader: Reader) -> list[SeedDocument]:
        """Every page of ``IngestService.list_documents``."""
        await self._collections.get(name)  # NotFound before listing
        found: list[SeedDocument] = []
        cursor: str | None = None
        while True:
            page = await self._ingest.list_documents(
                name, reader=reader, limit=_PAGE, cursor=cursor
            )
            found += [
                SeedDocument(
                    document_id=d.id,
                    source=d.source,
                    chunks=d.chunks,
                    complete=d.status == "ready",
                    updated=d.updated,
                    metadata=d.metadata,
                )
                for d in page.items
            ]
            if page.next_cursor is None:
                return found
            cursor = page.next_cursor

    async def sync(self, name: str, directory: str, *, wait_s: float) -> SeedIngest:
        """``IngestService.sync`` as a job, polled for up to ``wait_s`` seconds."""
        before = {d.document_id: d.chunks for d in await self.documents(name, Reader.everything())}
        started = self._clock()
        accepted, _ = await self._ingest.sync(name, directory)
        if not isinstance(accepted, JobAccepted):  # sync is always a job
            raise TypeError(f"sync answered {type(accepted).__name__}, not a job")
        job = await self._jobs.get(accepted.job_id)
        while not job.finished and self._clock() - started < wait_s:
            await asyncio.sleep(_POLL_S)
            job = await self._jobs.get(accepted.job_id)
        removed = 0
        if job.finished:
            after = {d.document_id for d in await self.documents(name, Reader.everything())}
            removed = sum(n for doc, n in before.items() if doc not in after)
        c = job.counts
        return SeedIngest(
            job_id=job.id,
            state=job.state,
            created=c.created,
            updated=c.updated,
            unchanged=c.unchanged,
            failed=c.failed,
            deleted=c.deleted,
            deleted_chunks=removed,
            detail=job.detail,
            duration_ms=round((self._clock() - started) * 1000, 1),
        )

    async def models(self) -> list[SeedModel]:
        """The embedders of ``ModelsService.list_models``."""
        listed = await self._models.list_models()
        return [
            SeedModel(
                name=m.model,
                provider=m.provider,
                dimensions=m.dimensions,
                configured=m.configured,
                available=m.available,
            )
            for m in listed.embedders
        ]

    async def dependencies(self) -> list[SeedDependency]:
        """``HealthService.readiness``, one entry per dependency."""
        state = await self._health.readiness()
        return [
            SeedDependency(
                name=d.name,
                mode=d.mode,
                reachable=d.reachable,
                required=d.required,
                detail=d.detail,
            )
            for d in state.dependencies
        ]


def _collection(spec: CollectionSpec, stats: CollectionStats | None) -> SeedCollection:
    return SeedCollection(
        name=spec.name,
        description=spec.description,
        embedding_model=spec.embedder.model,
        dimensions=spec.embedder.dimensions,
        chunk_size=spec.chunking.chunk_size,
        chunk_overlap=spec.chunking.chunk_overlap,
        created_at=spec.created_at,
        updated_at=spec.updated_at,
        points=stats.points if stats else None,
        size_bytes=stats.size_bytes if stats else None,
        indexed_points=stats.indexed_points if stats else None,
    )


def build_compat(settings: Settings, services: Services) -> CompatContext:
    """The seed API's context from the settings' ``[compat]`` table and the services."""
    backend = ServicesBackend(
        collections=services.collections,
        search=services.search,
        answers=services.answers,
        ingest=services.ingest,
        jobs=services.jobs,
        models=services.models,
        health=services.health,
    )
    return CompatContext(
        backend=backend,
        registry=SeedRegistry(settings.data_path / "compat" / "seed_collections.json"),
        default_collection=settings.compat.default_collection,
        ingest_wait_s=settings.compat.ingest_wait_s,
    )
