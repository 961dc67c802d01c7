"""What a collection is: its name, the embedder that fills it and how documents are chunked."""

from __future__ import annotations

from typing import Literal

import msgspec

from ragmono.domain.access import DefaultAccess

Distance = Literal["cosine", "dot", "euclid"]


class EmbedderRef(msgspec.Struct, frozen=True, kw_only=True):
    """The embedder a collection was built with; vectors from another one are garbage."""

    provider: str
    model: str
    dimensions: int

    @property
    def label(self) -> str:
        """``provider/model``, the name the API takes and shows."""
        return f"{self.provider}/{self.model}"


class ChunkingConfig(msgspec.Struct, frozen=True, kw_only=True):
    """How documents are split: chunk size and overlap in tokens."""

    chunk_size: int = 250
    chunk_overlap: int = 32


class RetainedStorage(msgspec.Struct, frozen=True, kw_only=True):
    """A physical collection a reindex switched away from, kept until ``delete_after``."""

    storage: str
    embedder: EmbedderRef
    retired_at: float
    delete_after: float


class CollectionSpec(msgspec.Struct, frozen=True, kw_only=True):
    """A collection as recorded in the catalog.

    ``name`` is the API name; ``storage`` the physical collection holding its points (empty:
    the same as ``name``, as for every collection made before reindexing existed, so old data
    needs no migration). Physical names other than ``name`` contain a ``.``, which API names
    cannot, so the two never collide.
    """

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
    storage: str = ""
    """Physical collection (embedded: shard directory; server: the Qdrant collection the alias
    ``name`` points at); empty means ``name`` itself."""
    retained: tuple[RetainedStorage, ...] = ()
    """Physical collections replaced by a reindex, kept for a rollback until deleted."""
    default_access: DefaultAccess = "public"
    """Who reads a document without access labels: everyone (``public``) or only callers
    holding ``access:all`` (``restricted``)."""
    tenant: str = ""
    """When set, only callers holding ``tenant:<tenant>`` (or ``access:all``) see the
    collection at all."""

    @property
    def physical(self) -> str:
        """The physical collection that holds the points now."""
        return self.storage or self.name


class CollectionStats(msgspec.Struct, frozen=True, kw_only=True):
    """Counts a vector store can report for a collection."""

    points: int
    size_bytes: int
    indexed_points: int | None = None
