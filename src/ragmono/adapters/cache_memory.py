"""In-process LRU cache with per-entry TTL: the default cache, and Redis's hot tier."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from ragmono.domain import DependencyHealth
from ragmono.ports import CacheStats

__all__ = ["LruTtl", "MemoryCache"]


class LruTtl:
    """A bounded mapping: least recently used entries go first, expired ones on sight.

    Synchronous and O(1) per operation; not shared between processes.
    """

    def __init__(self, max_entries: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._max = max_entries
        self._clock = clock
        self._data: OrderedDict[tuple[str, str], tuple[float, bytes]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._data)

    def get(self, collection: str, key: str) -> bytes | None:
        """The live value, refreshed as most recently used, or None."""
        item = self._data.get((collection, key))
        if item is None:
            return None
        expires, value = item
        if expires <= self._clock():
            del self._data[collection, key]
            return None
        self._data.move_to_end((collection, key))
        return value

    def put(self, collection: str, key: str, value: bytes, ttl_s: float) -> None:
        """Store, evicting the least recently used entry when full."""
        if ttl_s <= 0:
            return
        self._data[collection, key] = (self._clock() + ttl_s, value)
        self._data.move_to_end((collection, key))
        while len(self._data) > self._max:
            self._data.popitem(last=False)

    def drop(self, collection: str | None) -> int:
        """Remove a collection's entries (all when None); returns how many."""
        if collection is None:
            count = len(self._data)
            self._data.clear()
            return count
        doomed = [k for k in self._data if k[0] == collection]
        for k in doomed:
            del self._data[k]
        return len(doomed)


class MemoryCache:
    """:class:`~ragmono.ports.Cache` in this process only (``redis.url`` empty)."""

    backend = "memory"

    def __init__(self, max_entries: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._lru = LruTtl(max_entries, clock=clock)
        self._hits = self._misses = self._sets = 0

    async def get(self, collection: str, key: str) -> bytes | None:
        """The cached value or None."""
        value = self._lru.get(collection, key)
        if value is None:
            self._misses += 1
        else:
            self._hits += 1
        return value

    async def set(self, collection: str, key: str, value: bytes, ttl_s: float) -> None:
        """Store for ``ttl_s`` seconds."""
        self._lru.put(collection, key, value, ttl_s)
        self._sets += 1

    async def invalidate(self, collection: str | None = None) -> int:
        """Drop a collection's entries (all when None)."""
        return self._lru.drop(collection)

    async def stats(self) -> CacheStats:
        """Counters since start."""
        return CacheStats(
            backend=self.backend,
            hits=self._hits,
            misses=self._misses,
            sets=self._sets,
            local_hits=self._hits,
            local_entries=len(self._lru),
        )

    async def health(self) -> DependencyHealth:
        """Always available."""
        return DependencyHealth(
            name="cache", mode=self.backend, reachable=True, latency_ms=0.0, required=False
        )

    async def close(self) -> None:
        """Nothing to release."""
