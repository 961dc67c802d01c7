"""Request and response bodies of /api/v1/collections."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from ragmono.domain import CollectionSpec, CollectionStats, EmbedderRef

CollectionName = Annotated[
    str,
    Meta(
        pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$",
        description="Lower-case letters, digits, '-' and '_'; 1-63 characters.",
        examples=["docs"],
    ),
]
ChunkSize = Annotated[int, Meta(ge=32, le=8192, description="Chunk size in tokens.")]
ChunkOverlap = Annotated[int, Meta(ge=0, le=4096, description="Overlap between chunks in tokens.")]
Description = Annotated[str, Meta(max_length=1000)]


class _Body(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, frozen=True):
    """Base of request bodies: unknown fields are rejected, not ignored."""


class ChunkingIn(_Body, frozen=True):
    chunk_size: ChunkSize | None = None
    """Defaults to the collection's current value (on create: ``ingest.chunk_size``)."""
    chunk_overlap: ChunkOverlap | None = None
    """Defaults to the collection's current value (on create: ``ingest.chunk_overlap``)."""


class CollectionCreate(_Body, frozen=True):
    name: CollectionName
    description: Description = ""
    dimensions: Annotated[int, Meta(ge=1, le=65536)] | None = None
    """Vector size; defaults to the configured embedder's and must match it."""
    distance: Literal["cosine", "dot", "euclid"] = "cosine"
    chunking: ChunkingIn | None = None


class CollectionPatch(_Body, frozen=True):
    description: Description | None = None
    chunking: ChunkingIn | None = None


class EmbedderOut(msgspec.Struct, frozen=True, kw_only=True):
    provider: str
    model: str
    dimensions: int


class ChunkingOut(msgspec.Struct, frozen=True, kw_only=True):
    chunk_size: int
    chunk_overlap: int


class StatsOut(msgspec.Struct, frozen=True, kw_only=True):
    points: int
    size_bytes: int
    indexed_points: int | None = None


class RetainedOut(msgspec.Struct, frozen=True, kw_only=True):
    storage: str
    """Physical collection a reindex switched away from (delete it early with
    ``DELETE /api/v1/collections/{name}/retained/{storage}``)."""
    embedder: EmbedderOut
    retired_at: float
    delete_after: float
    """When it is dropped (``reindex.keep_old_hours`` after the switch)."""


class CollectionOut(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    description: str
    embedder: EmbedderOut
    distance: str
    chunking: ChunkingOut
    created_at: float
    updated_at: float
    version: int
    storage: str
    """The physical collection holding the points (a reindex moves the name to a new one)."""
    retained: list[RetainedOut]
    """Old physical collections kept after reindexes, until ``delete_after``."""
    stats: StatsOut | None = None
    status: Literal["ok", "damaged"] = "ok"
    """``damaged``: its data on disk cannot be read (``damage`` says why); the others serve."""
    damage: str | None = None
    """Why a damaged collection cannot be read (see README, Operations)."""

    @classmethod
    def build(
        cls, spec: CollectionSpec, stats: CollectionStats | None, *, damage: str | None = None
    ) -> CollectionOut:
        """Response body from a catalog entry, optional stats and the damage, if any."""
        return cls(
            status="damaged" if damage else "ok",
            damage=damage,
            name=spec.name,
            description=spec.description,
            embedder=_embedder(spec.embedder),
            distance=spec.distance,
            chunking=ChunkingOut(
                chunk_size=spec.chunking.chunk_size, chunk_overlap=spec.chunking.chunk_overlap
            ),
            created_at=spec.created_at,
            updated_at=spec.updated_at,
            version=spec.version,
            storage=spec.physical,
            retained=[
                RetainedOut(
                    storage=r.storage,
                    embedder=_embedder(r.embedder),
                    retired_at=r.retired_at,
                    delete_after=r.delete_after,
                )
                for r in spec.retained
            ],
            stats=(
                StatsOut(
                    points=stats.points,
                    size_bytes=stats.size_bytes,
                    indexed_points=stats.indexed_points,
                )
                if stats
                else None
            ),
        )


def _embedder(ref: EmbedderRef) -> EmbedderOut:
    return EmbedderOut(provider=ref.provider, model=ref.model, dimensions=ref.dimensions)


class CollectionList(msgspec.Struct, frozen=True, kw_only=True):
    items: list[CollectionOut]
