"""With ``redis.url`` set, jobs, idempotency keys and the cache live in the real Redis."""

from __future__ import annotations

import asyncio
from typing import Any

import redis.asyncio as aioredis

from tests.conftest import SettingsFactory, app_client
from tests.support.redis_server import RedisServer

DOCS = "/api/v1/collections/docs/documents"


async def _until_done(http: Any, location: str) -> dict[str, Any]:
    async with asyncio.timeout(30):
        while True:
            job: dict[str, Any] = (await http.get(location)).json()
            if job["state"] in ("succeeded", "failed", "cancelled"):
                return job
            await asyncio.sleep(0.02)


async def test_jobs_idempotency_and_cache_are_in_redis(
    make_settings: SettingsFactory, redis_server: RedisServer
) -> None:
    prefix = "shared-state-test:"
    settings = make_settings(
        redis__url=redis_server.url,
        redis__key_prefix=prefix,
        ingest__async_threshold_bytes="100",
    )
    docs = [{"id": f"d{i}", "text": f"Document {i} is about topic {i}."} for i in range(4)]
    body = {"documents": docs}
    async with app_client(settings) as http:
        await http.post("/api/v1/collections", json={"name": "docs"})
        accepted = await http.post(DOCS, json=body, headers={"Idempotency-Key": "k-1"})
        assert accepted.status_code == 202
        job = await _until_done(http, accepted.headers["location"])
        retried = await http.post(DOCS, json=body, headers={"Idempotency-Key": "k-1"})
        found = await http.post("/api/v1/search", json={"query": "topic 2", "collection": "docs"})
        stats = (await http.get("/api/v1/admin/cache")).json()
    assert job["state"] == "succeeded"
    assert retried.json()["job_id"] == accepted.json()["job_id"]  # the first answer, replayed
    assert found.json()["results"][0]["document_id"] == "d2"
    assert stats["backend"] == "redis"
    raw = aioredis.Redis.from_url(redis_server.url)
    try:
        assert await raw.exists(f"{prefix}job:{job['id']}") == 1
        assert await raw.zscore(f"{prefix}jobs", job["id"]) is not None
        assert [k async for k in raw.scan_iter(match=f"{prefix}idem:*")]
        await asyncio.sleep(0.05)  # the cache write goes out in the background
        assert [k async for k in raw.scan_iter(match=f"{prefix}cache:docs:*")]
    finally:
        await raw.aclose()


async def test_a_job_input_too_large_for_redis_without_a_shared_dir_is_a_413(
    make_settings: SettingsFactory, redis_server: RedisServer
) -> None:
    settings = make_settings(
        redis__url=redis_server.url,
        redis__key_prefix="too-large-input:",
        ingest__async_threshold_bytes="100",
        ingest__job_input_redis_max_bytes="2048",
    )
    docs = [{"id": f"d{i}", "text": f"Document {i} is long. " * 40} for i in range(4)]
    async with app_client(settings) as http:
        await http.post("/api/v1/collections", json={"name": "docs"})
        refused = await http.post(DOCS, json={"documents": docs})
        assert refused.status_code == 413, refused.text
        problem = refused.json()
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert problem["field"] == "body"
        assert "storage.shared_dir" in problem["detail"]
        assert (await http.get("/api/v1/jobs")).json()["items"] == []  # nothing half-queued
        small = await http.post(DOCS, json={"documents": docs[:1]})  # 900 bytes: fits in Redis
        assert small.status_code == 202, small.text
        job = await _until_done(http, small.headers["location"])
        assert job["state"] == "succeeded", job
