"""Resilience: a circuit breaker per dependency and backoff for idempotent calls."""

from ragmono.resilience.breakers import (
    BreakerConfig,
    BreakerListener,
    BreakerRegistry,
    BreakerSnapshot,
    BreakerState,
    BreakerTuning,
    DependencyBreaker,
    FailurePredicate,
)
from ragmono.resilience.retry import RetryPolicy, retry_idempotent

__all__ = [
    "BreakerConfig",
    "BreakerListener",
    "BreakerRegistry",
    "BreakerSnapshot",
    "BreakerState",
    "BreakerTuning",
    "DependencyBreaker",
    "FailurePredicate",
    "RetryPolicy",
    "retry_idempotent",
]
