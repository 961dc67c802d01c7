"""Talking to the app under test with plain HTTP: create and seed a collection, and a
one-client pass over the query set (latency with no load, and whether the right document
comes back).
"""

from __future__ import annotations

import statistics
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx

from benchmarks.corpus import CHUNK_OVERLAP, CHUNK_SIZE, Document, Query

BATCH_DOCS = 32
"""Documents per ingest request (~85 kB: under ingest.async_threshold_bytes, so no job)."""


class ApiMissing(RuntimeError):
    """The build under test has no such route yet (404/405): the scenario cannot run."""


@dataclass
class SeedResult:
    """How seeding went."""

    documents: int
    chunks: int
    seconds: float
    jobs: int = 0

    @property
    def chunks_per_s(self) -> float:
        """Ingest throughput (parsing, chunking, embedding, writing), chunks per second."""
        return round(self.chunks / self.seconds, 1) if self.seconds else 0.0


def _check(res: httpx.Response, what: str) -> dict[str, Any]:
    if res.status_code in (404, 405):
        raise ApiMissing(f"{what}: {res.status_code} {res.request.url.path}")
    if res.status_code >= 300:
        raise RuntimeError(f"{what}: {res.status_code} {res.text[:500]}")
    return dict(res.json()) if res.content else {}


def create_collection(client: httpx.Client, name: str) -> None:
    """Create ``name`` with the chunking the corpus was sized for (409: already there)."""
    body = {
        "name": name,
        "description": "ragmono load test corpus",
        "chunking": {"chunk_size": CHUNK_SIZE, "chunk_overlap": CHUNK_OVERLAP},
    }
    res = client.post("/api/v1/collections", json=body)
    if res.status_code != 409:
        _check(res, "create collection")


def _wait_for_job(client: httpx.Client, location: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = _check(client.get(location), "job")
        if job.get("state") == "succeeded":
            return
        if job.get("state") in ("failed", "cancelled"):
            raise RuntimeError(f"ingest job {location} {job['state']}: {job.get('errors')}")
        time.sleep(0.5)
    raise TimeoutError(f"ingest job {location} still running after {timeout_s}s")


def seed(
    client: httpx.Client, name: str, docs: list[Document], *, budget_s: float, timeout_s: float
) -> SeedResult:
    """Ingest ``docs`` through the documents route in batches; chunk count from the stats.

    Stops starting batches once ``budget_s`` has passed (a busy machine embeds slowly), so
    ``documents`` may be fewer than ``len(docs)``: the first ones, in order.
    """
    create_collection(client, name)
    started = time.monotonic()
    jobs = done = 0
    for i in range(0, len(docs), BATCH_DOCS):
        if done and time.monotonic() - started > budget_s:
            break
        batch = [d.api_body() for d in docs[i : i + BATCH_DOCS]]
        res = client.post(f"/api/v1/collections/{name}/documents", json={"documents": batch})
        body = _check(res, "ingest")
        if res.status_code == 202:  # a job, e.g. with a lower async threshold: wait for it
            jobs += 1
            _wait_for_job(client, body["location"], timeout_s)
        elif body.get("failed"):
            raise RuntimeError(f"ingest: {body['failed']} documents failed: {res.text[:500]}")
        done += len(batch)
    seconds = time.monotonic() - started
    stats = _check(client.get(f"/api/v1/collections/{name}"), "collection").get("stats") or {}
    return SeedResult(done, int(stats.get("points", 0)), round(seconds, 1), jobs)


@dataclass
class PassResult:
    """One client, one request at a time, over the whole query set."""

    latency_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    hits: dict[str, list[bool]] = field(default_factory=lambda: defaultdict(list))
    cached: dict[str, list[bool]] = field(default_factory=lambda: defaultdict(list))
    errors: int = 0

    def summary(self) -> dict[str, dict[str, float]]:
        """Per route and mode: count, p50/p95/p99 ms, share that found the right document."""
        out = {}
        for key, values in sorted(self.latency_ms.items()):
            ordered = sorted(values)
            qs = statistics.quantiles(ordered, n=100, method="inclusive")
            out[key] = {
                "count": len(ordered),
                "p50_ms": round(statistics.median(ordered), 2),
                "p95_ms": round(qs[94], 2),
                "p99_ms": round(qs[98], 2),
                "hit_rate": round(sum(self.hits[key]) / len(self.hits[key]), 3),
                "cached_share": round(sum(self.cached[key]) / len(self.cached[key]), 3),
            }
        return out


def _timed(client: httpx.Client, path: str, body: dict[str, Any]) -> tuple[float, httpx.Response]:
    t0 = time.perf_counter()
    res = client.post(path, json=body)
    return (time.perf_counter() - t0) * 1000, res


def query_pass(
    client: httpx.Client, name: str, queries: list[Query], *, answers: bool
) -> PassResult:
    """Each dense and keyword query in its own mode and in hybrid; each question via /query."""
    result = PassResult()
    for q in queries:
        if q.kind == "question":
            if not answers:
                continue
            body = {"query": q.text, "collection": name, "top_k": 5, "stream": False}
            ms, res = _timed(client, "/api/v1/query", body)
            key, found = "query", "sources"
            runs = [(key, ms, res)]
        else:
            runs = []
            for mode in (q.kind, "hybrid"):
                body = {"query": q.text, "collection": name, "top_k": 10, "mode": mode}
                ms, res = _timed(client, "/api/v1/search", body)
                runs.append((f"search_{mode}", ms, res))
            found = "results"
        for key, ms, res in runs:
            if res.status_code in (404, 405):
                raise ApiMissing(f"{key}: {res.status_code} {res.request.url.path}")
            if res.status_code != 200:
                result.errors += 1
                continue
            body_out = res.json()
            result.latency_ms[key].append(ms)
            result.cached[key].append(bool(body_out.get("cached")))
            result.hits[key].append(
                any(r.get("document_id") == q.document_id for r in body_out[found])
            )
    return result
