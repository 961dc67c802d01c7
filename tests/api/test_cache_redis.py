"""Search and answers cached in a real Redis: shared by replicas, bypassed when Redis dies."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from ragmono.adapters.bm25 import Bm25Encoder
from ragmono.adapters.qdrant.embedded.embedded_store import EmbeddedVectorStore
from ragmono.adapters.redis_cache import RedisCache
from ragmono.adapters.redis_client import is_redis_failure, open_redis
from ragmono.app import create_app
from ragmono.lifespan import Adapters
from ragmono.resilience import BreakerConfig, BreakerRegistry
from ragmono.settings import Settings
from tests.support.asgi import asgi_client
from tests.support.embedders import MemoEmbedder
from tests.support.redis_server import RedisServer

SEARCH = "/api/v1/search"
QUESTION = {"collection": "handbook", "query": "When is the fridge emptied?", "top_k": 3}


@pytest.fixture
async def redis_adapters(
    handbook_store: EmbeddedVectorStore,
    cached_embedder: MemoEmbedder,
    redis_server: RedisServer,
    request: pytest.FixtureRequest,
) -> AsyncIterator[Adapters]:
    breakers = BreakerRegistry(BreakerConfig(fail_max=3, reset_timeout_s=0.5))
    client = open_redis(redis_server.url, timeout_s=2.0)  # roomy on a loaded machine
    cache = RedisCache(
        client,
        key_prefix=f"api-{request.node.name}:",
        local_entries=100,
        local_ttl_s=0,  # every read goes to Redis, so the test sees Redis itself
        breaker=breakers.get("redis", is_failure=is_redis_failure),
    )
    yield Adapters(
        vector_store=handbook_store,
        embedder=cached_embedder,
        sparse_encoder=Bm25Encoder(),
        breakers=breakers,
        cache=cache,
    )
    await cache.close()
    await client.aclose()


async def test_repeat_is_served_from_redis(settings: Settings, redis_adapters: Adapters) -> None:
    async with asgi_client(create_app(settings, adapters=redis_adapters)) as api:
        first = (await api.post(SEARCH, json=QUESTION)).json()
        cache = redis_adapters.cache
        assert isinstance(cache, RedisCache)
        # The SET goes out in the background; let it land.
        await asyncio.gather(*cache._pending)
        again = (await api.post(SEARCH, json=QUESTION)).json()
        answer = (await api.post("/api/v1/query", json=QUESTION)).json()
        stats = (await api.get("/api/v1/admin/cache")).json()
    assert (first["cached"], again["cached"]) == (False, True)
    assert again["results"] == first["results"]
    assert answer["cached"] is False
    assert stats["backend"] == "redis"
    assert (stats["hits"], stats["local_hits"], stats["available"]) == (1, 0, True)


async def test_redis_down_serves_uncached_and_ready_stays_ready(
    settings: Settings, redis_adapters: Adapters, redis_server: RedisServer
) -> None:
    async with asgi_client(create_app(settings, adapters=redis_adapters)) as api:
        redis_server.stop()
        try:
            responses = [await api.post(SEARCH, json=QUESTION) for _ in range(5)]
            stats = (await api.get("/api/v1/admin/cache")).json()
            ready = await api.get("/ready")
            flush = await api.delete("/api/v1/admin/cache")
        finally:
            redis_server.start()
    assert [r.status_code for r in responses] == [200] * 5
    assert all(r.json()["results"][0]["document_id"] == "kitchen" for r in responses)
    assert not any(r.json()["cached"] for r in responses)
    assert stats["available"] is False
    assert ready.status_code == 200  # the cache is optional
    cache_health = next(d for d in ready.json()["dependencies"] if d["name"] == "cache")
    assert cache_health["reachable"] is False
    breaker = next(b for b in ready.json()["breakers"] if b["name"] == "redis")
    assert breaker["state"] == "open"  # later calls fail fast instead of waiting on sockets
    assert flush.status_code == 503
    assert flush.json()["dependency"] == "redis"
