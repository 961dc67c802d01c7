"""The in-process cache: least recently used out first, expired entries never served."""

from __future__ import annotations

from ragmono.adapters.cache_memory import MemoryCache


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_hits_misses_and_expiry() -> None:
    clock = Clock()
    cache = MemoryCache(10, clock=clock)
    assert await cache.get("c", "k") is None
    await cache.set("c", "k", b"v", ttl_s=5)
    assert await cache.get("c", "k") == b"v"
    clock.now += 5.01
    assert await cache.get("c", "k") is None
    stats = await cache.stats()
    assert (stats.hits, stats.misses, stats.sets, stats.local_entries) == (1, 2, 1, 0)


async def test_least_recently_used_is_evicted_first() -> None:
    cache = MemoryCache(2)
    await cache.set("c", "a", b"1", ttl_s=60)
    await cache.set("c", "b", b"2", ttl_s=60)
    await cache.get("c", "a")  # a is now the most recent
    await cache.set("c", "c", b"3", ttl_s=60)
    assert await cache.get("c", "b") is None
    assert await cache.get("c", "a") == b"1"
    assert await cache.get("c", "c") == b"3"


async def test_invalidate_one_collection_or_all() -> None:
    cache = MemoryCache(10)
    for collection in ("x", "y"):
        for key in ("1", "2"):
            await cache.set(collection, key, b"v", ttl_s=60)
    assert await cache.invalidate("x") == 2
    assert await cache.get("x", "1") is None
    assert await cache.get("y", "1") == b"v"
    assert await cache.invalidate() == 2
    assert (await cache.stats()).local_entries == 0


async def test_zero_ttl_stores_nothing() -> None:
    cache = MemoryCache(10)
    await cache.set("c", "k", b"v", ttl_s=0)
    assert await cache.get("c", "k") is None
