"""What a collection is: its name, the embedder that fills it and how documents are chunked."""

from __future__ import annotations

from typing import Literal

import msgspec

Distance = Literal["cosine", "dot", "euclid"]


class EmbedderRef(msgspec.Struct, frozen=True, kw_only=True):
    """The embedder a collection was built with; vectors from another one are garbage."""

    provider: str
    model: str
    dimensions: int


class ChunkingConfig(msgspec.Struct, frozen=True, kw_only=True):
    """How documents are split: chunk size and overlap in tokens."""

    chunk_size: int = 250
    chunk_overlap: int = 32


class CollectionSpec(msgspec.Struct, frozen=True, kw_only=True):
    """A collection as recorded in the catalog."""

    name: str
    embedder: EmbedderRef
    distance: Distance = "cosine"
    chunking: ChunkingConfig = msgspec.field(default_factory=ChunkingConfig)
    description: str = ""
    created_at: float = 0.0
    updated_at: float = 0.0
    version: int = 0
    """Content version; bumped by every write so caches never serve stale results."""
    shard_number: int | None = None
    replication_factor: int | None = None
    write_consistency_factor: int | None = None


class CollectionStats(msgspec.Struct, frozen=True, kw_only=True):
    """Counts a vector store can report for a collection."""

    points: int
    size_bytes: int
    indexed_points: int | None = None
