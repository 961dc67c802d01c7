"""Apps for edge tests: in-memory adapter twins, so many app instances start in milliseconds."""

from __future__ import annotations

from ragmono.adapters.memory import HashingEmbedder, MemoryVectorStore, SimpleSparseEncoder
from ragmono.lifespan import Adapters, breaker_config
from ragmono.resilience import BreakerConfig, BreakerRegistry
from ragmono.settings import Settings


def twin_adapters(settings: Settings | None = None) -> Adapters:
    """In-memory adapters (the edge does not care what is behind it), breakers from settings."""
    return Adapters(
        vector_store=MemoryVectorStore(),
        embedder=HashingEmbedder(),
        sparse_encoder=SimpleSparseEncoder(),
        breakers=BreakerRegistry(
            breaker_config(settings.breakers) if settings else BreakerConfig()
        ),
    )
