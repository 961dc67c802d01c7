"""The rate-limit store port: one atomic "count this request" per request, O(1)."""

from __future__ import annotations

from typing import Protocol

import msgspec


class WindowHit(msgspec.Struct, frozen=True):
    """The state of one client's window right after counting a request in it."""

    count: int
    """Requests counted in the current window, this one included."""
    reset_s: float
    """Seconds until the window ends and the count starts again from zero."""


class RateLimitStore(Protocol):
    """Counts requests per key in fixed windows that start at a key's first request.

    ``hit`` is atomic (two app instances sharing the store never both get the last slot) and
    costs one round trip at most. Raises ``DependencyUnavailable`` when the store is down.
    """

    async def hit(self, key: str, window_s: float) -> WindowHit:
        """Count one request under ``key`` in a window of ``window_s`` seconds."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...
