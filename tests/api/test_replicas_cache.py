"""Two replicas sharing Redis and one Qdrant server (#22): a write answered by replica A is
seen by a search on replica B right after, although B held the old result in its in-process
cache tier (``cache.local_ttl_s`` is long here on purpose).

Qdrant is the HTTP twin; the embedder is the shipped local one; searches are keyword ones
so that the test does not depend on vector similarity.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.support.qdrant_twin import QdrantTwin
from tests.support.redis_server import RedisServer
from tests.support.replicas import replica, shared_qdrant, shared_redis

pytestmark = pytest.mark.filterwarnings("ignore:Payload indexes have no effect:UserWarning")

__all__ = ["shared_qdrant", "shared_redis"]  # fixtures


def _search(http: httpx.Client, word: str) -> list[str]:
    body = {"collection": "docs", "query": word, "mode": "keyword", "top_k": 10}
    response = http.post("/api/v1/search", json=body)
    assert response.status_code == 200, response.text
    return sorted(r["source"] for r in response.json()["results"])


def _write(http: httpx.Client, doc_id: str, text: str) -> None:
    body = {"documents": [{"id": doc_id, "source": f"{doc_id}.md", "text": text}]}
    response = http.post("/api/v1/collections/docs/documents", json=body)
    assert response.status_code == 200, response.text


def test_a_write_on_one_replica_is_seen_by_a_search_on_another_at_once(
    tmp_path: Path, shared_redis: RedisServer, shared_qdrant: QdrantTwin
) -> None:
    a = replica(tmp_path, "a", shared_redis, shared_qdrant)
    b = replica(tmp_path, "b", shared_redis, shared_qdrant)
    try:
        with (
            httpx.Client(base_url=a.url, timeout=30) as one,
            httpx.Client(base_url=b.url, timeout=30) as two,
        ):
            response = one.post("/api/v1/collections", json={"name": "docs"})
            assert response.status_code == 201, response.text
            _write(one, "first", "The aquarium fish are fed at noon.")
            for _ in range(3):  # B caches the result in its local tier (and in Redis)
                assert _search(two, "aquarium") == ["first.md"]
            for n in range(2, 6):
                _write(one, f"doc{n}", f"Aquarium note number {n}.")
                expected = sorted(["first.md", *(f"doc{i}.md" for i in range(2, n + 1))])
                assert _search(two, "aquarium") == expected
                assert _search(one, "aquarium") == expected
    finally:
        a.stop()
        b.stop()


def _version(http: httpx.Client) -> int:
    response = http.get("/api/v1/collections/docs")
    assert response.status_code == 200, response.text
    version: int = response.json()["version"]
    return version


def test_writes_racing_on_two_replicas_each_bump_the_version(
    tmp_path: Path, shared_redis: RedisServer, shared_qdrant: QdrantTwin
) -> None:
    """Each replica bumped the version by reading and rewriting the catalog entry under its own
    lock: two replicas writing at once could both write ``v + 1``, and a result cached at
    ``v + 1`` after the first write was then served after the second."""
    a = replica(tmp_path, "a", shared_redis, shared_qdrant)
    b = replica(tmp_path, "b", shared_redis, shared_qdrant)
    try:
        with (
            httpx.Client(base_url=a.url, timeout=60) as one,
            httpx.Client(base_url=b.url, timeout=60) as two,
        ):
            assert one.post("/api/v1/collections", json={"name": "docs"}).status_code == 201
            _write(one, "first", "The aquarium fish are fed at noon.")
            before = _version(two)
            _write(two, "second", "Aquarium glass is cleaned weekly.")
            per_write = _version(one) - before
            assert per_write >= 1
            rounds = 12
            with ThreadPoolExecutor(2) as pool:
                for n in range(rounds):
                    done = [
                        pool.submit(_write, http, f"{side}{n}", f"Aquarium note {side} {n}.")
                        for side, http in (("a", one), ("b", two))
                    ]
                    for future in done:
                        future.result()
                    _search(two, "aquarium")  # caches the result at the version it sees
            assert _version(one) == before + per_write * (1 + 2 * rounds)
            expected = 2 + 2 * rounds
            assert len(_search(two, "aquarium")) == min(expected, 10)
    finally:
        a.stop()
        b.stop()


def _local_entries(http: httpx.Client) -> int:
    response = http.get("/api/v1/admin/cache")
    assert response.status_code == 200, response.text
    entries: int = response.json()["local_entries"]
    return entries


def test_clearing_the_cache_on_one_replica_clears_every_replicas_own_tier(
    tmp_path: Path, shared_redis: RedisServer, shared_qdrant: QdrantTwin
) -> None:
    """``DELETE /api/v1/admin/cache`` cleared Redis and the answering replica's in-process tier;
    the others kept serving their own copies until ``cache.local_ttl_s`` (300 s here)."""
    a = replica(tmp_path, "a", shared_redis, shared_qdrant)
    b = replica(tmp_path, "b", shared_redis, shared_qdrant)
    try:
        with (
            httpx.Client(base_url=a.url, timeout=30) as one,
            httpx.Client(base_url=b.url, timeout=30) as two,
        ):
            assert one.post("/api/v1/collections", json={"name": "docs"}).status_code == 201
            _write(one, "first", "The aquarium fish are fed at noon.")
            assert _search(two, "aquarium") == ["first.md"]
            assert _search(two, "noon") == ["first.md"]
            assert _local_entries(two) >= 2
            cleared = one.delete("/api/v1/admin/cache")
            assert cleared.status_code == 200, cleared.text
            deadline = time.monotonic() + 3
            while _local_entries(two) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert _local_entries(two) == 0
            assert _search(two, "aquarium") == ["first.md"]  # and it fills again
            assert _local_entries(two) >= 1
    finally:
        a.stop()
        b.stop()
