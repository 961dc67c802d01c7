"""The vector-store port: collections (with their catalog entry) and chunk points."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import msgspec

from ragmono.domain import (
    Chunk,
    ChunkPoint,
    CollectionSpec,
    CollectionStats,
    DependencyHealth,
    Filter,
    ScoredChunk,
    VectorQuery,
)


class StoredChunk(msgspec.Struct, frozen=True, kw_only=True):
    """A stored point's id and payload, as returned by a scroll."""

    id: str
    chunk: Chunk


class VectorStore(Protocol):
    """Where chunks and their vectors live (embedded engine, one server or a cluster).

    Adapters raise ``Conflict`` for a duplicate collection, ``NotFound`` for a missing one and
    ``DependencyUnavailable`` when the store cannot be reached.
    """

    mode: str

    async def create_collection(self, spec: CollectionSpec) -> None:
        """Create the collection and record ``spec``; nothing is left behind on failure."""
        ...

    async def get_collection(self, name: str) -> CollectionSpec | None:
        """The catalog entry of ``name``, or None."""
        ...

    async def list_collections(self) -> list[CollectionSpec]:
        """Every collection's catalog entry, sorted by name."""
        ...

    async def update_collection(self, spec: CollectionSpec) -> None:
        """Replace the catalog entry (metadata only: description, chunking, version)."""
        ...

    async def delete_collection(self, name: str) -> None:
        """Drop the collection and all of its points."""
        ...

    async def stats(self, name: str) -> CollectionStats:
        """Point count and size of one collection."""
        ...

    async def upsert(self, collection: str, points: Sequence[ChunkPoint]) -> None:
        """Insert or replace points by id."""
        ...

    async def delete(self, collection: str, flt: Filter) -> None:
        """Delete every point that matches ``flt``."""
        ...

    async def delete_points(self, collection: str, ids: Sequence[str]) -> None:
        """Delete points by id; missing ids are ignored."""
        ...

    async def set_payload(self, collection: str, flt: Filter, payload: dict[str, Any]) -> None:
        """Set ``payload``'s top-level keys on every point matching ``flt``.

        Vectors and the other payload keys stay as they are (relabelling a document costs
        no embedding).
        """
        ...

    async def search(self, collection: str, query: VectorQuery) -> list[ScoredChunk]:
        """The best ``query.limit`` chunks, best first."""
        ...

    async def scroll(
        self, collection: str, flt: Filter | None, limit: int, offset: str | None = None
    ) -> tuple[list[StoredChunk], str | None]:
        """One page of stored chunks and the offset of the next page (None on the last)."""
        ...

    async def count(self, collection: str, flt: Filter | None = None) -> int:
        """Exact number of points matching ``flt``."""
        ...

    async def optimize(self, collection: str) -> None:
        """A bulk write ended: build indexes now (or schedule it) so searches stay fast."""
        ...

    async def ensure_payload_indexes(self, collection: str) -> None:
        """Create the keyword payload indexes (document_id, source, content_hash) if missing."""
        ...

    async def health(self) -> DependencyHealth:
        """Reachability and latency, cheap enough for every /ready call."""
        ...

    async def close(self) -> None:
        """Release files, connections and worker threads."""
        ...


@runtime_checkable
class PausableVectorStore(VectorStore, Protocol):
    """A vector store kept in local files that a backup can copy (the embedded engine).

    ``async with store.paused_writes() as data_dir:`` flushes everything to disk and holds
    writes (and index swaps) until the block exits; searches go on meanwhile. Copy
    ``data_dir/catalog.json`` and ``data_dir/collections/`` inside the block. Raises
    ``DependencyUnavailable`` on exit if the store restarted meanwhile: the copy is suspect.
    """

    def paused_writes(self) -> AbstractAsyncContextManager[Path]:
        """Flush, then hold writes until exit; yields the data directory."""
        ...


@runtime_checkable
class RestorableVectorStore(PausableVectorStore, Protocol):
    """A file-backed store whose data a verified backup can replace while the app runs."""

    async def replace_data(self, staged: Path) -> None:
        """Swap in ``staged/catalog.json`` and ``staged/collections/`` (same filesystem).

        Writes are held, shards closed, directories swapped by rename and shards reopened on
        next use; on failure the previous data is put back. ``staged`` is consumed.
        """
        ...


@runtime_checkable
class SwitchableVectorStore(VectorStore, Protocol):
    """A store that can rebuild a collection beside the live one and swap it in atomically.

    Every point method of :class:`VectorStore` also takes a physical collection name (one
    with a ``.``, see :class:`~ragmono.domain.CollectionSpec`), so a reindex can fill and read
    the collection it is building, and a search can stay on the physical collection whose
    embedder it used even if a switch happens meanwhile.
    """

    def check_switchable(self, spec: CollectionSpec) -> None:
        """Raise ``Conflict`` (saying why) when ``spec`` cannot be switched to new storage."""
        ...

    async def create_storage(self, spec: CollectionSpec, storage: str) -> None:
        """Create the empty physical collection ``storage`` for ``spec``'s embedder and
        distance (payload indexes included), outside the catalog; an older one is replaced."""
        ...

    async def drop_storage(self, storage: str) -> None:
        """Drop a physical collection that no catalog entry serves; missing is fine."""
        ...

    async def switch_storage(self, spec: CollectionSpec) -> None:
        """Make ``spec`` (pointing at a filled ``spec.storage``) live, in one atomic step."""
        ...
