"""Resilience: a circuit breaker per dependency and backoff for idempotent calls."""

from ragmono.resilience.breakers import (
    BreakerConfig,
    BreakerListener,
    BreakerSnapshot,
    BreakerState,
    BreakerTuning,
    CallObserver,
    DependencyBreaker,
    FailurePredicate,
)
from ragmono.resilience.registry import BreakerRegistry
from ragmono.resilience.retry import RetryPolicy, retry_idempotent

__all__ = [
    "BreakerConfig",
    "BreakerListener",
    "BreakerRegistry",
    "BreakerSnapshot",
    "BreakerState",
    "BreakerTuning",
    "CallObserver",
    "DependencyBreaker",
    "FailurePredicate",
    "RetryPolicy",
    "retry_idempotent",
]
