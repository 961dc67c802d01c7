"""Reindex a collection with another embedder while it keeps answering.

A reindex job builds a new physical collection beside the live one (named ``<name>.<job>``):
it scrolls the live collection page by page, embeds each chunk's text again with the new
embedder (batches of ``batch_chunks``; BM25 vectors are made again from the same text) and
upserts the points with the same ids and payloads. Searches and writes go on meanwhile.

Writes made during the build land in the live collection only. They are brought over by a
catch-up pass that compares the two collections point by point (id and payload digest:
missing or changed points are embedded again, extra ones deleted): once without holding
anything, then again with the collection's writes held (:class:`WriteGate`), right before
the switch, so the hold lasts one short diff. The switch is one atomic step of the store
(a catalog write in embedded mode, an alias update in server mode). The old physical
collection is recorded in the spec's ``retained`` list and dropped after
``reindex.keep_old_hours`` or on ``DELETE .../retained/{storage}``.

A failed or cancelled reindex drops what it built; the live collection is never touched.
Failures are final (no automatic retry of a whole rebuild): the job says why.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
import uuid
from collections.abc import AsyncIterator, Callable

import msgspec
import structlog

from ragmono.domain import (
    ChunkPoint,
    CollectionSpec,
    Filter,
    Job,
    Match,
    RetainedStorage,
)
from ragmono.errors import Conflict, DependencyUnavailable, NotFound, RagmonoError
from ragmono.modules.ingest import JobObserver, ReindexPayload, WriteGate, embed_chunks
from ragmono.ports import (
    Embedder,
    Embedders,
    LeaseStore,
    SparseEncoder,
    StoredChunk,
    SwitchableVectorStore,
    VectorStore,
)

__all__ = ["ReindexFailed", "Reindexer"]

log = structlog.get_logger("ragmono.ingest.reindex")

PAGE = 256
"""Points scrolled per page."""
_encode = msgspec.json.Encoder(order="deterministic").encode


class ReindexFailed(RagmonoError):
    """A reindex could not finish; the live collection is untouched (job detail says why)."""

    status_code = 503


class _Cancelled(Exception):
    pass


class Reindexer:
    """Runs reindex jobs, and drops retained physical collections when they expire."""

    def __init__(
        self,
        store: VectorStore,
        embedders: Embedders,
        sparse: SparseEncoder,
        gate: WriteGate,
        *,
        batch_chunks: int = 128,
        keep_old_s: float = 86400.0,
        clock: Callable[[], float] = time.time,
        leases: LeaseStore | None = None,
    ) -> None:
        self._store = store
        self._embedders = embedders
        self._sparse = sparse
        self._gate = gate
        self._batch = batch_chunks
        self.keep_old_s = keep_old_s
        self._clock = clock
        self._sweep_lock = asyncio.Lock()
        self._leases = leases
        self._owner = uuid.uuid4().hex

    @property
    def switchable(self) -> SwitchableVectorStore | None:
        """The store, if it can switch a collection to new storage."""
        return self._store if isinstance(self._store, SwitchableVectorStore) else None

    async def check(self, name: str, embedder: str) -> tuple[CollectionSpec, Embedder]:
        """What a reindex request needs, checked before a job is accepted.

        404 unknown collection; 422 (``body.embedder``) unknown embedder; 409 when the store
        cannot switch this collection. The same embedder is allowed (a plain rebuild).
        """
        store = self._require_store()
        spec = await store.get_collection(name)
        if spec is None:
            raise NotFound(f"collection {name!r} does not exist", field="name")
        target = await self._embedders.resolve(embedder)
        store.check_switchable(spec)
        return spec, target

    def _require_store(self) -> SwitchableVectorStore:
        store = self.switchable
        if store is None:
            raise Conflict("this vector store cannot reindex collections", field="name")
        return store

    # -- the job ------------------------------------------------------------------------------

    async def run(self, job: Job, payload: ReindexPayload, observer: JobObserver) -> None:
        """Build, catch up, switch; on any failure drop the half-built collection.

        Domain errors (a dead embedder included) end the job as failed at once, without
        the runner's retries: a retry would rebuild everything while holding the collection's
        one reindex slot; the operator posts the reindex again when the cause is fixed.
        """
        try:
            await self._run(job, payload, observer)
        except ReindexFailed:
            raise
        except RagmonoError as exc:
            raise ReindexFailed(f"reindex failed, nothing changed: {exc.detail}") from None

    async def _run(self, job: Job, payload: ReindexPayload, observer: JobObserver) -> None:
        store = self._require_store()
        spec, embedder = await self.check(job.collection, payload.embedder)
        storage = f"{spec.name}.{job.id[:12]}"
        if spec.physical == storage:  # resumed after a crash that followed the switch
            log.info("reindex_already_switched", collection=spec.name, job_id=job.id)
            return
        fresh = msgspec.structs.replace(spec, embedder=embedder.ref, storage=storage, retained=())
        log.info(
            "reindex_started",
            collection=spec.name,
            embedder=embedder.ref.label,
            storage=storage,
            job_id=job.id,
        )
        await store.create_storage(fresh, storage)
        try:
            await self._copy(spec, storage, embedder, observer)
            await self._catch_up(spec.name, storage, embedder)
            async with self._gate.held(spec.name):
                held = time.perf_counter()
                copied = await self._catch_up(spec.name, storage, embedder)
                self._gate.check_held(spec.name)  # no switch if another replica took the hold
                old = await self._switch(store, spec.name, fresh)
                held_ms = round((time.perf_counter() - held) * 1000, 1)
        except BaseException as exc:
            with contextlib.suppress(Exception):
                await asyncio.shield(store.drop_storage(storage))
            log.warning("reindex_failed", collection=spec.name, error=str(exc), job_id=job.id)
            if isinstance(exc, _Cancelled):
                return
            raise
        log.info(
            "reindex_switched",
            collection=spec.name,
            storage=storage,
            retained=old,
            caught_up=copied,
            writes_held_ms=held_ms,
            job_id=job.id,
        )
        await store.optimize(spec.name)
        if self.keep_old_s <= 0:
            await self.sweep()

    async def _copy(
        self, spec: CollectionSpec, storage: str, embedder: Embedder, observer: JobObserver
    ) -> None:
        progress = observer.job.progress
        total = await self._store.count(spec.name)
        heads = await self._store.count(spec.name, Filter(must=[Match(key="chunk_index", value=0)]))
        progress.chunks_total, progress.work_total = total, float(max(total, 1))
        progress.documents_total = heads
        progress.chunks_done = progress.documents_done = 0
        progress.work_done = 0.0
        await observer.flush(force=True)
        offset: str | None = None
        while True:
            page, offset = await self._store.scroll(spec.name, None, PAGE, offset)
            for start in range(0, len(page), self._batch):
                if await observer.should_stop():  # a cancel, checked between batches
                    raise _Cancelled
                batch = page[start : start + self._batch]
                await self._write(storage, batch, embedder)
                progress.chunks_done += len(batch)
                progress.documents_done += sum(1 for c in batch if c.chunk.chunk_index == 0)
                progress.work_done = float(min(progress.chunks_done, total))
                await observer.flush()
            if offset is None:  # writes meanwhile may have added points: the total grows
                progress.chunks_total = max(progress.chunks_total, progress.chunks_done)
                await observer.flush(force=True)
                return

    async def _write(self, storage: str, chunks: list[StoredChunk], embedder: Embedder) -> None:
        if not chunks:
            return
        texts = [c.chunk.text for c in chunks]
        dense, units = await embed_chunks(embedder, texts)  # the new embedder's sentence vectors
        points = [
            ChunkPoint(
                id=c.id,
                dense=vector,
                sparse=self._sparse.encode_document(c.chunk.text),
                chunk=msgspec.structs.replace(c.chunk, unit_vectors=unit),
            )
            for c, vector, unit in zip(chunks, dense, units, strict=True)
        ]
        await self._store.upsert(storage, points)

    async def _catch_up(self, name: str, storage: str, embedder: Embedder) -> int:
        """Make ``storage`` hold exactly the live collection's points; how many changed."""
        built = {c.id: d async for c, d in self._digests(storage)}
        stale: list[StoredChunk] = []
        changed = 0
        async for chunk, digest in self._digests(name):
            if built.pop(chunk.id, None) != digest:
                stale.append(chunk)
            if len(stale) >= self._batch:
                await self._write(storage, stale, embedder)
                changed, stale = changed + len(stale), []
        await self._write(storage, stale, embedder)
        changed += len(stale)
        if built:  # deleted from the live collection since they were copied
            await self._store.delete_points(storage, list(built))
        return changed + len(built)

    async def _digests(self, collection: str) -> AsyncIterator[tuple[StoredChunk, bytes]]:
        offset: str | None = None
        while True:
            page, offset = await self._store.scroll(collection, None, PAGE, offset)
            for chunk in page:
                yield chunk, hashlib.blake2b(_encode(chunk.chunk), digest_size=16).digest()
            if offset is None:
                return

    async def _switch(self, store: SwitchableVectorStore, name: str, fresh: CollectionSpec) -> str:
        live = await store.get_collection(name)
        if live is None:
            raise NotFound(f"collection {name!r} was deleted during the reindex", field="name")
        now = self._clock()
        kept = RetainedStorage(
            storage=live.physical,
            embedder=live.embedder,
            retired_at=now,
            delete_after=now + self.keep_old_s,
        )
        switched = msgspec.structs.replace(
            live,  # description, chunking and version as they are now
            embedder=fresh.embedder,
            storage=fresh.storage,
            retained=(*live.retained, kept),
            version=live.version + 1,
            updated_at=now,
        )
        await store.switch_storage(switched)
        return kept.storage

    # -- retained collections -----------------------------------------------------------------

    async def drop_retained(self, name: str, storage: str) -> CollectionSpec:
        """Drop one retained physical collection of ``name`` now."""
        store = self._require_store()
        spec = await store.get_collection(name)
        if spec is None:
            raise NotFound(f"collection {name!r} does not exist", field="name")
        if all(r.storage != storage for r in spec.retained):
            raise NotFound(f"collection {name!r} retains no storage {storage!r}", field="storage")
        return await self._forget(store, spec, {storage})

    async def sweep(self) -> int:
        """Drop every retained physical collection past its ``delete_after``; how many."""
        store = self.switchable
        if store is None:
            return 0
        dropped = 0
        async with self._sweep_lock:
            now = self._clock()
            for spec in await store.list_collections():
                due = {r.storage for r in spec.retained if r.delete_after <= now}
                if due:
                    await self._forget(store, spec, due)
                    dropped += len(due)
        return dropped

    async def _sweeper(self, every_s: float) -> bool:
        """Whether this replica sweeps: the one holding the sweep lease, renewed each round
        (another takes it over within two rounds of its death); all when Redis is down."""
        if self._leases is None:
            return True
        try:
            return await self._leases.hold("reindex-sweep", self._owner, 2 * every_s)
        except DependencyUnavailable:
            return True  # sweeping twice is harmless: each drop happens under the write hold

    async def _forget(
        self, store: SwitchableVectorStore, spec: CollectionSpec, storages: set[str]
    ) -> CollectionSpec:
        # The catalog first: a crash in between leaves an orphan, never an entry without data.
        async with self._gate.held(spec.name):
            live = await store.get_collection(spec.name) or spec
            kept = tuple(r for r in live.retained if r.storage not in storages)
            updated = msgspec.structs.replace(live, retained=kept)
            await store.switch_storage(updated)
        for storage in storages:
            await store.drop_storage(storage)
            log.info("reindex_retained_dropped", collection=spec.name, storage=storage)
        return updated

    @contextlib.asynccontextmanager
    async def sweeping(self, every_s: float = 300.0) -> AsyncIterator[None]:
        """Sweep expired retained collections now and every ``every_s`` while inside."""

        async def loop() -> None:
            while True:
                try:
                    if await self._sweeper(every_s):
                        await self.sweep()
                except Exception as exc:  # a background task: log and try again later
                    log.warning("reindex_sweep_failed", error=str(exc))
                await asyncio.sleep(every_s)

        task = asyncio.create_task(loop(), name="reindex-retention")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
