"""Apps for edge tests: in-memory adapter twins, so many app instances start in milliseconds."""

from __future__ import annotations

from ragmono.adapters.memory import HashingEmbedder, MemoryVectorStore, SimpleSparseEncoder
from ragmono.lifespan import Adapters


def twin_adapters() -> Adapters:
    """Adapters that keep everything in memory (the edge does not care what is behind it)."""
    return Adapters(
        vector_store=MemoryVectorStore(),
        embedder=HashingEmbedder(),
        sparse_encoder=SimpleSparseEncoder(),
    )
