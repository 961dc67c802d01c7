"""Jobs shared by three replicas through Redis (#22): any replica takes the next job, and one
whose replica dies is finished by another, every document present exactly once.

Three ``ragmono serve`` processes share a real redis-server and one Qdrant (the HTTP twin)
behind a round-robin proxy; the embedder is the Ollama double, slowed down so that a
job of 1,000 documents (the most one request takes; two make the 2,000) runs long enough to
be killed in the middle.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.live_server import LiveServer
from tests.support.ollama_server import OllamaDouble
from tests.support.qdrant_twin import QdrantTwin
from tests.support.redis_server import RedisServer
from tests.support.replicas import replica, shared_qdrant, shared_redis
from tests.support.round_robin_proxy import RoundRobinProxy

pytestmark = pytest.mark.filterwarnings("ignore:Payload indexes have no effect:UserWarning")

__all__ = ["shared_qdrant", "shared_redis"]  # fixtures

MODEL = "hash-embed"
DOCS = 2000
CLAIM_AFTER_S = 3


@pytest.fixture
def three(
    tmp_path: Path,
    shared_redis: RedisServer,
    shared_qdrant: QdrantTwin,
    ollama_server: OllamaDouble,
) -> Iterator[tuple[list[LiveServer], httpx.Client]]:
    """Three replicas (Ollama embedder, a shared directory for large inputs) and a client
    talking to them through the proxy."""
    ollama_server.models[MODEL] = "embed"
    env = {
        "RAGMONO_OLLAMA__URL": ollama_server.url,
        "RAGMONO_EMBEDDER__PROVIDER": "ollama",
        "RAGMONO_EMBEDDER__MODEL": MODEL,
        "RAGMONO_INGEST__BATCH_CHUNKS": "50",
        "RAGMONO_INGEST__ASYNC_THRESHOLD_BYTES": "100",  # every write here is a job
        "RAGMONO_INGEST__JOB_CLAIM_AFTER_S": str(CLAIM_AFTER_S),
        "RAGMONO_INGEST__JOB_INPUT_REDIS_MAX_BYTES": "65536",  # this job's input is larger
        "RAGMONO_STORAGE__SHARED_DIR": str(tmp_path / "shared"),
    }
    servers = [
        replica(tmp_path, name, shared_redis, shared_qdrant, **env) for name in ("a", "b", "c")
    ]
    proxy = RoundRobinProxy([s.port for s in servers]).start()
    client = httpx.Client(base_url=proxy.url, timeout=60)
    try:
        yield servers, client
    finally:
        client.close()
        proxy.stop()
        for server in servers:
            server.stop()


def _started_on(servers: list[LiveServer], job_id: str) -> list[LiveServer]:
    """The replicas whose log says they started ``job_id``."""
    return [s for s in servers if job_id in _events(s, "ingest_job_started")]


def _events(server: LiveServer, event: str) -> str:
    lines = server.log_path.read_text(errors="replace").splitlines()
    return "\n".join(line for line in lines if f'"event": "{event}"' in line)


def _wait_for(client: httpx.Client, location: str, done: Any, timeout_s: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        job: dict[str, Any] = client.get(location).json()
        if done(job):
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.1)


def _document_ids(client: httpx.Client) -> list[str]:
    ids: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 500, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/collections/docs/documents", params=params).json()
        ids.extend(item["id"] for item in page["items"])
        if not (cursor := page["next_cursor"]):
            return ids


@pytest.mark.timeout(360)  # the Qdrant twin scans every point per lookup: ~1 min per 1,000
def test_a_job_whose_replica_is_killed_is_finished_by_another_exactly_once(
    three: tuple[list[LiveServer], httpx.Client], ollama_server: OllamaDouble, tmp_path: Path
) -> None:
    servers, client = three
    assert client.post("/api/v1/collections", json={"name": "docs"}).status_code == 201
    documents = [
        {"id": f"d{i:04}", "source": f"d{i:04}.md", "text": f"Note {i} about topic {i % 37}."}
        for i in range(DOCS)
    ]
    ollama_server.latency_s = 0.05
    locations = []
    for half in (documents[: DOCS // 2], documents[DOCS // 2 :]):  # at most 1,000 a request
        accepted = client.post("/api/v1/collections/docs/documents", json={"documents": half})
        assert accepted.status_code == 202, accepted.text
        locations.append(accepted.headers["location"])
    assert len(list((tmp_path / "shared" / "job-inputs").iterdir())) == 2  # all replicas see them

    running = _wait_for(
        client, locations[0], lambda j: j["progress"]["documents_done"] >= 300, timeout_s=60
    )
    assert running["state"] == "running", running
    job_id = running["id"]
    [runner] = _started_on(servers, job_id)
    runner.kill()  # SIGKILL: no goodbye, its heartbeat just stops

    jobs = [
        _wait_for(client, loc, lambda j: j["state"] not in ("queued", "running"), timeout_s=240)
        for loc in locations
    ]
    assert [j["state"] for j in jobs] == ["succeeded", "succeeded"], jobs
    assert [j["progress"]["documents_done"] for j in jobs] == [DOCS // 2, DOCS // 2]
    assert jobs[0]["attempts"] == 2
    survivors = [s for s in servers if s is not runner]
    [taker] = [s for s in survivors if job_id in _events(s, "ingest_job_taken_over")]
    assert job_id in _events(taker, "ingest_job_started")

    ids = _document_ids(client)
    assert len(ids) == DOCS
    assert set(ids) == {d["id"] for d in documents}  # each exactly once
    stats = client.get("/api/v1/collections/docs").json()
    assert stats["stats"]["points"] == DOCS, stats  # one chunk each: no chunk written twice either
    assert not list((tmp_path / "shared" / "job-inputs").iterdir())  # inputs dropped when done
    hits = client.post("/api/v1/search", json={"collection": "docs", "query": "Note 1999"})
    assert hits.status_code == 200
    assert hits.json()["results"], hits.text


def test_any_free_replica_takes_the_next_job(
    three: tuple[list[LiveServer], httpx.Client], ollama_server: OllamaDouble
) -> None:
    servers, client = three
    assert client.post("/api/v1/collections", json={"name": "docs"}).status_code == 201
    ollama_server.latency_s = 0.3  # each job takes a while: the first replica stays busy
    jobs = []
    with httpx.Client(base_url=servers[0].url, timeout=60) as first:  # all accepted by one
        for n in range(6):
            docs = [{"id": f"j{n}-{i}", "text": f"Job {n} note {i}. " * 6} for i in range(3)]
            accepted = first.post("/api/v1/collections/docs/documents", json={"documents": docs})
            assert accepted.status_code == 202, accepted.text
            jobs.append(accepted.json()["job_id"])
    for job_id in jobs:
        done = _wait_for(
            client,
            f"/api/v1/jobs/{job_id}",
            lambda j: j["state"] not in ("queued", "running"),
            timeout_s=60,
        )
        assert done["state"] == "succeeded", done
    runners = {s.port for job_id in jobs for s in _started_on(servers, job_id)}
    assert len(runners) >= 2, "the replica that accepted the jobs ran them all"
    assert len(_document_ids(client)) == 18
