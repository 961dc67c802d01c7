"""The "before" of engine_responsiveness.py: the embedded adapter as of commit 7cb26f2.

Kept verbatim (imports adjusted) so the benchmark measures the old design in the same run as the
new one: qdrant-edge in the API process on one worker thread. ``SlicedThreadVectorStore`` is
option (a) of issue 12: the same store with upserts cut into small slices and the event loop
yielding between them.
"""

from __future__ import annotations

import asyncio
import fcntl
import shutil
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO, Any, TypeVar

import msgspec
import qdrant_edge as qe
import structlog

from ragmono.adapters.qdrant.embedded.file_catalog import FileCatalog
from ragmono.domain import (
    AnyOf,
    Chunk,
    ChunkPoint,
    CollectionSpec,
    CollectionStats,
    DependencyHealth,
    Filter,
    Match,
    ScoredChunk,
    VectorQuery,
)
from ragmono.errors import Conflict, DependencyUnavailable, NotFound
from ragmono.ports import StoredChunk

__all__ = ["SlicedThreadVectorStore", "ThreadVectorStore"]

log = structlog.get_logger(__name__)
T = TypeVar("T")

DENSE = "dense"
KEYWORD = "keyword"
INDEXED_FIELDS = ("document_id", "source", "content_hash")
_DISTANCES = {"cosine": qe.Distance.Cosine, "dot": qe.Distance.Dot, "euclid": qe.Distance.Euclid}


class ThreadVectorStore:
    """:class:`~ragmono.ports.VectorStore` on qdrant-edge shards in ``data_dir``."""

    mode = "embedded"

    def __init__(self, data_dir: Path, *, optimize_delay_s: float = 2.0) -> None:
        self._root = data_dir
        self._shards_dir = data_dir / "collections"
        self._shards_dir.mkdir(parents=True, exist_ok=True)
        self._lock_file = _acquire_owner_lock(data_dir / ".ragmono.lock")
        self.catalog = FileCatalog(data_dir)
        self._shards: dict[str, qe.EdgeShard] = {}
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="qdrant-edge")
        self._optimize_delay_s = optimize_delay_s
        self._optimize_tasks: dict[str, asyncio.Task[None]] = {}
        self._closed = False

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        if self._closed:
            raise DependencyUnavailable("qdrant", "the embedded vector store is closed")
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, fn, *args)
        except (NotFound, Conflict):
            raise
        except Exception as exc:
            if str(exc).startswith("Service runtime error"):
                raise DependencyUnavailable("qdrant", f"embedded engine: {exc}") from exc
            raise

    def _shard(self, name: str) -> qe.EdgeShard:
        shard = self._shards.get(name)
        if shard is None:
            if self.catalog.get(name) is None:
                raise NotFound(f"collection {name!r} does not exist", field="collection")
            shard = qe.EdgeShard.load(str(self._shards_dir / name))
            self._shards[name] = shard
        return shard

    # -- collections -------------------------------------------------------------------------

    async def create_collection(self, spec: CollectionSpec) -> None:
        """Create the shard with dense + keyword vectors and payload indexes, then record it."""
        await self._run(self._create_sync, spec)

    def _create_sync(self, spec: CollectionSpec) -> None:
        if self.catalog.get(spec.name) is not None:
            raise Conflict(f"collection {spec.name!r} already exists", field="name")
        path = self._shards_dir / spec.name
        if path.exists():  # left over by a crash between mkdir and catalog write
            shutil.rmtree(path)
        config = qe.EdgeConfig(
            vectors={
                DENSE: qe.EdgeVectorParams(
                    size=spec.embedder.dimensions, distance=_DISTANCES[spec.distance]
                )
            },
            sparse_vectors={KEYWORD: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)},
        )
        try:
            shard = qe.EdgeShard.create(str(path), config)
            for field in INDEXED_FIELDS:
                shard.update(
                    qe.UpdateOperation.create_field_index(field, qe.PayloadSchemaType.Keyword)
                )
            self.catalog.put(spec)
        except BaseException:
            self._shards.pop(spec.name, None)
            shutil.rmtree(path, ignore_errors=True)
            raise
        self._shards[spec.name] = shard

    async def get_collection(self, name: str) -> CollectionSpec | None:
        """The catalog entry of ``name``, or None."""
        return self.catalog.get(name)

    async def list_collections(self) -> list[CollectionSpec]:
        """Every collection's catalog entry, sorted by name."""
        return self.catalog.all()

    async def update_collection(self, spec: CollectionSpec) -> None:
        """Replace a collection's catalog entry."""
        if self.catalog.get(spec.name) is None:
            raise NotFound(f"collection {spec.name!r} does not exist", field="collection")
        self.catalog.put(spec)

    async def delete_collection(self, name: str) -> None:
        """Close the shard, forget it in the catalog, then remove its directory."""
        task = self._optimize_tasks.pop(name, None)
        if task is not None:
            task.cancel()
        await self._run(self._delete_sync, name)

    def _delete_sync(self, name: str) -> None:
        if self.catalog.get(name) is None:
            raise NotFound(f"collection {name!r} does not exist", field="collection")
        shard = self._shards.pop(name, None)
        if shard is not None:
            shard.close()
        self.catalog.remove(name)
        shutil.rmtree(self._shards_dir / name, ignore_errors=True)

    async def stats(self, name: str) -> CollectionStats:
        """Point count, indexed vectors and bytes on disk."""
        return await self._run(self._stats_sync, name)

    def _stats_sync(self, name: str) -> CollectionStats:
        info = self._shard(name).info()
        # st_blocks, not st_size: the engine preallocates sparse mmap files.
        size = sum(
            f.stat().st_blocks * 512 for f in (self._shards_dir / name).rglob("*") if f.is_file()
        )
        return CollectionStats(
            points=info.points_count, size_bytes=size, indexed_points=info.indexed_vectors_count
        )

    # -- points ------------------------------------------------------------------------------

    async def upsert(self, collection: str, points: Sequence[ChunkPoint]) -> None:
        """Insert or replace points; schedules an index build once writes go quiet."""
        if not points:
            return
        edge_points = [
            qe.Point(
                p.id,
                {DENSE: p.dense, KEYWORD: qe.SparseVector(p.sparse.indices, p.sparse.values)},
                msgspec.to_builtins(p.chunk),
            )
            for p in points
        ]
        await self._run(
            lambda: self._shard(collection).update(qe.UpdateOperation.upsert_points(edge_points))
        )

    async def delete(self, collection: str, flt: Filter) -> None:
        """Delete every point matching ``flt``."""
        edge_filter = _to_edge_filter(flt)
        await self._run(
            lambda: self._shard(collection).update(
                qe.UpdateOperation.delete_points_by_filter(edge_filter)
            )
        )

    async def delete_points(self, collection: str, ids: Sequence[str]) -> None:
        """Delete points by id."""
        if ids:
            op = qe.UpdateOperation.delete_points(list(ids))
            await self._run(lambda: self._shard(collection).update(op))

    async def search(self, collection: str, query: VectorQuery) -> list[ScoredChunk]:
        """Dense, keyword or hybrid (RRF) search with an optional filter."""
        request = _to_edge_query(query)
        hits = await self._run(lambda: self._shard(collection).query(request))
        return [
            ScoredChunk(id=str(h.id), score=h.score, chunk=msgspec.convert(h.payload, Chunk))
            for h in hits
        ]

    async def scroll(
        self, collection: str, flt: Filter | None, limit: int, offset: str | None = None
    ) -> tuple[list[StoredChunk], str | None]:
        """One page of stored chunks and the next offset."""
        request = qe.ScrollRequest(
            offset=offset,
            limit=limit,
            filter=_to_edge_filter(flt) if flt else None,
            with_payload=True,
            with_vector=False,
        )
        records, nxt = await self._run(lambda: self._shard(collection).scroll(request))
        page = [StoredChunk(id=str(r.id), chunk=msgspec.convert(r.payload, Chunk)) for r in records]
        return page, (str(nxt) if nxt is not None else None)

    async def count(self, collection: str, flt: Filter | None = None) -> int:
        """Exact count of points matching ``flt``."""
        request = qe.CountRequest(exact=True, filter=_to_edge_filter(flt) if flt else None)
        return await self._run(lambda: self._shard(collection).count(request))

    async def optimize(self, collection: str) -> None:
        """Build the HNSW index after writes have been quiet for a moment."""
        previous = self._optimize_tasks.get(collection)
        if previous is not None and not previous.done():
            previous.cancel()
        self._optimize_tasks[collection] = asyncio.create_task(self._optimize_later(collection))

    async def _optimize_later(self, collection: str) -> None:
        await asyncio.sleep(self._optimize_delay_s)
        started = time.perf_counter()
        try:
            built = await self._run(lambda: self._shard(collection).optimize())
        except (NotFound, DependencyUnavailable) as exc:
            log.warning("index_build_failed", collection=collection, error=str(exc))
            return
        if built:
            log.info(
                "index_built",
                collection=collection,
                seconds=round(time.perf_counter() - started, 3),
            )

    # -- lifecycle ---------------------------------------------------------------------------

    async def health(self) -> DependencyHealth:
        """Always reachable while open: the engine is in this process."""
        started = time.perf_counter()
        reachable = not self._closed
        return DependencyHealth(
            name="qdrant",
            mode=self.mode,
            reachable=reachable,
            latency_ms=round((time.perf_counter() - started) * 1000, 3),
            detail=str(self._root),
        )

    async def close(self) -> None:
        """Flush and close every shard, then release the data-directory lock."""
        if self._closed:
            return
        for task in self._optimize_tasks.values():
            task.cancel()
        await asyncio.gather(*self._optimize_tasks.values(), return_exceptions=True)
        self._optimize_tasks.clear()
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._close_sync)
        self._closed = True
        self._executor.shutdown(wait=True)
        self._lock_file.close()

    def _close_sync(self) -> None:
        for shard in self._shards.values():
            shard.flush()
            shard.close()
        self._shards.clear()


def _acquire_owner_lock(path: Path) -> IO[str]:
    """Hold an exclusive lock on ``path`` for this process's lifetime (one owner per dir)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fh = path.open("a+")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        raise DependencyUnavailable(
            "qdrant", f"data directory {path.parent} is in use by another ragmono process"
        ) from None
    return fh


def _to_edge_filter(flt: Filter) -> qe.Filter:
    conditions: list[Any] = []
    for cond in flt.must:
        if isinstance(cond, Match):
            conditions.append(qe.FieldCondition(cond.key, match=qe.MatchValue(cond.value)))
        elif isinstance(cond, AnyOf):
            conditions.append(qe.FieldCondition(cond.key, match=qe.MatchAny(cond.values)))
        else:
            rng = qe.RangeFloat(gte=cond.gte, gt=cond.gt, lte=cond.lte, lt=cond.lt)
            conditions.append(qe.FieldCondition(cond.key, range=rng))
    return qe.Filter(must=conditions)


def _to_edge_query(query: VectorQuery) -> qe.QueryRequest:
    flt = _to_edge_filter(query.filter) if query.filter and query.filter.must else None
    dense = qe.Query.Nearest(query.dense, using=DENSE) if query.dense is not None else None
    sparse = (
        qe.Query.Nearest(qe.SparseVector(query.sparse.indices, query.sparse.values), using=KEYWORD)
        if query.sparse is not None
        else None
    )
    if query.mode == "hybrid" and dense is not None and sparse is not None:
        return qe.QueryRequest(
            limit=query.limit,
            query=qe.Fusion.Rrf(k=query.rrf_k),  # type: ignore[arg-type]  # stub omits Rrf
            prefetches=[
                qe.Prefetch(limit=query.prefetch_limit, query=dense),
                qe.Prefetch(limit=query.prefetch_limit, query=sparse),
            ],
            filter=flt,
            with_payload=True,
            score_threshold=query.score_threshold,
        )
    chosen = dense if query.mode == "dense" else sparse
    if chosen is None:
        raise ValueError(f"{query.mode} search needs its query vector")
    return qe.QueryRequest(
        limit=query.limit,
        query=chosen,
        filter=flt,
        with_payload=True,
        score_threshold=query.score_threshold,
    )


class SlicedThreadVectorStore(ThreadVectorStore):
    """Option (a): upserts in slices of ``slice_size`` points, yielding to the loop between.

    ``optimize`` is still one engine call (deferred until writes go quiet), so it still holds the
    GIL for the whole index build.
    """

    def __init__(self, data_dir: Path, *, slice_size: int = 32, **kwargs: Any) -> None:
        super().__init__(data_dir, **kwargs)
        self._slice_size = slice_size

    async def upsert(self, collection: str, points: Sequence[ChunkPoint]) -> None:
        """Insert or replace points a slice at a time."""
        for start in range(0, len(points), self._slice_size):
            await super().upsert(collection, points[start : start + self._slice_size])
            await asyncio.sleep(0)
