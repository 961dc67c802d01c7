"""The writer's bookkeeping: documents planned into chunks, batches, and where a write is."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ragmono.domain import ChunkPoint, CollectionSpec, Filter, Match, Range

from .chunking import ChunkPiece
from .documents import DocumentResult


@dataclass(slots=True, eq=False)
class Plan:
    """One input item on its way in: its result, chunks, and how many are embedded."""

    position: int
    result: DocumentResult
    hash: str = ""
    pieces: list[ChunkPiece] = field(default_factory=list)
    chunk_base: dict[str, Any] = field(default_factory=dict)
    cleanup: bool = False
    embedded: int = 0
    head: ChunkPoint | None = None

    @property
    def complete(self) -> bool:
        """Every chunk embedded."""
        return self.embedded >= len(self.pieces)


@dataclass(slots=True)
class Batch:
    """Embedded points ready to store, and the documents they complete."""

    points: list[ChunkPoint]
    finished: list[Plan]
    spec: CollectionSpec
    """The spec whose embedder made these vectors."""


@dataclass(slots=True)
class Target:
    """Where one write goes, shared by its two stages."""

    spec: CollectionSpec
    """The collection as last read: the producer embeds with its embedder."""
    abandoned: list[Plan] = field(default_factory=list)
    """Documents a cancel stopped part-way (set when the producer ends)."""


def pop_finished(plans: list[Plan]) -> list[Plan]:
    """Plans done in input order: results are reported in the order documents came in."""
    finished: list[Plan] = []
    while plans and plans[0].complete:
        finished.append(plans.pop(0))
    return finished


def whole_document(doc_id: str) -> Filter:
    """Every chunk of a document."""
    return Filter(must=[Match(key="document_id", value=doc_id)])


def stale_chunks(doc_id: str, total: int) -> Filter:
    """A document's chunks at or past index ``total`` (left over from a longer version)."""
    return Filter(
        must=[Match(key="document_id", value=doc_id), Range(key="chunk_index", gte=float(total))]
    )
