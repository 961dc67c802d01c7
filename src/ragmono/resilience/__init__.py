"""Resilience: a circuit breaker per dependency and backoff for idempotent calls."""

from ragmono.resilience.breakers import (
    BreakerListener,
    BreakerRegistry,
    BreakerSnapshot,
    BreakerState,
    DependencyBreaker,
    FailurePredicate,
)

__all__ = [
    "BreakerListener",
    "BreakerRegistry",
    "BreakerSnapshot",
    "BreakerState",
    "DependencyBreaker",
    "FailurePredicate",
]
