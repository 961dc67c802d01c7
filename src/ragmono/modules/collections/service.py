"""Collections: create, describe, change and drop, with the embedder recorded in each."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import NamedTuple

import msgspec

from ragmono.domain import ChunkingConfig, CollectionSpec, CollectionStats, EmbedderRef
from ragmono.errors import DamagedData, InvalidInput, NotFound
from ragmono.ports import VectorStore


class ChunkingChange(msgspec.Struct, frozen=True, kw_only=True):
    """Chunking values a request sets; None keeps the current (or default) value."""

    chunk_size: int | None = None
    chunk_overlap: int | None = None

    def applied_to(self, base: ChunkingConfig) -> ChunkingConfig:
        """``base`` with the given values replaced."""
        return ChunkingConfig(
            chunk_size=base.chunk_size if self.chunk_size is None else self.chunk_size,
            chunk_overlap=base.chunk_overlap if self.chunk_overlap is None else self.chunk_overlap,
        )


class CollectionListing(NamedTuple):
    """One listed collection: its stats, or why its data cannot be read."""

    spec: CollectionSpec
    stats: CollectionStats | None
    damage: str | None = None


class ChunkLimit(NamedTuple):
    """The most word pieces a chunk may hold for one embedder, and why."""

    tokens: int
    reason: str


def no_chunk_limit(ref: EmbedderRef) -> ChunkLimit | None:
    """No known window (the default for stores and embedders that do not say)."""
    return None


class CollectionService:
    """Owns collection lifecycle on top of the vector store's catalog."""

    def __init__(
        self,
        store: VectorStore,
        embedder: EmbedderRef,
        *,
        default_chunking: ChunkingConfig,
        chunk_limit: Callable[[EmbedderRef], ChunkLimit | None] = no_chunk_limit,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._embedder = embedder
        self._default_chunking = default_chunking
        self._chunk_limit = chunk_limit
        self._clock = clock

    async def create(
        self,
        name: str,
        *,
        description: str = "",
        dimensions: int | None = None,
        distance: str = "cosine",
        chunking: ChunkingChange | None = None,
    ) -> CollectionSpec:
        """Create a collection for the configured embedder; ``dimensions`` must agree with it."""
        if dimensions is not None and dimensions != self._embedder.dimensions:
            raise InvalidInput(
                f"dimensions {dimensions} do not match the configured embedder "
                f"{self._embedder.provider}/{self._embedder.model} "
                f"({self._embedder.dimensions} dimensions)",
                field="body.dimensions",
            )
        base = self._default_chunking
        config = self._checked(chunking.applied_to(base) if chunking else base, self._embedder)
        now = self._clock()
        spec = CollectionSpec(
            name=name,
            embedder=self._embedder,
            distance=distance,  # type: ignore[arg-type]  # validated by the schema
            chunking=config,
            description=description,
            created_at=now,
            updated_at=now,
        )
        await self._store.create_collection(spec)
        return spec

    async def get(self, name: str) -> CollectionSpec:
        """The catalog entry; NotFound when missing."""
        spec = await self._store.get_collection(name)
        if spec is None:
            raise NotFound(f"collection {name!r} does not exist", field="name")
        return spec

    async def get_with_stats(self, name: str) -> tuple[CollectionSpec, CollectionStats]:
        """The catalog entry and its current stats."""
        spec = await self.get(name)
        return spec, await self._store.stats(name)

    async def list_with_stats(self) -> list[tuple[CollectionSpec, CollectionStats]]:
        """Every readable collection with its stats (a damaged one is left out)."""
        return [
            (item.spec, item.stats)
            for item in await self.list_with_status()
            if item.stats is not None
        ]

    async def list_with_status(self) -> list[CollectionListing]:
        """Every collection: with its stats, or, when its data cannot be read, the reason.

        One damaged collection must not hide the others (a store that is down still raises).
        """
        listed = []
        for spec in await self._store.list_collections():
            try:
                listed.append(CollectionListing(spec, await self._store.stats(spec.name)))
            except DamagedData as exc:
                listed.append(CollectionListing(spec, None, exc.detail))
        return listed

    async def update(
        self, name: str, *, description: str | None = None, chunking: ChunkingChange | None = None
    ) -> CollectionSpec:
        """Change description and chunking (affects documents ingested from now on)."""
        spec = await self.get(name)
        changes: dict[str, object] = {"updated_at": self._clock()}
        if description is not None:
            changes["description"] = description
        if chunking is not None:
            changes["chunking"] = self._checked(chunking.applied_to(spec.chunking), spec.embedder)
        updated = msgspec.structs.replace(spec, **changes)
        await self._store.update_collection(updated)
        return updated

    async def delete(self, name: str) -> None:
        """Drop a collection with all of its documents."""
        await self.get(name)
        await self._store.delete_collection(name)

    def _checked(self, chunking: ChunkingConfig, embedder: EmbedderRef) -> ChunkingConfig:
        # A chunk longer than the embedder reads is cut before embedding: its tail would be
        # invisible to dense search, so the size is refused rather than silently truncated.
        limit = self._chunk_limit(embedder)
        if limit is not None and chunking.chunk_size > limit.tokens:
            raise InvalidInput(
                f"chunk_size {chunking.chunk_size} is over {limit.tokens}, the most "
                f"{embedder.label} reads ({limit.reason})",
                field="body.chunking.chunk_size",
            )
        return _checked_chunking(chunking)


def _checked_chunking(chunking: ChunkingConfig) -> ChunkingConfig:
    if chunking.chunk_overlap >= chunking.chunk_size:
        raise InvalidInput(
            f"chunk_overlap ({chunking.chunk_overlap}) must be smaller than "
            f"chunk_size ({chunking.chunk_size})",
            field="body.chunking.chunk_overlap",
        )
    return chunking
