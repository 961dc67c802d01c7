"""The VectorStore port over ``AsyncQdrantClient``: shared by server mode and cluster mode.

Subclasses decide how a call reaches Qdrant (:meth:`RemoteVectorStore.run`: one URL behind one
breaker, or a choice of nodes with failover); everything else (collections, catalog, points,
queries, startup checks) is here, so the two modes cannot drift apart.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import Any, TypeVar

import msgspec
import structlog
from qdrant_client import AsyncQdrantClient, models

from ragmono.domain import (
    ChunkPoint,
    CollectionSpec,
    CollectionStats,
    EmbedderRef,
    Filter,
    ScoredChunk,
    VectorQuery,
)
from ragmono.errors import Conflict, DependencyUnavailable, NotFound
from ragmono.ports import StoredChunk, Telemetry

from .checks import CollectionProblem, find_problem
from .convert import (
    INDEXED_FIELDS,
    chunk_from_payload,
    query_arguments,
    to_filter,
    to_point,
)
from .remote_catalog import RemoteCatalog
from .remote_switch import StorageSwitching, keyword_index

__all__ = ["RemoteVectorStore"]

log = structlog.get_logger(__name__)
T = TypeVar("T")

UPSERT_BATCH = 256
"""Points per upsert request: keeps each JSON body a few MB at 384-1024 dimensions."""


class RemoteVectorStore(StorageSwitching):
    """:class:`~ragmono.ports.VectorStore` on Qdrant over the network; see the subclasses."""

    mode = "remote"

    def __init__(
        self,
        *,
        timeout_s: float,
        read_args: dict[str, Any] | None = None,
        telemetry: Telemetry | None = None,
    ) -> None:
        self._timeout_s = timeout_s
        self._telemetry = telemetry
        self._read_args = read_args or {}
        self.catalog = RemoteCatalog(self, **self._catalog_args())
        self.problems: dict[str, CollectionProblem] = {}
        """Catalog entries that disagree with Qdrant (from the last startup check)."""
        self._embedder: EmbedderRef | None = None
        self._checked = False
        self._check_lock = asyncio.Lock()
        self._check_task: asyncio.Task[None] | None = None

    # -- hooks -------------------------------------------------------------------------------

    async def run(
        self,
        fn: Callable[[AsyncQdrantClient], Awaitable[T]],
        *,
        collection: str | None = None,
        idempotent: bool = True,
        operation: str = "call",
    ) -> T:
        """Run ``fn`` against Qdrant; subclasses route it (``operation`` labels its metrics)."""
        raise NotImplementedError

    def _catalog_args(self) -> dict[str, dict[str, Any]]:
        return {}

    def _placement(self, spec: CollectionSpec) -> tuple[CollectionSpec, dict[str, Any]]:
        """The spec as recorded and extra ``create_collection`` arguments (sharding)."""
        return spec, {}

    async def _check_versions(self) -> bool:
        """Refuse Qdrant versions that cannot serve ragmono; False while none can (subclasses)."""
        return True

    # -- startup checks ----------------------------------------------------------------------

    async def start(self, embedder: EmbedderRef | None = None) -> None:
        """Check versions and every collection against its spec; log what is wrong.

        Never raises for an unreachable Qdrant: the check is retried by :meth:`ensure_checked`.
        """
        self._embedder = embedder
        await self.ensure_checked()

    async def ensure_checked(self) -> None:
        """Run the startup checks if they have not completed yet."""
        if self._checked:
            return
        async with self._check_lock:
            if self._checked:
                return
            try:
                if not await self._check_versions():
                    return  # checked again on the next health call (an upgrade fixes it)
                await self._check_collections()
            except DependencyUnavailable as exc:
                log.warning("qdrant_startup_check_deferred", error=exc.detail)
                return
            self._checked = True

    def check_in_background(self) -> None:
        """Retry unfinished startup checks without holding up the caller (a /ready probe)."""
        if self._checked or (self._check_task is not None and not self._check_task.done()):
            return
        self._check_task = asyncio.create_task(self.ensure_checked(), name="qdrant-checks")

    async def _stop_checks(self) -> None:
        if self._check_task is not None:
            self._check_task.cancel()
            await asyncio.gather(self._check_task, return_exceptions=True)

    async def _check_collections(self) -> None:
        response = await self.run(lambda c: c.get_collections(), operation="check")
        aliases = await self.run(lambda c: c.get_aliases(), operation="check")
        existing = {c.name for c in response.collections}
        existing.update(a.alias_name for a in aliases.aliases)
        problems: dict[str, CollectionProblem] = {}
        for spec in await self.catalog.all():
            problem = await self._check_collection(spec, existing)
            if problem is not None:
                problems[spec.name] = problem
                log.error(
                    "qdrant_collection_problem",
                    collection=spec.name,
                    kind=problem.kind,
                    detail=problem.detail,
                )
        self.problems = problems

    async def reload_catalog(self) -> None:
        """Re-read the catalog and re-check every collection (a restore replaced them)."""
        await self._check_collections()

    async def _check_collection(
        self, spec: CollectionSpec, existing: set[str]
    ) -> CollectionProblem | None:
        if spec.name not in existing:
            detail = f"collection {spec.name!r} is in the catalog but not in Qdrant"
            return CollectionProblem(kind="missing", detail=detail)
        info = await self.run(
            lambda c: c.get_collection(spec.name), collection=spec.name, operation="check"
        )
        return find_problem(spec, info)

    def _guard(self, name: str, *, dense: bool) -> None:
        problem = self.problems.get(name)
        if problem is None:
            return
        if problem.kind == "missing":
            raise NotFound(problem.detail, field="collection")
        if problem.kind == "mismatch" or dense:
            raise Conflict(problem.detail, field="collection")

    # -- collections -------------------------------------------------------------------------

    async def create_collection(self, spec: CollectionSpec) -> None:
        """Create a physical collection (dense + keyword vectors, payload indexes), the alias
        ``spec.name`` pointing at it, then record the spec (``storage`` = the physical name).

        Every call by API name goes through the alias, so a reindex can later move the name
        to a rebuilt collection with one atomic alias update, seen by every replica at once.
        """
        if await self.catalog.get(spec.name) is not None:
            raise Conflict(f"collection {spec.name!r} already exists", field="name")
        spec = msgspec.structs.replace(spec, storage=f"{spec.name}.{uuid.uuid4().hex[:12]}")
        try:
            if await self.run(
                partial(_exists, name=spec.name),
                collection=spec.name,
                operation="create_collection",
            ):
                raise Conflict("taken")  # an alias cannot take a collection's name
            spec = await self._create_physical(spec, spec.storage)
        except Conflict:
            raise Conflict(
                f"collection {spec.name!r} exists in Qdrant but not in ragmono's catalog "
                "(created outside ragmono, or left by an interrupted create): drop it in "
                "Qdrant or choose another name",
                field="name",
            ) from None
        try:
            await self._point_alias(spec.name, spec.storage, replace=False)
            await self.catalog.put(spec)
        except Exception:
            await self._drop_quietly(spec.storage)  # takes its alias with it
            raise
        self.problems.pop(spec.name, None)

    async def get_collection(self, name: str) -> CollectionSpec | None:
        """The catalog entry of ``name``, or None."""
        return await self.catalog.get(name)

    async def list_collections(self) -> list[CollectionSpec]:
        """Every collection's catalog entry, sorted by name."""
        return await self.catalog.all()

    async def update_collection(self, spec: CollectionSpec) -> None:
        """Replace a collection's metadata; its embedder and storage stay as recorded."""
        current = await self.catalog.get(spec.name)
        if current is None:
            raise NotFound(f"collection {spec.name!r} does not exist", field="collection")
        await self.catalog.put(
            msgspec.structs.replace(
                spec,
                embedder=current.embedder,
                storage=current.storage,
                retained=current.retained,
            )
        )

    async def delete_collection(self, name: str) -> None:
        """Drop the Qdrant collections first (with the alias), then the catalog entry (a retry
        finishes it)."""
        spec = await self.catalog.get(name)
        if spec is None:
            raise NotFound(f"collection {name!r} does not exist", field="collection")
        for storage in (spec.physical, *(r.storage for r in spec.retained)):
            await self.run(
                partial(_delete_collection, name=storage),
                collection=storage,
                operation="delete_collection",
            )
        await self.catalog.remove(name)
        self.problems.pop(name, None)

    async def stats(self, name: str) -> CollectionStats:
        """Point and indexed-vector counts; ``size_bytes`` is 0 (Qdrant does not report it)."""
        info = await self.run(lambda c: c.get_collection(name), collection=name, operation="stats")
        return CollectionStats(
            points=info.points_count or 0,
            size_bytes=0,
            indexed_points=info.indexed_vectors_count,
        )

    # -- points ------------------------------------------------------------------------------

    async def upsert(self, collection: str, points: Sequence[ChunkPoint]) -> None:
        """Insert or replace points by id, in batches (each one safe to retry)."""
        self._guard(collection, dense=True)
        for start in range(0, len(points), UPSERT_BATCH):
            batch = [to_point(p) for p in points[start : start + UPSERT_BATCH]]
            await self.run(
                partial(_upsert, name=collection, points=batch),
                collection=collection,
                operation="upsert",
            )

    async def delete(self, collection: str, flt: Filter) -> None:
        """Delete every point matching ``flt`` (an empty filter matches all)."""
        self._guard(collection, dense=False)
        selector = models.FilterSelector(filter=to_filter(flt) or models.Filter())
        await self.run(
            lambda c: c.delete(collection, points_selector=selector, wait=True),
            collection=collection,
            operation="delete",
        )

    async def set_payload(self, collection: str, flt: Filter, payload: dict[str, Any]) -> None:
        """Set payload keys on every point matching ``flt`` (vectors kept)."""
        self._guard(collection, dense=False)
        selector = models.FilterSelector(filter=to_filter(flt) or models.Filter())
        await self.run(
            lambda c: c.set_payload(collection, payload=payload, points=selector, wait=True),
            collection=collection,
            operation="set_payload",
        )

    async def delete_points(self, collection: str, ids: Sequence[str]) -> None:
        """Delete points by id; missing ids are ignored."""
        if not ids:
            return
        self._guard(collection, dense=False)
        selector = models.PointIdsList(points=list(ids))
        await self.run(
            lambda c: c.delete(collection, points_selector=selector, wait=True),
            collection=collection,
            operation="delete",
        )

    async def search(self, collection: str, query: VectorQuery) -> list[ScoredChunk]:
        """Dense, keyword or hybrid (``query.fusion``: DBSF or RRF) search, optionally filtered."""
        self._guard(collection, dense=query.mode != "keyword")
        arguments = {**query_arguments(query), **self._read_args}
        response = await self.run(
            lambda c: c.query_points(collection, **arguments),
            collection=collection,
            operation="search",
        )
        return [
            ScoredChunk(id=str(p.id), score=p.score, chunk=chunk_from_payload(p.payload))
            for p in response.points
        ]

    async def scroll(
        self, collection: str, flt: Filter | None, limit: int, offset: str | None = None
    ) -> tuple[list[StoredChunk], str | None]:
        """One page of stored chunks and the offset of the next page (None on the last)."""
        self._guard(collection, dense=False)
        records, nxt = await self.run(
            lambda c: c.scroll(
                collection,
                scroll_filter=to_filter(flt),
                limit=limit,
                offset=offset,
                with_payload=True,
                with_vectors=False,
                **self._read_args,
            ),
            collection=collection,
            operation="scroll",
        )
        page = [StoredChunk(id=str(r.id), chunk=chunk_from_payload(r.payload)) for r in records]
        return page, (str(nxt) if nxt is not None else None)

    async def count(self, collection: str, flt: Filter | None = None) -> int:
        """Exact number of points matching ``flt``."""
        self._guard(collection, dense=False)
        result = await self.run(
            lambda c: c.count(collection, count_filter=to_filter(flt), exact=True),
            collection=collection,
            operation="count",
        )
        return result.count

    async def ensure_payload_indexes(self, collection: str) -> None:
        """Create the keyword payload indexes (Qdrant treats an existing one as done)."""
        for field in INDEXED_FIELDS:
            await self.run(
                partial(keyword_index, name=collection, field=field),
                collection=collection,
                operation="ensure_payload_indexes",
            )

    async def optimize(self, collection: str) -> None:
        """Nothing to do: a Qdrant server builds indexes in the background by itself."""


async def _exists(client: AsyncQdrantClient, *, name: str) -> bool:
    return await client.collection_exists(name)


async def _delete_collection(client: AsyncQdrantClient, *, name: str) -> bool:
    return await client.delete_collection(name)


async def _upsert(
    client: AsyncQdrantClient, *, name: str, points: list[models.PointStruct]
) -> models.UpdateResult:
    return await client.upsert(name, points, wait=True)
