"""The embedded vector store: qdrant-edge (the real Qdrant engine) in a worker process.

One shard directory per collection under ``<data_dir>/collections``; the catalog beside them.
qdrant-edge holds Python's GIL for the whole of each call (an index build at 100k points takes
minutes), so the engine does not run in the API process: a dedicated worker process, started,
supervised and restarted by this store, owns the shards (see ``worker.py``), and index builds
run on a copy in a short-lived builder process (see ``index_builds.py``). The API process keeps
the catalog, the data directory's owner lock and the index-build debounce.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import msgspec
import structlog

from ragmono.domain import (
    ChunkPoint,
    CollectionSpec,
    CollectionStats,
    DependencyHealth,
    Filter,
    ScoredChunk,
    VectorQuery,
)
from ragmono.errors import Conflict, DamagedData, DependencyUnavailable, NotFound
from ragmono.ports import StoredChunk, Telemetry

from .data_check import check_vector_data
from .file_catalog import FileCatalog
from .lifecycle import acquire_owner_lock
from .protocol import (
    BuildIndex,
    BuildResult,
    Count,
    Create,
    Delete,
    DeletePoints,
    Drop,
    EngineStatus,
    EnsureIndexes,
    PauseWrites,
    ReplaceData,
    ResumeWrites,
    Scroll,
    Search,
    Stats,
    Status,
    Upsert,
    wire,
)
from .supervisor import EngineSupervisor

__all__ = ["EmbeddedVectorStore"]

log = structlog.get_logger(__name__)

STATUS_TIMEOUT_S = 1.0
"""/ready waits this long for the engine's state; a busy engine is still reported reachable."""


class EmbeddedVectorStore:
    """:class:`~ragmono.ports.VectorStore` on qdrant-edge shards in ``data_dir``.

    ``indexing_threshold_kb`` sets, for collections created from now on, how many KB of
    unindexed vectors make an index build worthwhile (None: the engine's 10,000 KB).
    """

    mode = "embedded"

    def __init__(
        self,
        data_dir: Path,
        *,
        optimize_delay_s: float = 2.0,
        indexing_threshold_kb: int | None = None,
        call_timeout_s: float = 60.0,
        log_level: str = "info",
        log_format: str = "json",
        telemetry: Telemetry | None = None,
    ) -> None:
        self._root = data_dir
        orphans = check_vector_data(data_dir) if data_dir.is_dir() else []
        if orphans:  # kept: a create of that name answers 409 instead of erasing them
            log.warning("orphan_shards", directory=str(data_dir / "collections"), shards=orphans)
        (data_dir / "collections").mkdir(parents=True, exist_ok=True)
        self._lock_file = acquire_owner_lock(data_dir / ".ragmono.lock")
        self.catalog = FileCatalog(data_dir)
        observe = None
        if telemetry is not None:  # each engine call is a dependency call of "qdrant"

            def observe(operation: str, seconds: float, kind: str | None) -> None:
                telemetry.observe_dependency("qdrant", operation, seconds, kind)

        self.engine = EngineSupervisor(
            data_dir, log_level=log_level, log_format=log_format, observe=observe
        )
        self._optimize_delay_s = optimize_delay_s
        self._indexing_threshold_kb = indexing_threshold_kb
        self._timeout_s = call_timeout_s
        self._optimize_tasks: dict[str, asyncio.Task[None]] = {}
        self._status = EngineStatus(pid=0, collections={}, writes_paused=False)
        self._closed = False

    def _known(self, name: str) -> str:
        """The shard directory serving ``name``: its catalog entry's storage, or ``name``
        itself when it is a physical name (one with a ``.``: being built, or retained)."""
        if self._closed:
            raise DependencyUnavailable("qdrant", "the embedded vector store is closed")
        spec = self.catalog.get(name)
        if spec is not None:
            return spec.physical
        if "." in name:
            return name
        raise NotFound(f"collection {name!r} does not exist", field="collection")

    async def start(self, embedder: object = None) -> None:
        """Open every collection's shard once, so /ready names a damaged one from the start.

        A shard that cannot be read is logged with its path and kept out of service; the other
        collections serve (each use tries it again, so one put back serves without a restart).
        """
        for spec in self.catalog.all():
            try:
                await self.stats(spec.name)
            except (DamagedData, NotFound) as exc:
                log.warning(
                    "collection_unreadable_at_start", collection=spec.name, error=exc.detail
                )

    # -- collections -------------------------------------------------------------------------

    async def create_collection(self, spec: CollectionSpec) -> None:
        """Create the shard with dense + keyword vectors and payload indexes, then record it."""
        if self.catalog.get(spec.name) is not None:
            raise Conflict(f"collection {spec.name!r} already exists", field="name")
        op = Create(spec, self._indexing_threshold_kb)
        await self.engine.call(op, type(None), timeout_s=self._timeout_s)
        try:
            self.catalog.put(spec)
        except BaseException:
            await self.engine.call(Drop(spec.name), type(None), timeout_s=self._timeout_s)
            raise

    async def get_collection(self, name: str) -> CollectionSpec | None:
        """The catalog entry of ``name``, or None."""
        return self.catalog.get(name)

    async def list_collections(self) -> list[CollectionSpec]:
        """Every collection's catalog entry, sorted by name."""
        return self.catalog.all()

    async def update_collection(self, spec: CollectionSpec) -> None:
        """Replace a collection's metadata; its embedder and storage stay as recorded."""
        current = self.catalog.get(spec.name)
        if current is None:
            raise NotFound(f"collection {spec.name!r} does not exist", field="collection")
        self.catalog.put(_keep_storage(spec, current))

    async def delete_collection(self, name: str) -> None:
        """Forget the collection in the catalog, then close and remove its shard."""
        self._known(name)
        spec = self.catalog.get(name)
        assert spec is not None
        # Shards first, then the entry: a crash between leaves an entry whose DELETE is retried,
        # never a shard without an entry (which a create of the same name refuses to erase).
        for storage in (spec.physical, *(r.storage for r in spec.retained)):
            await self._drop(storage)
        self.catalog.remove(name)

    async def _drop(self, storage: str) -> None:
        task = self._optimize_tasks.pop(storage, None)
        if task is not None:
            task.cancel()
        await self.engine.call(Drop(storage), type(None), timeout_s=self._timeout_s)

    async def stats(self, name: str) -> CollectionStats:
        """Point count, indexed vectors and bytes on disk."""
        shard = self._known(name)
        return await self.engine.call(Stats(shard), CollectionStats, timeout_s=self._timeout_s)

    # -- points ------------------------------------------------------------------------------

    async def upsert(self, collection: str, points: Sequence[ChunkPoint]) -> None:
        """Insert or replace points (call ``optimize`` when the bulk write is over)."""
        shard = self._known(collection)
        if points:
            op = Upsert(shard, list(points))
            await self.engine.call(op, type(None), timeout_s=self._timeout_s)

    async def delete(self, collection: str, flt: Filter) -> None:
        """Delete every point matching ``flt``."""
        shard = self._known(collection)
        op = Delete(shard, wire(flt))
        await self.engine.call(op, type(None), timeout_s=self._timeout_s)

    async def delete_points(self, collection: str, ids: Sequence[str]) -> None:
        """Delete points by id."""
        shard = self._known(collection)
        if ids:
            op = DeletePoints(shard, list(ids))
            await self.engine.call(op, type(None), timeout_s=self._timeout_s)

    async def search(self, collection: str, query: VectorQuery) -> list[ScoredChunk]:
        """Dense, keyword or hybrid (DBSF fusion) search; answered during index builds too."""
        shard = self._known(collection)
        op = Search(shard, wire(query))
        return await self.engine.call(op, list[ScoredChunk], timeout_s=self._timeout_s)

    async def scroll(
        self, collection: str, flt: Filter | None, limit: int, offset: str | None = None
    ) -> tuple[list[StoredChunk], str | None]:
        """One page of stored chunks and the next offset."""
        shard = self._known(collection)
        op = Scroll(shard, wire(flt) if flt else None, limit, offset)
        return await self.engine.call(
            op, tuple[list[StoredChunk], str | None], timeout_s=self._timeout_s
        )

    async def count(self, collection: str, flt: Filter | None = None) -> int:
        """Exact count of points matching ``flt``."""
        shard = self._known(collection)
        op = Count(shard, wire(flt) if flt else None)
        return await self.engine.call(op, int, timeout_s=self._timeout_s)

    async def optimize(self, collection: str) -> None:
        """Build the HNSW index off to the side once writes have been quiet for a moment."""
        shard = self._known(collection)
        previous = self._optimize_tasks.get(shard)
        if previous is not None and not previous.done():
            previous.cancel()
        self._optimize_tasks[shard] = asyncio.create_task(self._optimize_later(shard))

    async def _optimize_later(self, collection: str) -> None:
        await asyncio.sleep(self._optimize_delay_s)
        try:
            result = await self.engine.call(BuildIndex(collection), BuildResult, timeout_s=None)
        except Exception as exc:  # a background task: log, never leak; searches stay exact
            log.warning("index_build_failed", collection=collection, error=str(exc))
            return
        if result.built:
            log.info("index_built", collection=collection, seconds=result.seconds)

    async def ensure_payload_indexes(self, collection: str) -> None:
        """Create whichever of the keyword payload indexes the shard lacks (a queued write)."""
        shard = self._known(collection)
        op = EnsureIndexes(shard)
        await self.engine.call(op, type(None), timeout_s=self._timeout_s)

    # -- reindex: build beside, switch by one catalog write ------------------------------------

    def check_switchable(self, spec: CollectionSpec) -> None:
        """Every embedded collection can move: the catalog maps its name to a directory."""

    async def create_storage(self, spec: CollectionSpec, storage: str) -> None:
        """A fresh shard ``storage`` for ``spec``'s embedder (a leftover one is replaced)."""
        self._check_free(storage)
        await self._drop(storage)
        shaped = msgspec.structs.replace(spec, name=storage, storage="", retained=())
        op = Create(shaped, self._indexing_threshold_kb)
        await self.engine.call(op, type(None), timeout_s=self._timeout_s)

    async def drop_storage(self, storage: str) -> None:
        """Drop a shard no catalog entry serves (a half-built or a retained one)."""
        self._check_free(storage)
        await self._drop(storage)

    async def switch_storage(self, spec: CollectionSpec) -> None:
        """One atomic catalog write: from now on ``spec.name`` is served by ``spec.storage``."""
        self._known(spec.name)
        self.catalog.put(spec)

    def _check_free(self, storage: str) -> None:
        # A retained directory may carry a bare API name (the collection's data before its
        # first reindex): safe to drop as long as no catalog entry is served by it.
        for spec in self.catalog.all():
            if spec.physical == storage:
                raise Conflict(f"{storage!r} serves collection {spec.name!r}", field="storage")

    # -- backup and restore ------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def paused_writes(self) -> AsyncIterator[Path]:
        """Every shard flushed and no write or index swap until exit: copy the data dir then.

        Yields the data directory (``catalog.json`` and ``collections/``). Searches go on;
        writes wait. Raises ``DependencyUnavailable`` on exit if the engine restarted meanwhile
        (the copy may then be inconsistent).
        """
        if self._closed:
            raise DependencyUnavailable("qdrant", "the embedded vector store is closed")
        await self.engine.call(PauseWrites(), type(None), timeout_s=self._timeout_s)
        generation = self.engine.generation
        try:
            yield self._root
        finally:
            if self.engine.generation == generation:
                await self.engine.call(ResumeWrites(), type(None), timeout_s=self._timeout_s)
        # Checked after the resume: it may have waited for, and reached, a restarted worker.
        if self.engine.generation != generation:
            raise DependencyUnavailable("qdrant", "the engine restarted while writes were paused")

    async def replace_data(self, staged: Path) -> None:
        """Swap in a staged ``catalog.json`` and ``collections/`` while writes are held.

        The worker closes its shards, swaps the directories by rename (rolling back on failure)
        and reopens shards on next use; the catalog is read again: no restart needed.
        """
        for task in self._optimize_tasks.values():
            task.cancel()
        await asyncio.gather(*self._optimize_tasks.values(), return_exceptions=True)
        self._optimize_tasks.clear()
        async with self.paused_writes():
            try:
                op = ReplaceData(str(staged))
                await self.engine.call(op, type(None), timeout_s=self._timeout_s)
            finally:
                self.catalog.reload()  # the new file, or the old one put back
        log.info("vector_data_replaced", data_dir=str(self._root))

    # -- lifecycle ---------------------------------------------------------------------------

    async def health(self) -> DependencyHealth:
        """Reachable while the worker runs; ``extra`` shows index builds and pending points."""
        started = time.perf_counter()
        # Reachable while the worker serves or (re)starts (calls then wait for it), unless it
        # keeps failing to start; a worker inside one long engine call (a swap, a big flush)
        # is reachable but busy, and the state shown is the last one seen.
        reachable, detail, busy = self.engine.healthy, str(self._root), False
        if self.engine.state == "ready":
            try:
                op = Status()
                self._status = await self.engine.call(op, EngineStatus, timeout_s=STATUS_TIMEOUT_S)
            except DependencyUnavailable as exc:
                detail, busy = exc.detail, True
        elif reachable:
            detail = f"the embedded engine worker is {self.engine.state}"
        extra = _status_extra(self._status)
        extra.update(self.engine.status_extra(), busy=busy)
        damaged = self._damaged_collections()
        extra["damaged_collections"] = damaged
        if damaged:  # the others serve: still ready, but said at once
            detail = f"{detail}; damaged collections (see README, Operations): " + ", ".join(
                sorted(damaged)
            )
        return DependencyHealth(
            name="qdrant",
            mode=self.mode,
            reachable=reachable,
            latency_ms=round((time.perf_counter() - started) * 1000, 3),
            detail=detail,
            extra=extra,
        )

    async def close(self) -> None:
        """Stop pending index builds, flush and close every shard, release the lock."""
        if self._closed:
            return
        self._closed = True
        for task in self._optimize_tasks.values():
            task.cancel()
        await asyncio.gather(*self._optimize_tasks.values(), return_exceptions=True)
        self._optimize_tasks.clear()
        await self.engine.close()
        self._lock_file.close()

    def _damaged_collections(self) -> dict[str, str]:
        """API name -> reason, for each collection whose shard the engine could not open."""
        if not self._status.damaged:
            return {}
        return {
            spec.name: self._status.damaged[spec.physical]
            for spec in self.catalog.all()
            if spec.physical in self._status.damaged
        }


def _keep_storage(spec: CollectionSpec, current: CollectionSpec) -> CollectionSpec:
    """``spec`` with the fields only a reindex may change taken from ``current``."""
    return msgspec.structs.replace(
        spec, embedder=current.embedder, storage=current.storage, retained=current.retained
    )


def _status_extra(status: EngineStatus) -> dict[str, Any]:
    building = sorted(name for name, c in status.collections.items() if c.indexing)
    return {
        "indexing": bool(building),
        "indexing_collections": building,
        "points_pending_index": sum(c.points_pending_index for c in status.collections.values()),
        "writes_paused": status.writes_paused,
    }
