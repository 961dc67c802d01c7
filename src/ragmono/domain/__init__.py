"""Domain types: frozen Structs with no I/O, shared by services, ports and adapters."""

from ragmono.domain.access import (
    ACCESS_ALL,
    ACCESS_KEY,
    PUBLIC,
    DefaultAccess,
    Reader,
    check_labels,
)
from ragmono.domain.breakers import BreakerSnapshot, BreakerState
from ragmono.domain.chunks import (
    Chunk,
    ChunkPoint,
    FusionMethod,
    ScoredChunk,
    SearchMode,
    SparseVector,
    VectorQuery,
)
from ragmono.domain.collections import (
    ChunkingConfig,
    CollectionSpec,
    CollectionStats,
    EmbedderRef,
    RetainedStorage,
)
from ragmono.domain.filters import AnyOf, Condition, Filter, Match, Range, Visible
from ragmono.domain.health import DependencyHealth
from ragmono.domain.jobs import (
    TERMINAL_STATES,
    Job,
    JobCounts,
    JobError,
    JobKind,
    JobProgress,
    JobState,
)

__all__ = [
    "ACCESS_ALL",
    "ACCESS_KEY",
    "PUBLIC",
    "TERMINAL_STATES",
    "AnyOf",
    "BreakerSnapshot",
    "BreakerState",
    "Chunk",
    "ChunkPoint",
    "ChunkingConfig",
    "CollectionSpec",
    "CollectionStats",
    "Condition",
    "DefaultAccess",
    "DependencyHealth",
    "EmbedderRef",
    "Filter",
    "FusionMethod",
    "Job",
    "JobCounts",
    "JobError",
    "JobKind",
    "JobProgress",
    "JobState",
    "Match",
    "Range",
    "Reader",
    "RetainedStorage",
    "ScoredChunk",
    "SearchMode",
    "SparseVector",
    "VectorQuery",
    "Visible",
    "check_labels",
]
