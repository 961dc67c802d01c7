"""Writing documents: chunk, embed in batches, upsert with chunk 0 last, then drop stale chunks.

Two stages overlap: while one batch's points are written to the store, the next batch is being
embedded (the embedder works off the event loop), so the store costs little on top of the
embedder. Each document's chunk 0 is written only after all of its other chunks: chunk 0 holds
the content hash, so a crash mid-document leaves a hash that does not match and the next run
rewrites the document instead of calling it unchanged. Stale chunks (index >= the new total)
are deleted after the new ones are in, so a document never has zero chunks.

Each collection is embedded with the embedder recorded in its spec. Every batch is stored
inside the collection's :class:`WriteGate`; there the spec is read again, and if a reindex
switched the collection to another embedder while this write was under way, the batch is
embedded again with the new one (and so are the batches after it), so no point with an old
vector lands in the rebuilt collection.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import AsyncIterable, Callable
from typing import Any

import msgspec

from ragmono.domain import (
    ACCESS_KEY,
    Chunk,
    ChunkPoint,
    CollectionSpec,
    Condition,
    Filter,
    Match,
)
from ragmono.errors import NotFound
from ragmono.ports import (
    Embedder,
    Embedders,
    PassageEmbedder,
    SparseEncoder,
    Telemetry,
    VectorStore,
)

from ._plans import (
    Batch,
    Plan,
    Target,
    hidden_from_writer,
    pop_finished,
    refused,
    stale_chunks,
    whole_document,
)
from .chunking import Chunker, normalize_text
from .documents import DocumentInput, DocumentResult, DocumentStatus
from .gate import WriteGate
from .identity import content_hash, document_id_for, point_id
from .observer import WriteObserver, unless_stopped
from .shared_lock import SharedLock

__all__ = ["DocumentWriter", "WriteObserver", "embed_chunks"]

BIG_TEXT = 64 * 1024
"""Texts longer than this are chunked on a worker thread."""


class DocumentWriter:
    """Writes :class:`DocumentInput` streams into a collection through the ports."""

    def __init__(
        self,
        store: VectorStore,
        embedders: Embedders,
        sparse: SparseEncoder,
        chunker: Chunker,
        *,
        batch_chunks: int = 128,
        telemetry: Telemetry | None = None,
        clock: Callable[[], float] = time.time,
        gate: WriteGate | None = None,
        version_lock: SharedLock | None = None,
    ) -> None:
        self._store = store
        self._telemetry = telemetry
        self._embedders = embedders
        self.gate = gate or WriteGate()
        """Held by a reindex while it catches up and switches the collection."""
        self._sparse = sparse
        self._chunker = chunker
        self._batch_chunks = batch_chunks
        self._clock = clock
        # Shared by replicas (a lease) when given: two replicas reading and rewriting the
        # catalog entry at once would both write ``version + 1`` and one bump would be lost.
        self._version_lock = version_lock or SharedLock(None)

    @property
    def store(self) -> VectorStore:
        """The vector store written to."""
        return self._store

    @property
    def sparse(self) -> SparseEncoder:
        """The keyword (BM25) encoder of every chunk."""
        return self._sparse

    async def open(self, name: str) -> CollectionSpec:
        """The collection's spec; 404 if missing, 409 if its embedder cannot be had here."""
        spec = await self._store.get_collection(name)
        if spec is None:
            raise NotFound(f"collection {name!r} does not exist", field="name")
        await self._embedders.get(spec.embedder)
        return spec

    async def bump_version(self, name: str) -> None:
        """Advance the collection's content version so caches drop what they hold for it."""
        async with self._version_lock.hold(f"version:{name}"):
            spec = await self._store.get_collection(name)
            if spec is not None:
                await self._store.update_collection(
                    msgspec.structs.replace(
                        spec, version=spec.version + 1, updated_at=self._clock()
                    )
                )

    async def write(
        self,
        spec: CollectionSpec,
        items: AsyncIterable[DocumentInput | DocumentResult],
        observer: WriteObserver | None = None,
    ) -> list[DocumentResult]:
        """Write every document of ``items`` (results pass through in order) and report each.

        Stops early when the observer asks to: between documents, or inside one between (and
        during) embedding batches; a new document stopped part-way is removed again.
        """
        queue: asyncio.Queue[Batch | None] = asyncio.Queue(maxsize=1)
        results: list[DocumentResult] = []
        target = Target(spec)
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self._produce(target, items, observer, queue))
                writer = group.create_task(self._consume(target, queue, observer, results))
        except BaseExceptionGroup as failed:  # surface the domain error, not a group of one
            raise failed.exceptions[0] from None
        await self._drop_abandoned(target)
        if writer.result():
            await self._store.optimize(spec.name)
        return results

    async def _drop_abandoned(self, target: Target) -> None:
        """Remove the chunks stored of new documents a cancel stopped part-way.

        Without chunk 0 such a document is not listed, but its other chunks would be found by
        search. A replaced document stopped part-way keeps its old chunk 0 (so a later ingest
        of it rewrites it) and is not touched here.
        """
        name = target.spec.name
        for plan in target.abandoned:
            if plan.pieces and plan.result.status == "created":
                async with self.gate.writing(name):
                    await self._store.delete(name, whole_document(plan.result.id))

    # -- stage 1: plan, chunk, embed ------------------------------------------------------------

    async def _produce(
        self,
        target: Target,
        items: AsyncIterable[DocumentInput | DocumentResult],
        observer: WriteObserver | None,
        queue: asyncio.Queue[Batch | None],
    ) -> None:
        plans: list[Plan] = []
        waiting: list[tuple[Plan, int]] = []
        position, check = 0, True  # ask before the first document and after each batch

        async def send(batch: list[tuple[Plan, int]]) -> bool:
            """Embed and queue one batch (asking for a cancel during it); False if stopped."""
            nonlocal check
            if batch and observer is not None and await observer.should_stop():
                return False
            embedded = await unless_stopped(self._embed(target.spec, batch, plans), observer)
            if embedded is not None:
                await queue.put(embedded)
            check = True
            return embedded is not None

        async def feed() -> None:
            nonlocal position, waiting, check
            async for item in items:
                if observer is not None and check:
                    if await observer.should_stop():
                        return
                    check = False
                plan = (
                    Plan(position=position, result=item)
                    if isinstance(item, DocumentResult)
                    else await self._plan(target.spec, position, item)
                )
                position += 1
                plans.append(plan)
                if observer is not None and plan.pieces:
                    await observer.planned(plan.position, len(plan.pieces))
                waiting.extend((plan, i) for i in range(len(plan.pieces)))
                while len(waiting) >= self._batch_chunks:
                    batch, waiting = waiting[: self._batch_chunks], waiting[self._batch_chunks :]
                    if not await send(batch):
                        return
                if not waiting and plans and not await send([]):  # skipped or failed: report
                    return
            if waiting or plans:
                await send(waiting)

        await feed()
        target.abandoned = plans  # what a cancel left unfinished (empty when all went in)
        await queue.put(None)

    async def _plan(self, spec: CollectionSpec, position: int, doc: DocumentInput) -> Plan:
        text = normalize_text(doc.text)
        source = doc.source
        doc_id = doc.id or document_id_for(source, text)
        digest = content_hash(
            text, spec.chunking, markdown=doc.markdown, source=source, metadata=doc.metadata
        )
        head, stored = await self._existing(spec.name, doc_id)
        if hidden_from_writer(doc, head, spec):
            return refused(doc_id, source, position)
        labels = sorted(set(doc.access))
        if head is not None and head.content_hash == digest and stored == head.chunk_total:
            status: DocumentStatus = "unchanged"
            if sorted(head.access) != labels:  # same text, new labels: relabel, no embedding
                async with self.gate.writing(spec.name):
                    await self._store.set_payload(
                        spec.name, whole_document(doc_id), {ACCESS_KEY: labels}
                    )
                    await self.bump_version(spec.name)
                status = "updated"
            result = DocumentResult(
                id=doc_id, status=status, chunks=head.chunk_total, source=source
            )
            return Plan(position=position, result=result)
        split = functools.partial(
            self._chunker.split,
            text,
            spec.chunking,
            markdown=doc.markdown,
            paged=doc.metadata.get("format") == "pdf",
        )
        pieces = await asyncio.to_thread(split) if len(text) > BIG_TEXT else split()
        complete_before = head is not None and stored == head.chunk_total
        return Plan(
            position=position,
            result=DocumentResult(
                id=doc_id,
                status="updated" if head is not None else "created",
                chunks=len(pieces),
                source=source,
            ),
            hash=digest,
            pieces=pieces,
            chunk_base={
                "document_id": doc_id,
                "source": source,
                "metadata": doc.metadata,
                "access": labels,
            },
            # Old chunks past the new end exist unless the old version was complete and no longer.
            cleanup=stored > 0
            and not (complete_before and head is not None and head.chunk_total <= len(pieces)),
        )

    async def _existing(self, collection: str, doc_id: str) -> tuple[Chunk | None, int]:
        by_doc: list[Condition] = [Match(key="document_id", value=doc_id)]
        heads, _ = await self._store.scroll(
            collection, Filter(must=[*by_doc, Match(key="chunk_index", value=0)]), 1
        )
        stored = await self._store.count(collection, Filter(must=by_doc))
        return (heads[0].chunk if heads else None), stored

    async def _embed(
        self, spec: CollectionSpec, batch: list[tuple[Plan, int]], plans: list[Plan]
    ) -> Batch:
        texts = [plan.pieces[i].text for plan, i in batch]
        if not texts:
            return Batch(points=[], finished=pop_finished(plans), spec=spec)
        embedder = await self._embedders.get(spec.embedder)
        dense_task = asyncio.ensure_future(embed_chunks(embedder, texts))
        try:
            sparse = [self._sparse.encode_document(t) for t in texts]  # while the embedder works
            dense, unit_vectors = await dense_task
        finally:
            dense_task.cancel()
        now = self._clock()
        points: list[ChunkPoint] = []
        for (plan, i), vector, keywords, units in zip(
            batch, dense, sparse, unit_vectors, strict=True
        ):
            point = self._point(spec.name, plan, i, vector, keywords, now, units)
            plan.embedded += 1
            if i == 0:
                plan.head = point
            else:
                points.append(point)
        return Batch(points=points, finished=pop_finished(plans), spec=spec)

    async def _embed_again(self, spec: CollectionSpec, batch: Batch) -> None:
        """Replace the vectors of ``batch`` (made by an embedder the collection left)."""
        heads = [p for p in batch.finished if p.head is not None]
        points = [*batch.points, *(p.head for p in heads if p.head is not None)]
        if not points:
            return
        embedder = await self._embedders.get(spec.embedder)
        dense, units = await embed_chunks(embedder, [p.chunk.text for p in points])
        fresh = [
            msgspec.structs.replace(
                p, dense=d, chunk=msgspec.structs.replace(p.chunk, unit_vectors=u)
            )
            for p, d, u in zip(points, dense, units, strict=True)
        ]
        batch.points = fresh[: len(batch.points)]
        for plan, head in zip(heads, fresh[len(batch.points) :], strict=True):
            plan.head = head
        batch.spec = spec

    def _point(
        self,
        collection: str,
        plan: Plan,
        index: int,
        dense: list[float],
        sparse: Any,
        now: float,
        unit_vectors: str = "",
    ) -> ChunkPoint:
        piece = plan.pieces[index]
        metadata = dict(plan.chunk_base["metadata"])
        if piece.section:
            metadata["section"] = piece.section
        if piece.page is not None:
            metadata["page"] = piece.page
        chunk = Chunk(
            document_id=plan.result.id,
            source=plan.chunk_base["source"],
            chunk_index=index,
            chunk_total=len(plan.pieces),
            content_hash=plan.hash,
            text=piece.text,
            metadata=metadata,
            ingested_at=now,
            unit_vectors=unit_vectors,
            access=list(plan.chunk_base["access"]),
        )
        return ChunkPoint(
            id=point_id(collection, plan.result.id, index), dense=dense, sparse=sparse, chunk=chunk
        )

    # -- stage 2: store -------------------------------------------------------------------------

    async def _consume(
        self,
        target: Target,
        queue: asyncio.Queue[Batch | None],
        observer: WriteObserver | None,
        results: list[DocumentResult],
    ) -> bool:
        wrote = False
        name = target.spec.name
        while (batch := await queue.get()) is not None:
            async with self.gate.writing(name):
                heads = await self._store_batch(target, batch)
            changed = bool(batch.points or heads)
            wrote = wrote or changed
            if observer is not None:
                if changed:
                    await observer.written(len(batch.points) + len(heads))
                for plan in batch.finished:
                    await observer.document_done(plan.position, plan.result)
            results.extend(plan.result for plan in batch.finished)
            if self._telemetry is not None:
                done = [plan.result.status for plan in batch.finished]
                self._telemetry.count_ingest(
                    created=done.count("created"),
                    updated=done.count("updated"),
                    unchanged=done.count("unchanged"),
                    failed=done.count("failed"),
                    chunks=len(batch.points) + len(heads),
                )
        return wrote

    async def _store_batch(self, target: Target, batch: Batch) -> list[ChunkPoint]:
        """Write one batch (inside the gate); the heads written."""
        name = target.spec.name
        has_points = bool(batch.points) or any(p.head is not None for p in batch.finished)
        if has_points:
            live = await self._store.get_collection(name)
            if live is None:
                raise NotFound(f"collection {name!r} does not exist", field="name")
            if live.embedder != batch.spec.embedder:  # a reindex switched it meanwhile
                target.spec = live
                await self._embed_again(live, batch)
        if batch.points:
            await self._store.upsert(name, batch.points)
        heads = [p.head for p in batch.finished if p.head is not None]
        if heads:  # chunk 0 last: its hash marks the document complete
            await self._store.upsert(name, heads)
        for plan in batch.finished:
            if plan.cleanup:
                await self._store.delete(name, stale_chunks(plan.result.id, len(plan.pieces)))
        if batch.points or heads:
            await self.bump_version(name)
        return heads


async def embed_chunks(embedder: Embedder, texts: list[str]) -> tuple[list[list[float]], list[str]]:
    """Chunk texts' vectors, with their answer units' vectors (the chunk's ``unit_vectors``)
    when the embedder makes them ("" each otherwise). Ingest and reindex write both."""
    if isinstance(embedder, PassageEmbedder):
        return await embedder.embed_passages(texts)
    return await embedder.embed_documents(texts), ["" for _ in texts]
