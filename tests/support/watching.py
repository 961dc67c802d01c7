"""Helpers for watched-folder tests and benchmarks against a live server: documents, keyword
search, jobs and metrics over HTTP, polling until a change shows; and a job runner twin for
the watch policy's tests."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from ragmono.errors import DependencyUnavailable
from ragmono.modules.ingest.job_files import SyncPayload
from ragmono.modules.ingest.watch_folder import FolderWatch
from tests.support.live_server import LiveServer


def watched_server(data: Path, root: Path, debounce_s: float = 0.5, **env: str) -> LiveServer:
    """A live server whose allowed root is ``root``, with a short debounce."""
    return LiveServer(
        data,
        {
            "RAGMONO_INGEST__ALLOWED_ROOTS": str(root),
            "RAGMONO_INGEST__WATCH_DEBOUNCE_S": str(debounce_s),
            "RAGMONO_RATE_LIMIT__ENABLED": "false",
            **env,
        },
    )


def create_collection(http: httpx.Client, name: str) -> None:
    """Create ``name`` (201)."""
    response = http.post("/api/v1/collections", json={"name": name})
    assert response.status_code == 201, response.text


def add_watch(http: httpx.Client, collection: str, path: Path, **extra: Any) -> dict[str, Any]:
    """Watch ``path`` for ``collection``; the watch as returned (201)."""
    response = http.post(
        f"/api/v1/collections/{collection}/watches", json={"path": str(path), **extra}
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def sources(http: httpx.Client, collection: str) -> list[str]:
    """Every document's source (one entry per document, so duplicates show), sorted."""
    found: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 500, **({"cursor": cursor} if cursor else {})}
        response = http.get(f"/api/v1/collections/{collection}/documents", params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        found.extend(item["source"] for item in page["items"])
        cursor = page.get("next_cursor")
        if not cursor:
            return sorted(found)


def hits(http: httpx.Client, collection: str, word: str) -> list[str]:
    """Sources of the keyword hits for ``word``."""
    response = http.get(
        "/api/v1/search", params={"q": word, "collection": collection, "k": 10, "mode": "keyword"}
    )
    assert response.status_code == 200, response.text
    return [r["source"] for r in response.json()["results"]]


def watch_idle(http: httpx.Client, collection: str) -> bool:
    """Whether every watch of ``collection`` has submitted a job, has nothing pending, and its
    latest job has finished."""
    watches = http.get(f"/api/v1/collections/{collection}/watches").json()["items"]
    for watch in watches:
        if watch["last_job_id"] is None or watch["pending"]:
            return False
        job = http.get(f"/api/v1/jobs/{watch['last_job_id']}").json()
        if job["state"] in ("queued", "running"):
            return False
    return True


def wait_for(check: Callable[[], bool], timeout_s: float, every_s: float = 0.05) -> float:
    """Seconds until ``check()`` held; raises AssertionError after ``timeout_s``."""
    start = time.monotonic()
    while True:
        if check():
            return time.monotonic() - start
        if time.monotonic() - start > timeout_s:
            raise AssertionError(f"not true within {timeout_s} s")
        time.sleep(every_s)


def metric(server: LiveServer, name: str, labels: str = "") -> float:
    """One sample's value from /metrics (0 when absent); ``labels`` as ``result="created"``."""
    text = httpx.get(f"{server.url}/metrics", timeout=10).text
    pattern = re.escape(name) + (r"\{" + re.escape(labels) + r"\}" if labels else "") + r" (\S+)"
    match = re.search(r"^" + pattern + r"$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def write(path: Path, text: str) -> None:
    """Write a file (parents made)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")


@dataclass
class FakeJob:
    """A job of :class:`RunnerTwin`: finished ``run_s`` after it was submitted."""

    id: str
    started: float
    run_s: float
    state: str = "running"

    @property
    def finished(self) -> bool:
        if time.monotonic() - self.started >= self.run_s:
            self.state = "succeeded"
        return self.state == "succeeded"


@dataclass
class RunnerTwin:
    """Records submitted payloads; each job "runs" for ``run_s``."""

    run_s: float = 0.2
    fail_next: int = 0
    payloads: list[SyncPayload] = field(default_factory=list)
    jobs: dict[str, FakeJob] = field(default_factory=dict)

    async def submit(self, kind: str, collection: str, payload: SyncPayload) -> FakeJob:
        if self.fail_next:
            self.fail_next -= 1
            raise DependencyUnavailable("redis", "down for the test")
        job = FakeJob(f"job{len(self.jobs)}", time.monotonic(), self.run_s)
        self.jobs[job.id] = job
        self.payloads.append(payload)
        return job

    async def get(self, job_id: str) -> FakeJob:
        return self.jobs[job_id]


async def settle(runner: RunnerTwin, watch: FolderWatch, timeout_s: float = 10.0) -> None:
    """Wait until the watch has nothing pending and every job finished, for 0.3 s running."""
    deadline = time.monotonic() + timeout_s
    quiet_since = None
    while quiet_since is None or time.monotonic() - quiet_since < 0.3:
        assert time.monotonic() < deadline, f"still {watch.pending} pending"
        await asyncio.sleep(0.02)
        busy = watch.pending or any(not j.finished for j in runner.jobs.values())
        quiet_since = None if busy else quiet_since or time.monotonic()
