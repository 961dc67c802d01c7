"""The seed's response bodies, field for field (``/work/shared/seed-api.md`` sections 2-3).

rag-services (the collections service) answers in an envelope with camelCase fields;
documentation-api answers ``/search`` and ``/status`` flat, with snake_case metadata. Both are
reproduced as their clients read them; fields ragmono adds are listed in the README.
"""

from __future__ import annotations

from typing import Any

import msgspec

__all__ = [
    "ApiError",
    "CollectionBody",
    "CollectionStatsBody",
    "Envelope",
    "FileEntry",
    "Meta",
    "ModelEntry",
    "Performance",
    "QueryHit",
    "QueryHitMetadata",
    "SearchBody",
    "SearchMetadata",
    "SearchResult",
]


class _Camel(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """rag-services' bodies are camelCase."""


class ApiError(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """The envelope's ``error``."""

    code: str
    message: str
    details: Any = None


class Meta(_Camel, frozen=True):
    """The envelope's ``meta``: ``request_id`` equals the ``X-Request-ID`` response header."""

    timestamp: str
    request_id: str
    version: str = "v1"


class Envelope(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """rag-services' standard envelope: ``data`` on success, ``error`` on failure."""

    success: bool
    meta: Meta
    data: Any = None
    error: ApiError | None = None


# -- GET /api/v1/rag/search (documentation-api, flat) ------------------------------------------


class SearchResult(msgspec.Struct, frozen=True, kw_only=True):
    """One hit as the LlamaIndex query service returned it."""

    content: str
    relevance: float
    metadata: dict[str, Any]


class SearchMetadata(_Camel, frozen=True):
    query: str
    max_results: int
    collection: str | None


class SearchBody(msgspec.Struct, frozen=True, kw_only=True):
    """documentation-api's /search body; ``degraded`` is ragmono's (keyword-only search)."""

    success: bool
    results: list[SearchResult]
    metadata: SearchMetadata
    cache_hit: bool = msgspec.field(default=False, name="_cacheHit")
    degraded: bool = False


# -- POST /api/v1/rag/query (rag-services data) ------------------------------------------------


class QueryHitMetadata(msgspec.Struct, frozen=True, kw_only=True):
    file_path: str
    file_name: str
    chunk_index: int
    tags: list[str] = msgspec.field(default_factory=list)
    """Always empty, as in rag-services."""


class QueryHit(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    score: float
    title: str
    path: str
    url: str
    snippet: str
    source: str
    collection: str
    metadata: QueryHitMetadata


class Performance(_Camel, frozen=True):
    total_ms: float
    embedding_ms: float
    search_ms: float


# -- collections (rag-services data) -----------------------------------------------------------


class CollectionStatsBody(_Camel, frozen=True):
    vectors_count: int
    points_count: int
    segments_count: int
    status: str
    total_files: int
    indexed_files: int
    pending_files: int
    orphan_chunks: int
    chunk_count: int
    directory_size_bytes: int
    directory_size_mb: float = msgspec.field(name="directorySizeMB")


class CollectionBody(_Camel, frozen=True):
    name: str
    description: str
    directory: str
    embedding_model: str
    chunk_size: int
    chunk_overlap: int
    file_types: list[str]
    recursive: bool
    enabled: bool
    auto_update: bool
    stats: CollectionStatsBody | None = None


class FileEntry(_Camel, frozen=True):
    path: str
    size_bytes: int
    chunk_count: int
    status: str
    last_modified: str | None


class ModelEntry(_Camel, frozen=True):
    name: str
    dimensions: int | None
    description: str
    is_default: bool
    available: bool
    capabilities: list[str]
    performance: str
    use_case: str
