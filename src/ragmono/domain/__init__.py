"""Domain types: frozen Structs with no I/O, shared by services, ports and adapters."""

from ragmono.domain.breakers import BreakerSnapshot, BreakerState
from ragmono.domain.chunks import (
    Chunk,
    ChunkPoint,
    ScoredChunk,
    SearchMode,
    SparseVector,
    VectorQuery,
)
from ragmono.domain.collections import ChunkingConfig, CollectionSpec, CollectionStats, EmbedderRef
from ragmono.domain.filters import AnyOf, Condition, Filter, Match, Range
from ragmono.domain.health import DependencyHealth

__all__ = [
    "AnyOf",
    "BreakerSnapshot",
    "BreakerState",
    "Chunk",
    "ChunkPoint",
    "ChunkingConfig",
    "CollectionSpec",
    "CollectionStats",
    "Condition",
    "DependencyHealth",
    "EmbedderRef",
    "Filter",
    "Match",
    "Range",
    "ScoredChunk",
    "SearchMode",
    "SparseVector",
    "VectorQuery",
]
