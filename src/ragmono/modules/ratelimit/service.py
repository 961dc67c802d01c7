"""Per client and route group rate limiting, shared through the store, degraded to memory.

The store (Redis when configured) makes limits hold across every app instance. When it fails,
each instance falls back to its own in-process counts (limits then hold per instance), logs the
change once, and tries the shared store again after ``retry_primary_s``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import msgspec
import structlog

from ragmono.errors import DependencyUnavailable
from ragmono.ports import RateLimitStore, WindowHit

from .policy import RatePolicy

__all__ = ["Quota", "RateLimiter"]

log = structlog.get_logger("ragmono.ratelimit")


class Quota(msgspec.Struct, frozen=True):
    """A client's standing in its window after this request (the RateLimit-* headers)."""

    limit: int
    remaining: int
    reset_s: int
    """Whole seconds until the window resets (at least 1)."""
    allowed: bool


class RateLimiter:
    """Counts a request against ``(identity, group)`` and says whether it may proceed."""

    def __init__(
        self,
        policy: RatePolicy,
        store: RateLimitStore,
        *,
        fallback: RateLimitStore | None = None,
        retry_primary_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._policy = policy
        self._store = store
        self._fallback = fallback
        self._retry_primary_s = retry_primary_s
        self._clock = clock
        self._primary_down_until = 0.0
        self._degraded = False

    @property
    def degraded(self) -> bool:
        """Whether counts are in-process because the shared store failed."""
        return self._degraded

    async def check(self, identity: str, group: str) -> Quota:
        """Count this request; ``allowed`` is False once the group's limit is used up."""
        rate = self._policy.rate_for(group)
        hit = await self._hit(f"{group}:{rate.window_s:g}:{identity}", rate.window_s)
        return Quota(
            limit=rate.limit,
            remaining=max(0, rate.limit - hit.count),
            reset_s=max(1, math.ceil(hit.reset_s)),
            allowed=hit.count <= rate.limit,
        )

    async def _hit(self, key: str, window_s: float) -> WindowHit:
        if self._fallback is None:
            return await self._store.hit(key, window_s)
        if self._degraded and self._clock() < self._primary_down_until:
            return await self._fallback.hit(key, window_s)
        try:
            hit = await self._store.hit(key, window_s)
        except DependencyUnavailable as exc:
            self._primary_down_until = self._clock() + self._retry_primary_s
            if not self._degraded:
                self._degraded = True
                log.warning(
                    "rate_limit_store_unavailable",
                    dependency=exc.dependency,
                    detail=exc.detail,
                    fallback="memory",
                    retry_in_s=self._retry_primary_s,
                )
            return await self._fallback.hit(key, window_s)
        if self._degraded:
            self._degraded = False
            log.info("rate_limit_store_recovered", fallback="memory")
        return hit

    async def close(self) -> None:
        """Close the stores."""
        await self._store.close()
        if self._fallback is not None:
            await self._fallback.close()
