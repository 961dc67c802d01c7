"""What the seed API needs from ragmono's services, as plain values (this module's port).

The compat module translates HTTP shapes only. It does not import the query, collections or
ingest modules (modules never import each other); ``lifespan/compat.py`` implements
:class:`SeedBackend` by calling those services' public methods, so there is one search, one
answerer and one collection lifecycle, whichever API a request came through.
"""

from __future__ import annotations

from typing import Any, Protocol

import msgspec

from ragmono.domain import Reader

__all__ = [
    "SeedAnswer",
    "SeedBackend",
    "SeedCollection",
    "SeedDependency",
    "SeedDocument",
    "SeedHit",
    "SeedIngest",
    "SeedModel",
    "SeedSearch",
]


class SeedHit(msgspec.Struct, frozen=True, kw_only=True):
    """One chunk found (a search result or a source of an answer)."""

    id: str
    score: float
    text: str
    source: str
    """Where the document came from (a synced file's path relative to its root)."""
    document_id: str
    chunk_index: int
    metadata: dict[str, Any] = msgspec.field(default_factory=dict)


class SeedSearch(msgspec.Struct, frozen=True, kw_only=True):
    """Hits and how they were found."""

    hits: list[SeedHit]
    mode: str
    degraded_reason: str | None = None
    cached: bool = False
    embed_ms: float = 0.0
    search_ms: float = 0.0
    total_ms: float = 0.0


class SeedAnswer(msgspec.Struct, frozen=True, kw_only=True):
    """A grounded answer; ``citations`` are 1-based positions in ``sources``."""

    answer: str
    sources: list[SeedHit]
    citations: list[int]
    mode: str
    degraded_reason: str | None = None
    generator: str
    model: str
    cached: bool = False
    embed_ms: float = 0.0
    search_ms: float = 0.0
    generate_ms: float = 0.0
    total_ms: float = 0.0


class SeedCollection(msgspec.Struct, frozen=True, kw_only=True):
    """A collection as the catalog holds it, with its stats when asked for."""

    name: str
    description: str
    embedding_model: str
    dimensions: int
    chunk_size: int
    chunk_overlap: int
    created_at: float
    updated_at: float
    points: int | None = None
    size_bytes: int | None = None
    indexed_points: int | None = None


class SeedDocument(msgspec.Struct, frozen=True, kw_only=True):
    """A stored document: its source, chunk count, status and last write."""

    document_id: str
    source: str
    chunks: int
    complete: bool
    updated: float
    metadata: dict[str, Any] = msgspec.field(default_factory=dict)
    """Includes ``sync_root`` for a synced file (its ``source`` is relative to that root)."""


class SeedIngest(msgspec.Struct, frozen=True, kw_only=True):
    """A directory sync job as far as it got within the wait."""

    job_id: str
    state: str
    """queued, running, succeeded, failed, cancelled or interrupted."""
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    deleted: int = 0
    """Documents whose files are gone (orphans) that the sync removed."""
    deleted_chunks: int = 0
    detail: str = ""
    duration_ms: float = 0.0


class SeedModel(msgspec.Struct, frozen=True, kw_only=True):
    """An embedder this server can use."""

    name: str
    provider: str
    dimensions: int | None
    configured: bool
    available: bool


class SeedDependency(msgspec.Struct, frozen=True, kw_only=True):
    """One dependency's state as readiness sees it."""

    name: str
    mode: str
    reachable: bool
    required: bool
    detail: str = ""


class SeedBackend(Protocol):
    """ragmono's services, seen from the seed API. Errors are ragmono's domain errors."""

    @property
    def embedding_model(self) -> str:
        """The configured embedder's model name."""
        ...

    async def search(self, query: str, collection: str, limit: int, reader: Reader) -> SeedSearch:
        """Hybrid search (keyword when the embedder is down), cached like /api/v1/search,
        among the chunks ``reader`` may read."""
        ...

    async def answer(self, query: str, collection: str, top_k: int, reader: Reader) -> SeedAnswer:
        """A grounded answer from the ``top_k`` best passages ``reader`` may read."""
        ...

    async def collections(self) -> list[SeedCollection]:
        """Every collection with stats."""
        ...

    async def collection(self, name: str, *, stats: bool) -> SeedCollection:
        """One collection (NotFound when missing)."""
        ...

    async def create_collection(
        self, name: str, *, description: str, chunk_size: int | None, chunk_overlap: int | None
    ) -> SeedCollection:
        """Create with the configured embedder (Conflict when the name is taken)."""
        ...

    async def update_collection(
        self,
        name: str,
        *,
        description: str | None,
        chunk_size: int | None,
        chunk_overlap: int | None,
    ) -> SeedCollection:
        """Change description or chunking (NotFound when missing)."""
        ...

    async def delete_collection(self, name: str) -> None:
        """Drop a collection and its documents (NotFound when missing)."""
        ...

    async def documents(self, name: str, reader: Reader) -> list[SeedDocument]:
        """Every document of a collection ``reader`` may read (NotFound when missing)."""
        ...

    async def sync(self, name: str, directory: str, *, wait_s: float) -> SeedIngest:
        """Mirror ``directory`` into the collection (ingest changes, drop orphans); wait."""
        ...

    async def models(self) -> list[SeedModel]:
        """The configured embedder first, then the others available."""
        ...

    async def dependencies(self) -> list[SeedDependency]:
        """Readiness of each dependency."""
        ...
