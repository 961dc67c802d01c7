"""Background jobs over HTTP: 202 + Location, progress, cancel, and surviving a restart."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from ragmono.adapters.bm25 import Bm25Encoder
from ragmono.adapters.qdrant.embedded.embedded_store import EmbeddedVectorStore
from ragmono.lifespan import Adapters
from ragmono.settings import Settings
from tests.conftest import SettingsFactory, app_client
from tests.support.ingest import GatedEmbedder

DOCS = "/api/v1/collections/docs/documents"


async def _until(http: Any, location: str, *states: str) -> dict[str, Any]:
    async with asyncio.timeout(30):
        while True:
            job: dict[str, Any] = (await http.get(location)).json()
            if job["state"] in states:
                return job
            await asyncio.sleep(0.02)


def _documents(n: int) -> dict[str, Any]:
    return {
        "documents": [
            {"id": f"d{i}", "text": f"Document {i} describes subject {i} in a few words."}
            for i in range(n)
        ]
    }


async def test_a_large_request_is_a_job_with_progress(make_settings: SettingsFactory) -> None:
    settings = make_settings(ingest__async_threshold_bytes="100")
    async with app_client(settings) as http:
        await http.post("/api/v1/collections", json={"name": "docs"})
        accepted = await http.post(DOCS, json=_documents(4))
        assert accepted.status_code == 202
        location = accepted.headers["location"]
        assert location == f"/api/v1/jobs/{accepted.json()['job_id']}"
        job = await _until(http, location, "succeeded", "failed")
        assert job["state"] == "succeeded"
        assert job["progress"]["documents_done"] == job["progress"]["documents_total"] == 4
        assert job["progress"]["percent"] == 100.0
        assert job["counts"]["created"] == 4
        assert job["eta_s"] is None
        stats = (await http.get("/api/v1/collections/docs")).json()["stats"]
        assert stats["points"] == job["progress"]["chunks_done"] == 4
        listed = (await http.get("/api/v1/jobs")).json()["items"]
        assert [j["id"] for j in listed] == [job["id"]]
        finished = await http.post(f"{location}/cancel")
        assert finished.status_code == 409
        assert (await http.get("/api/v1/jobs/unknown")).status_code == 404


async def _close_store_in_app(http: Any, adapters: Adapters) -> None:
    """Close a store we handed to the app on the app's own loop (the client runs it elsewhere)."""
    await asyncio.to_thread(http.blocking_portal.call, adapters.vector_store.close)


def _adapters(settings: Settings, embedder: GatedEmbedder) -> Adapters:
    return Adapters(
        vector_store=EmbeddedVectorStore(settings.data_path / "vectors"),
        embedder=embedder,
        sparse_encoder=Bm25Encoder(),
    )


async def test_a_job_survives_a_restart(make_settings: SettingsFactory, data_dir: Path) -> None:
    # Deterministic, not timing luck: the embedder lets two batches through, then blocks
    # until the app is stopped; a second app on the same data directory finishes the job.
    settings = make_settings(ingest__async_threshold_bytes="100", ingest__batch_chunks="1")
    gated = GatedEmbedder(384, open_calls=2)
    first = _adapters(settings, gated)
    async with app_client(settings, first) as http:
        await http.post("/api/v1/collections", json={"name": "docs"})
        accepted = await http.post(DOCS, json=_documents(6))
        location = accepted.headers["location"]
        await gated.wait_blocked()
        await asyncio.sleep(0.1)
        running = (await http.get(location)).json()
        assert running["state"] == "running"
        assert 1 <= running["progress"]["documents_done"] < 6
        await _close_store_in_app(http, first)
    # The "process" is gone, and its in-memory job store with it; the inputs are on disk.
    assert (data_dir / "jobs" / accepted.json()["job_id"] / "input.msgpack").exists()

    second = _adapters(settings, GatedEmbedder(384, open_calls=10**6))
    async with app_client(settings, second) as http:
        job = await _until(http, location, "succeeded", "failed")
        stats = (await http.get("/api/v1/collections/docs")).json()["stats"]
        listing = (await http.get(DOCS)).json()["items"]
        await _close_store_in_app(http, second)
    assert job["state"] == "succeeded"
    assert job["attempts"] == 2
    assert job["progress"]["documents_done"] == 6
    assert job["counts"]["created"] == 6
    assert stats["points"] == 6
    assert sorted(d["id"] for d in listing) == [f"d{i}" for i in range(6)]


async def test_cancel_a_running_job(make_settings: SettingsFactory) -> None:
    settings = make_settings(ingest__async_threshold_bytes="100", ingest__batch_chunks="1")
    gated = GatedEmbedder(384, open_calls=1)
    adapters = _adapters(settings, gated)
    async with app_client(settings, adapters) as http:
        await http.post("/api/v1/collections", json={"name": "docs"})
        location = (await http.post(DOCS, json=_documents(5))).headers["location"]
        await gated.wait_blocked()
        cancel = await http.post(f"{location}/cancel")
        assert cancel.status_code == 202
        assert cancel.json()["cancel_requested"] is True
        gated.gate.set()
        job = await _until(http, location, "cancelled", "succeeded")
        points = (await http.get("/api/v1/collections/docs")).json()["stats"]["points"]
        await _close_store_in_app(http, adapters)
    assert job["state"] == "cancelled"
    assert job["progress"]["documents_done"] < 5
    assert points == job["progress"]["documents_done"]
