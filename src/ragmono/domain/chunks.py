"""Chunks as stored and as found: the payload, the vectors and the scored hit."""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from ragmono.domain.filters import Filter

SearchMode = Literal["dense", "keyword", "hybrid"]
FusionMethod = Literal["dbsf", "rrf"]


class SparseVector(msgspec.Struct, frozen=True):
    """A sparse keyword vector: token hashes and their weights."""

    indices: list[int]
    values: list[float]


class Chunk(msgspec.Struct, frozen=True, kw_only=True):
    """The payload stored with each point."""

    document_id: str
    source: str
    chunk_index: int
    chunk_total: int
    content_hash: str
    text: str
    metadata: dict[str, Any] = msgspec.field(default_factory=dict)
    ingested_at: float = 0.0
    unit_vectors: str = ""
    """The answer units' vectors made at ingest (``adapters/unit_vectors.py``), for the
    extractive answerer; "" when the embedder makes none. Never shown by the API."""


class ChunkPoint(msgspec.Struct, frozen=True, kw_only=True):
    """A chunk with its id and both vectors, ready to upsert."""

    id: str
    dense: list[float]
    sparse: SparseVector
    chunk: Chunk


class ScoredChunk(msgspec.Struct, frozen=True, kw_only=True):
    """A search hit."""

    id: str
    score: float
    chunk: Chunk


class VectorQuery(msgspec.Struct, frozen=True, kw_only=True):
    """One search against one collection.

    ``dense`` is required for dense and hybrid mode, ``sparse`` for keyword and hybrid mode.
    Hybrid fuses the two lists (``prefetch_limit`` each) with ``fusion``: ``dbsf``
    (distribution-based score fusion, the default: each list's scores scaled by its own
    mean +- 3 standard deviations, then summed) or ``rrf`` (reciprocal rank fusion, ``rrf_k``).

    Why DBSF: it keeps score margins that rank fusion throws away. An exact identifier
    (``ZX-4471``, ``--python``) gives its chunk a BM25 score far above the rest of the
    keyword list, so it stays on top; a keyword list of weak, near-equal matches (a
    paraphrased question) scales to a narrow band and cannot outvote a clear dense winner,
    which RRF lets it do because rank 1 of a weak list counts as much as rank 1 of a strong
    one. It has no parameter to tune, and Qdrant runs it natively in every mode (server,
    cluster and the embedded engine), so all modes rank alike.
    """

    mode: SearchMode
    limit: int
    dense: list[float] | None = None
    sparse: SparseVector | None = None
    filter: Filter | None = None
    score_threshold: float | None = None
    fusion: FusionMethod = "dbsf"
    rrf_k: int = 60
    prefetch_limit: int = 100
