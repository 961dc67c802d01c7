"""A reindex with writes spread over three replicas during its switch (#22): the write hold
spans every replica (Redis), so no document written through any of them misses the new
collection.

Qdrant is the HTTP twin, the new embedder the Ollama double (slowed down so the reindex's
catch-up and switch take a while); writers post one document at a time to each replica in
turn for as long as the reindex runs.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.support.ollama_server import OllamaDouble
from tests.support.qdrant_twin import QdrantTwin
from tests.support.redis_server import RedisServer
from tests.support.replicas import replica, shared_qdrant, shared_redis
from tests.support.watching import sources

pytestmark = pytest.mark.filterwarnings("ignore:Payload indexes have no effect:UserWarning")

__all__ = ["shared_qdrant", "shared_redis"]  # fixtures

MODEL, DIMS = "hash-embed", 48


def test_no_write_on_any_replica_misses_the_new_collection(
    tmp_path: Path,
    shared_redis: RedisServer,
    shared_qdrant: QdrantTwin,
    ollama_server: OllamaDouble,
) -> None:
    ollama_server.models[MODEL] = "embed"
    ollama_server.embed_dims = DIMS
    env = {"RAGMONO_OLLAMA__URL": ollama_server.url, "RAGMONO_REINDEX__BATCH_CHUNKS": "4"}
    servers = [
        replica(tmp_path, name, shared_redis, shared_qdrant, **env) for name in ("a", "b", "c")
    ]
    clients = [httpx.Client(base_url=s.url, timeout=60) for s in servers]
    written: list[str] = []
    stop = threading.Event()

    def writer(n: int) -> None:
        i = 0
        while not stop.is_set():
            doc = f"w{n}-{i}"
            body = {"documents": [{"id": doc, "source": f"{doc}.md", "text": f"Note {doc}."}]}
            response = clients[i % 3].post("/api/v1/collections/docs/documents", json=body)
            assert response.status_code == 200, response.text
            written.append(f"{doc}.md")
            i += 1

    try:
        a = clients[0]
        assert a.post("/api/v1/collections", json={"name": "docs"}).status_code == 201
        docs = [{"id": f"d{i}", "source": f"d{i}.md", "text": f"Seed {i}."} for i in range(24)]
        assert a.post("/api/v1/collections/docs/documents", json={"documents": docs}).is_success
        written.extend(d["source"] for d in docs)
        ollama_server.latency_s = 0.03
        threads = [threading.Thread(target=writer, args=(n,)) for n in range(3)]
        for thread in threads:
            thread.start()
        started = a.post("/api/v1/collections/docs/reindex", json={"embedder": f"ollama/{MODEL}"})
        assert started.status_code == 202, started.text
        deadline = time.monotonic() + 120
        while (job := a.get(started.headers["location"]).json())["state"] in ("queued", "running"):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(0.5)  # writes right after the switch too
        stop.set()
        for thread in threads:
            thread.join(60)
        assert job["state"] == "succeeded", job
        assert a.get("/api/v1/collections/docs").json()["embedder"]["dimensions"] == DIMS
        assert len(written) > 24 + 6
        found = sources(clients[1], "docs")
        assert sorted(set(written) - set(found)) == []  # none missed the new collection
        assert found == sorted(written)  # and none is there twice
    finally:
        stop.set()
        for client in clients:
            client.close()
        for server in servers:
            server.stop()
