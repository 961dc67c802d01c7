"""RedisCache against a real redis-server: shared between replicas, bypassed when down."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from ragmono.adapters.redis_cache import RedisCache
from ragmono.adapters.redis_client import open_redis
from ragmono.errors import DependencyUnavailable
from tests.support.redis_server import RedisServer


class OwnedCache(RedisCache):
    """A RedisCache with its own client, closed with it (the app shares one instead)."""

    def __init__(self, server: RedisServer, prefix: str, local_ttl_s: float) -> None:
        self.client = open_redis(server.url, timeout_s=0.5)
        super().__init__(self.client, key_prefix=prefix, local_entries=100, local_ttl_s=local_ttl_s)

    async def close(self) -> None:
        await super().close()
        await self.client.aclose()


def make_cache(server: RedisServer, prefix: str, *, local_ttl_s: float = 60.0) -> OwnedCache:
    return OwnedCache(server, prefix, local_ttl_s)


@pytest.fixture
async def raw(redis_server: RedisServer) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_server.url)
    yield client
    await client.aclose()


async def settle(cache: RedisCache) -> None:
    """Let background writes reach Redis."""
    for _ in range(50):
        if not cache._pending:
            return
        await asyncio.sleep(0.01)


async def test_a_value_set_by_one_replica_is_a_hit_for_another(
    redis_server: RedisServer, raw: aioredis.Redis, request: pytest.FixtureRequest
) -> None:
    prefix = f"t-{request.node.name}:"
    first, second = make_cache(redis_server, prefix), make_cache(redis_server, prefix)
    try:
        await first.set("docs", "k1", b"answer", ttl_s=30)
        await settle(first)
        assert await raw.get(f"{prefix}cache:docs:k1") == b"answer"
        ttl_ms = await raw.pttl(f"{prefix}cache:docs:k1")
        assert 25_000 < ttl_ms <= 30_000
        assert await second.get("docs", "k1") == b"answer"  # from Redis
        assert await second.get("docs", "k1") == b"answer"  # from its hot tier
        stats = await second.stats()
        assert (stats.hits, stats.local_hits, stats.misses, stats.backend) == (2, 1, 0, "redis")
        assert await second.get("docs", "nope") is None
        assert (await second.stats()).misses == 1
    finally:
        await first.close()
        await second.close()


async def test_expiry_is_redis_side(
    redis_server: RedisServer, request: pytest.FixtureRequest
) -> None:
    prefix = f"t-{request.node.name}:"
    cache = make_cache(redis_server, prefix, local_ttl_s=0)
    try:
        await cache.set("docs", "k", b"v", ttl_s=0.2)
        await settle(cache)
        assert await cache.get("docs", "k") == b"v"
        await asyncio.sleep(0.3)
        assert await cache.get("docs", "k") is None
    finally:
        await cache.close()


async def test_invalidate_removes_one_collections_keys_under_the_prefix(
    redis_server: RedisServer, raw: aioredis.Redis, request: pytest.FixtureRequest
) -> None:
    prefix = f"t-{request.node.name}:"
    cache = make_cache(redis_server, prefix)
    await raw.set("someone-else:cache:docs:k", b"keep")
    try:
        for i in range(700):  # more than one SCAN/UNLINK batch
            await cache.set("docs", f"k{i}", b"v", ttl_s=60)
            if i % 50 == 49:  # paced: a burst may time out waiting for a pooled connection
                await settle(cache)
        await cache.set("other", "k", b"v", ttl_s=60)
        await settle(cache)
        assert await raw.exists(*(f"{prefix}cache:docs:k{i}" for i in range(700))) == 700
        assert await cache.invalidate("docs") == 99 + 700  # hot tier (100, one is "other") + Redis
        assert await raw.exists(f"{prefix}cache:docs:k1") == 0
        assert await raw.exists(f"{prefix}cache:other:k") == 1
        assert await raw.get("someone-else:cache:docs:k") == b"keep"
        assert await cache.get("docs", "k1") is None
        assert await cache.invalidate() == 2
        assert await raw.exists(f"{prefix}cache:other:k") == 0
    finally:
        await raw.delete("someone-else:cache:docs:k")
        await cache.close()


async def test_redis_down_bypasses_the_cache_and_logs_once_per_transition(
    redis_server: RedisServer, capsys: pytest.CaptureFixture[str], request: pytest.FixtureRequest
) -> None:
    cache = make_cache(redis_server, f"t-{request.node.name}:", local_ttl_s=0)
    try:
        await cache.set("docs", "k", b"v", ttl_s=60)
        await settle(cache)
        redis_server.stop()
        try:
            for _ in range(5):
                assert await cache.get("docs", "k") is None
                await cache.set("docs", "k2", b"v", ttl_s=60)
            await settle(cache)
            stats = await cache.stats()
            assert not stats.available
            assert stats.errors == 10
            assert not (await cache.health()).reachable
            with pytest.raises(DependencyUnavailable):
                await cache.invalidate("docs")
        finally:
            redis_server.start()
        assert await cache.get("docs", "k") is None or True  # the pool reconnects on demand
        await cache.set("docs", "k3", b"back", ttl_s=60)
        await settle(cache)
        assert await cache.get("docs", "k3") == b"back"
        assert (await cache.stats()).available
    finally:
        await cache.close()
    events = [
        json.loads(line)["event"]
        for line in capsys.readouterr().err.splitlines()
        if line.startswith("{")
    ]
    assert events.count("cache_bypassed") == 1
    assert events.count("cache_restored") == 1
