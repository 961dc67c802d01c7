"""The Redis rate-limit store against a real redis-server: atomic, windowed, failing cleanly."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest

from ragmono.adapters.redis_rate_limit import RedisRateLimitStore
from ragmono.errors import DependencyUnavailable
from tests.support.redis_server import RedisServer


def store(redis_server: RedisServer, prefix: str | None = None) -> RedisRateLimitStore:
    """A store with its own client, under a fresh prefix unless one is given."""
    return RedisRateLimitStore.from_url(
        redis_server.url, prefix=prefix or f"t-{uuid.uuid4().hex[:8]}:", timeout_s=0.5
    )


async def test_concurrent_hits_from_two_clients_are_counted_exactly_once_each(
    redis_server: RedisServer,
) -> None:
    prefix = f"t-{uuid.uuid4().hex[:8]}:"
    first, second = store(redis_server, prefix), store(redis_server, prefix)
    hits = await asyncio.gather(
        *(s.hit("client:search", 60) for _ in range(25) for s in (first, second))
    )
    assert sorted(h.count for h in hits) == list(range(1, 51))
    assert all(59 < h.reset_s <= 60 for h in hits)
    await first.close()
    await second.close()


async def test_the_window_starts_at_the_first_hit_and_ends(redis_server: RedisServer) -> None:
    limits = store(redis_server)
    assert (await limits.hit("k", 0.3)).count == 1
    assert (await limits.hit("k", 0.3)).count == 2
    await asyncio.sleep(0.35)
    restarted = await limits.hit("k", 0.3)
    assert restarted.count == 1
    assert 0.2 < restarted.reset_s <= 0.3
    await limits.close()


@pytest.mark.timeout(30)
async def test_a_stopped_server_fails_fast_then_recovers(redis_server: RedisServer) -> None:
    limits = store(redis_server)
    await limits.hit("k", 60)
    redis_server.stop()
    try:
        started = time.perf_counter()
        with pytest.raises(DependencyUnavailable) as raised:
            await limits.hit("k", 60)
        assert raised.value.dependency == "redis"
        assert time.perf_counter() - started < 1.0
    finally:
        redis_server.start()
    for _ in range(20):  # the first call after a restart may still see the dead connection
        try:
            hit = await limits.hit("k", 60)
            break
        except DependencyUnavailable:
            await asyncio.sleep(0.05)
    assert hit.count == 1  # a fresh server (no persistence), script reloaded transparently
    await limits.close()
