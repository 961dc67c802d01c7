"""In-process rate-limit store: a dict of fixed windows, O(1) per hit, expired keys swept.

The default when no Redis is configured, and the fallback when Redis is down (limits then
hold per process rather than across instances).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ragmono.ports import WindowHit

__all__ = ["MemoryRateLimitStore"]


class _Window:
    __slots__ = ("count", "resets_at")

    def __init__(self, resets_at: float) -> None:
        self.count = 0
        self.resets_at = resets_at


class MemoryRateLimitStore:
    """Fixed windows that start at a key's first request; one event loop, so no lock."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._windows: dict[str, _Window] = {}
        self._sweep_at = 1024

    async def hit(self, key: str, window_s: float) -> WindowHit:
        """Count one request under ``key``."""
        now = self._clock()
        window = self._windows.get(key)
        if window is None or window.resets_at <= now:
            if len(self._windows) >= self._sweep_at:
                self._sweep(now)
            window = self._windows[key] = _Window(now + window_s)
        window.count += 1
        return WindowHit(count=window.count, reset_s=window.resets_at - now)

    def _sweep(self, now: float) -> None:
        # Amortised O(1): a sweep runs only after the live set has doubled since the last one.
        self._windows = {k: w for k, w in self._windows.items() if w.resets_at > now}
        self._sweep_at = max(1024, 2 * len(self._windows))

    def __len__(self) -> int:
        return len(self._windows)

    async def close(self) -> None:
        """Nothing to release."""
