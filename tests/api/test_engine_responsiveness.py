"""The API stays responsive while the embedded engine ingests and builds its index (issue 12),
and survives its engine worker being killed.

The real app is served by granian on 127.0.0.1 (``tests.support.engine``); chunks are written and
searched through the vector-store port inside the server, as the ingest and search services do,
while ``/health`` is probed at 10 Hz over HTTP.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from tests.support.engine import EngineAppServer

POINTS = 3_000
"""~375 KB of 32-float vectors: over the app's 64 KB indexing threshold, so a build runs."""
pytestmark = pytest.mark.slow


@pytest.fixture
def server(data_dir: Path) -> Iterator[EngineAppServer]:
    """The app with an embedded store, served by granian."""
    served = EngineAppServer(data_dir, points=POINTS)
    served.start()
    yield served
    served.stop()


class Probes:
    """Open-loop probes: each fires on schedule whether or not the previous one answered."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.phase = "idle"
        self.health_ms: dict[str, list[float]] = {"idle": [], "busy": [], "after": []}
        self.failures: list[str] = []
        self.ready: list[dict[str, Any]] = []
        self.searches: list[tuple[bool, bool]] = []
        """(answered correctly, an index build was running) per search."""
        self.written = 0
        self.stop = asyncio.Event()

    async def health(self) -> None:
        phase, started = self.phase, time.perf_counter()
        try:
            response = await self.http.get("/health")
        except httpx.HTTPError as exc:
            self.failures.append(repr(exc))
            return
        self.health_ms[phase].append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            self.failures.append(f"/health {response.status_code}")

    async def readiness(self) -> None:
        body = (await self.http.get("/ready")).json()
        engine = next(d for d in body["dependencies"] if d["name"] == "qdrant")
        self.ready.append({"ready": body["ready"], **engine["extra"]})

    async def search(self) -> None:
        if self.written:
            building = bool(self.ready) and self.ready[-1]["indexing"]
            k = int(time.perf_counter() * 1000) % self.written
            response = await self.http.get(f"/test/search/{k}")
            self.searches.append(
                (response.status_code == 200 and response.json()["correct"], building)
            )

    async def every(self, period_s: float, probe: Any) -> None:
        tasks: set[asyncio.Task[None]] = set()
        tick = time.perf_counter()
        while not self.stop.is_set():
            task = asyncio.create_task(probe())
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            tick += period_s
            await asyncio.sleep(max(0.0, tick - time.perf_counter()))
        await asyncio.gather(*tasks)

    async def run(self) -> None:
        await asyncio.gather(
            self.every(0.1, self.health),
            self.every(0.25, self.readiness),
            self.every(0.2, self.search),
        )


async def engine_state(http: httpx.AsyncClient) -> dict[str, Any]:
    body = (await http.get("/ready")).json()
    return dict(next(d for d in body["dependencies"] if d["name"] == "qdrant")["extra"])


async def test_health_and_searches_answer_during_ingest_and_index_build(
    server: EngineAppServer,
) -> None:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
        assert (await http.post("/api/v1/collections", json={"name": "docs"})).status_code == 201
        probes = Probes(http)
        running = asyncio.create_task(probes.run())
        await asyncio.sleep(3)  # the same probes on the idle server: what this machine does
        probes.phase = "busy"
        busy_started = time.monotonic()
        for start in range(0, POINTS, 500):
            written = await http.post("/test/upsert", json={"start": start, "stop": start + 500})
            assert written.status_code == 201
            probes.written = start + 500
        await http.post("/test/optimize")
        deadline = time.monotonic() + 45
        while time.monotonic() < deadline:
            state = await engine_state(http)
            if not state["indexing"] and state["points_pending_index"] == 0:
                break
            await asyncio.sleep(0.2)
        # On a fast machine ingest and build can end in under 3 s: keep probing long enough for
        # the p99 to rest on at least 30 samples (10 Hz), whatever the machine's speed.
        await asyncio.sleep(max(0.0, 3.5 - (time.monotonic() - busy_started)))
        probes.phase = "after"
        await asyncio.sleep(3)  # idle again: the machine's noise may have changed meanwhile
        probes.stop.set()
        await running

    assert state["points_pending_index"] == 0, f"the index was not built: {state}"
    assert probes.failures == []
    assert len(probes.health_ms["busy"]) >= 30
    busy, before, after = (
        float(np.percentile(probes.health_ms[p], 99)) for p in ("busy", "idle", "after")
    )
    idle = max(before, after)
    # The contract is p99 < 100 ms. The machine is shared, though, and when it alone is slower
    # than that (idle p99 up to 600 ms was seen under load 15), the bound is twice its own idle
    # p99 just before and after: still far below the multi-second freezes of an engine that
    # holds the API's GIL (p99 9.3 s here with the old in-process design).
    bound = max(100.0, 2 * idle)
    assert busy < bound, f"/health p99 {busy:.1f} ms busy, {idle:.1f} ms idle"
    assert all(correct for correct, _ in probes.searches), "a search answered wrong or failed"
    assert any(building for _, building in probes.searches), "no search overlapped the build"
    assert all(r["ready"] for r in probes.ready)
    assert max(r["points_pending_index"] for r in probes.ready) > 0


async def test_a_killed_engine_worker_is_restarted_and_nothing_written_is_lost(
    server: EngineAppServer,
) -> None:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
        await http.post("/api/v1/collections", json={"name": "docs"})
        await http.post("/test/upsert", json={"start": 0, "stop": 500})
        before = await engine_state(http)
        os.kill(before["worker_pid"], signal.SIGKILL)

        statuses = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            response = await http.get("/api/v1/collections/docs")
            statuses.append(response.status_code)
            if response.status_code == 200:
                break
            assert response.headers["content-type"].startswith("application/problem+json")
            await asyncio.sleep(0.05)
        after = await engine_state(http)
        search = await http.get("/test/search/123")

    assert statuses[-1] == 200
    assert set(statuses) <= {200, 503}
    assert response.json()["stats"]["points"] == 500  # replayed from the WAL, never flushed
    assert search.json() == {"correct": True}
    assert after["restarts"] == 1
    assert after["worker_pid"] not in (None, before["worker_pid"])
