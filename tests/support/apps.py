"""Apps for edge tests: in-memory adapter twins, so many app instances start in milliseconds."""

from __future__ import annotations

from ragmono.adapters.memory import HashingEmbedder, MemoryVectorStore, SimpleSparseEncoder
from ragmono.lifespan import Adapters
from ragmono.resilience import BreakerRegistry
from ragmono.settings import BreakerSettings, Settings


def twin_adapters(settings: Settings | None = None) -> Adapters:
    """In-memory adapters (the edge does not care what is behind it), breakers from settings."""
    return Adapters(
        vector_store=MemoryVectorStore(),
        embedder=HashingEmbedder(),
        sparse_encoder=SimpleSparseEncoder(),
        breakers=BreakerRegistry(settings.breakers if settings else BreakerSettings()),
    )
