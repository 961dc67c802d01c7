"""Per client and route group rate limiting, shared through the store, degraded to memory.

A shared store (Redis when configured) makes limits hold across every app instance. When it
fails, each instance falls back to its own in-process counts (limits then hold per instance)
and logs the change once; the store's ``redis`` breaker decides when it is tried again.
"""

from __future__ import annotations

import math

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
    """Counts a request against ``(identity, group)`` and says whether it may proceed.

    Counts live in this process until :meth:`share_through` hands it a shared store; while
    that store fails (``DependencyUnavailable``, fast while its breaker is open), counts fall
    back to this process's memory and the change is logged once each way.
    """

    def __init__(self, policy: RatePolicy, memory: RateLimitStore) -> None:
        self._policy = policy
        self._memory = memory
        self._shared: RateLimitStore | None = None
        self._degraded = False

    @property
    def degraded(self) -> bool:
        """Whether counts are in-process because the shared store failed."""
        return self._degraded

    def share_through(self, store: RateLimitStore | None) -> None:
        """Count in ``store`` from now on (None: back to in-process only)."""
        self._shared = store
        self._degraded = False

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
        if self._shared is None:
            return await self._memory.hit(key, window_s)
        try:
            hit = await self._shared.hit(key, window_s)
        except DependencyUnavailable as exc:
            if not self._degraded:
                self._degraded = True
                log.warning(
                    "rate_limit_store_unavailable",
                    dependency=exc.dependency,
                    detail=exc.detail,
                    fallback="memory",
                )
            return await self._memory.hit(key, window_s)
        if self._degraded:
            self._degraded = False
            log.info("rate_limit_store_recovered", fallback="memory")
        return hit

    async def close(self) -> None:
        """Close the in-process store (the shared one belongs to whoever shared it)."""
        await self._memory.close()
