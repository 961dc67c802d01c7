"""Resilience: a circuit breaker per dependency and backoff for idempotent calls."""

from ragmono.resilience.breakers import (
    BreakerListener,
    BreakerRegistry,
    BreakerSnapshot,
    BreakerState,
    DependencyBreaker,
    FailurePredicate,
)
from ragmono.resilience.retry import RetryPolicy, retry_idempotent

__all__ = [
    "BreakerListener",
    "BreakerRegistry",
    "BreakerSnapshot",
    "BreakerState",
    "DependencyBreaker",
    "FailurePredicate",
    "RetryPolicy",
    "retry_idempotent",
]
