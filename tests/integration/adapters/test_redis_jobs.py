"""RedisJobStore and RedisIdempotencyStore against a real redis-server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from ragmono.adapters.redis_client import is_redis_failure, open_redis
from ragmono.adapters.redis_jobs import RedisIdempotencyStore, RedisJobStore
from ragmono.domain import Job, JobError
from ragmono.errors import DependencyUnavailable
from ragmono.resilience import BreakerConfig, BreakerRegistry
from tests.support.redis_server import RedisServer


@pytest.fixture
async def client(redis_server: RedisServer) -> AsyncIterator[aioredis.Redis]:
    redis = open_redis(redis_server.url, timeout_s=0.5)
    yield redis
    await redis.aclose()


@pytest.fixture
def prefix(request: pytest.FixtureRequest) -> str:
    return f"t-{request.node.name}:"


async def test_records_round_trip_and_cancel_survives_a_progress_save(
    client: aioredis.Redis, prefix: str
) -> None:
    store = RedisJobStore(client, key_prefix=prefix)
    job = Job(id="j1", kind="documents", collection="docs", created_at=1.0)
    await store.save(job)
    job.state = "running"
    job.errors.append(JobError(document="a.pdf", status=422, detail="not a PDF"))
    job.progress.documents_done = 3
    await store.request_cancel("j1")  # another replica, between two progress saves
    await store.save(job)
    got = await store.get("j1")
    assert got is not None
    assert got.state == "running"
    assert got.progress.documents_done == 3
    assert got.errors == [JobError(document="a.pdf", status=422, detail="not a PDF")]
    assert got.cancel_requested
    assert await store.cancel_requested("j1")
    assert await store.get("missing") is None


async def test_list_is_newest_first_and_shared_by_replicas(
    client: aioredis.Redis, redis_server: RedisServer, prefix: str
) -> None:
    first = RedisJobStore(client, key_prefix=prefix)
    for i, created in enumerate([5.0, 1.0, 9.0]):
        await first.save(Job(id=f"j{i}", kind="sync", collection="docs", created_at=created))
    other_client = open_redis(redis_server.url, timeout_s=0.5)
    try:
        second = RedisJobStore(other_client, key_prefix=prefix)  # another replica
        assert [j.id for j in await second.list(10)] == ["j2", "j0", "j1"]
        assert [j.id for j in await second.list(2)] == ["j2", "j0"]
        await second.delete("j0")
        await second.delete("never-existed")
    finally:
        await other_client.aclose()
    assert [j.id for j in await first.list(10)] == ["j2", "j1"]
    assert await first.get("j0") is None
    assert not await first.cancel_requested("j0")
    assert await RedisJobStore(client, key_prefix="elsewhere:").list(10) == []


async def test_idempotency_values_expire_in_redis(client: aioredis.Redis, prefix: str) -> None:
    store = RedisIdempotencyStore(client, key_prefix=prefix)
    await store.put("k", b"first response", ttl_s=0.2)
    assert await store.get("k") == b"first response"
    assert await client.get(f"{prefix}idem:k") == b"first response"
    await asyncio.sleep(0.3)
    assert await store.get("k") is None


async def test_redis_down_is_dependency_unavailable_then_fast_fail(
    redis_server: RedisServer, prefix: str
) -> None:
    breakers = BreakerRegistry(BreakerConfig(fail_max=2, reset_timeout_s=30))
    breaker = breakers.get("redis", is_failure=is_redis_failure)
    redis = open_redis(redis_server.url, timeout_s=0.5)
    store = RedisJobStore(redis, key_prefix=prefix, breaker=breaker)
    redis_server.stop()
    try:
        for _ in range(2):
            with pytest.raises(DependencyUnavailable) as caught:
                await store.get("j1")
            assert caught.value.dependency == "redis"
        assert breaker.state == "open"
        with pytest.raises(DependencyUnavailable, match="open"):
            await store.save(Job(id="j1", kind="sync", collection="docs"))
    finally:
        redis_server.start()
        await redis.aclose()
    plain = open_redis(redis_server.url, timeout_s=0.5)
    try:  # without a breaker a failure is still DependencyUnavailable, never a RedisError
        redis_server.stop()
        with pytest.raises(DependencyUnavailable):
            await RedisJobStore(plain, key_prefix=prefix).cancel_requested("j1")
    finally:
        redis_server.start()
        await plain.aclose()
