"""Jittered exponential backoff for idempotent calls (embedding, search, reads) only.

Never wrap generation or any write that is not idempotent: a retried answer costs a second LLM
run, and a retried non-idempotent write may apply twice.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import structlog

from ragmono.errors import DependencyUnavailable

__all__ = ["RetryPolicy", "retry_idempotent", "worth_retrying"]

log = structlog.get_logger("ragmono.retry")

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """At most ``attempts`` tries; before try n+1 sleep uniform(0, min(max, base * 2**n))."""

    attempts: int = 3
    base_delay_s: float = 0.05
    max_delay_s: float = 1.0

    def delay_s(self, retry: int, rng: Callable[[], float] = random.random) -> float:
        """The pause before retry number ``retry`` (0-based): "full jitter" backoff."""
        return rng() * min(self.max_delay_s, self.base_delay_s * (2.0**retry))


def worth_retrying(exc: BaseException) -> bool:
    """A quick transport failure: not an open breaker (it would fail fast again) nor a timeout
    (which already spent the caller's time budget)."""
    return (
        isinstance(exc, DependencyUnavailable)
        and exc.retry_after_s is None
        and not isinstance(exc.__cause__, TimeoutError)
    )


async def retry_idempotent(
    fn: Callable[..., Awaitable[T]],
    *args: Any,
    policy: RetryPolicy = RetryPolicy(),
    retry_if: Callable[[BaseException], bool] = worth_retrying,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    rng: Callable[[], float] = random.random,
    **kwargs: Any,
) -> T:
    """Await ``fn(*args, **kwargs)``, retrying with jittered backoff while ``retry_if(exc)``.

    The last exception is raised once the attempts are spent; others are raised at once.
    """
    for retry in range(policy.attempts):
        try:
            return await fn(*args, **kwargs)
        except Exception as exc:
            if retry + 1 >= policy.attempts or not retry_if(exc):
                raise
            pause = policy.delay_s(retry, rng)
            log.info("dependency_retry", attempt=retry + 1, delay_s=round(pause, 4), error=str(exc))
            await sleep(pause)
    raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover
