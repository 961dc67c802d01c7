"""/api/v1/admin/backups in server and cluster modes: Qdrant snapshots over real HTTP.

Qdrant nodes are twins (tests/support/qdrant_twin.py); with ``RAGMONO_TEST_QDRANT_URLS`` set
each twin relays to a real node, so the same round trips run against real Qdrant snapshots.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from ragmono.domain import VectorQuery
from tests.api.test_backups import QUESTIONS, TOPICS
from tests.conftest import SettingsFactory, app_client
from tests.support.qdrant_cluster import Nodes, nodes
from tests.support.qdrant_twin import QdrantTwin

pytestmark = pytest.mark.filterwarnings("ignore:Payload indexes have no effect:UserWarning")

BACKUPS = "/api/v1/admin/backups"
CATALOG = "_ragmono_catalog"


@dataclass
class Setup:
    """The app's client, its Qdrant nodes, the backup directory and the collection name."""

    http: Any
    twins: list[QdrantTwin]
    backup_dir: Path
    name: str

    @property
    def docs(self) -> str:
        return f"/api/v1/collections/{self.name}/documents"


@pytest.fixture
def qdrant() -> Iterator[Nodes]:
    with nodes() as made:
        yield made


def _settings(
    make_settings: SettingsFactory, mode: str, twins: list[QdrantTwin], backup_dir: Path
) -> Any:
    where = (
        {"vector_store__url": twins[0].url}
        if mode == "server"
        else {
            "vector_store__urls": json.dumps([t.url for t in twins]),
            "vector_store__health_interval_s": "0.1",
        }
    )
    return make_settings(
        vector_store__mode=mode, backup__dir=str(backup_dir), backup__schedule="", **where
    )


@pytest.fixture
async def setup(
    request: pytest.FixtureRequest, make_settings: SettingsFactory, qdrant: Nodes, tmp_path: Path
) -> AsyncIterator[Setup]:
    mode = request.param
    twins = [qdrant.twin() for _ in range(1 if mode == "server" else 2)]
    backup_dir = tmp_path / "backups"
    # A real server is shared: a unique collection name, and only what this test made is touched.
    name = "docs-" + uuid.uuid4().hex[:8] if qdrant.real else "docs"
    async with app_client(_settings(make_settings, mode, twins, backup_dir)) as http:
        yield Setup(http=http, twins=twins, backup_dir=backup_dir, name=name)
        if qdrant.real:
            await http.delete(f"/api/v1/collections/{name}")


async def _ingest(s: Setup) -> None:
    created = await s.http.post("/api/v1/collections", json={"name": s.name})
    assert created.status_code == 201, created.text
    body = {"documents": [{"id": k, "text": v, "source": f"{k}.txt"} for k, v in TOPICS.items()]}
    assert (await s.http.post(s.docs, json=body)).status_code == 200


async def _answers(s: Setup) -> list[list[tuple[str, float]]]:
    adapters = s.http.app.state.adapters
    out = []
    for question in QUESTIONS:
        vector = await adapters.embedder.embed_query(question)
        sparse = adapters.sparse_encoder.encode_query(question)
        query = VectorQuery(mode="hybrid", limit=3, dense=vector, sparse=sparse)
        hits = await adapters.vector_store.search(s.name, query)
        out.append([(h.chunk.document_id, round(h.score, 5)) for h in hits])
    return out


async def _storage(s: Setup) -> str:
    """The physical Qdrant collection behind the alias ``s.name`` (what snapshots carry)."""
    answer = await s.http.get(f"/api/v1/collections/{s.name}")
    assert answer.status_code == 200, answer.text
    return str(answer.json()["storage"])


async def _points(s: Setup) -> int:
    answer = await s.http.get(f"/api/v1/collections/{s.name}")
    assert answer.status_code == 200, answer.text
    return int(answer.json()["stats"]["points"])


async def _backup(s: Setup) -> dict[str, Any]:
    started = await s.http.post(BACKUPS)
    assert started.status_code == 202, started.text
    backup_id = started.json()["id"]
    for _ in range(400):
        view = (await s.http.get(f"{BACKUPS}/{backup_id}")).json()
        if view["state"] != "running":
            return dict(view)
        await asyncio.sleep(0.05)
    raise AssertionError(f"backup {backup_id} still running")


async def _server_snapshots(twin: QdrantTwin, collections: list[str]) -> dict[str, list[str]]:
    """Snapshot files each collection has on the node, asked over Qdrant's REST API."""
    found: dict[str, list[str]] = {}
    async with httpx.AsyncClient(base_url=twin.url) as client:
        for name in collections:
            answer = await client.get(f"/collections/{name}/snapshots")
            assert answer.status_code == 200, answer.text
            found[name] = [d["name"] for d in answer.json()["result"]]
    return found


async def _drop_in_qdrant(twin: QdrantTwin, collections: list[str]) -> None:
    """Lose the data behind ragmono's back: drop the collections and the catalog in Qdrant."""
    async with httpx.AsyncClient(base_url=twin.url) as client:
        for name in [*collections, CATALOG]:
            assert (await client.delete(f"/collections/{name}")).status_code == 200


@pytest.mark.parametrize("setup", ["server", "cluster"], indirect=True)
async def test_backup_lose_everything_restore_gives_identical_results(setup: Setup) -> None:
    s = setup
    await _ingest(s)
    before, points = await _answers(s), await _points(s)
    assert points > 0
    physical = await _storage(s)

    view = await _backup(s)
    assert view["state"] == "completed", view
    manifest = view["manifest"]
    assert manifest["mode"] == ("server" if len(s.twins) == 1 else "cluster")
    assert manifest["engine"] == "qdrant"
    assert manifest["nodes"] == [t.url for t in s.twins]
    assert {"name": s.name, "points": points} in manifest["collections"]
    for i in range(len(s.twins)):
        for collection in (physical, CATALOG):
            rel = f"snapshots/node-{i}/{collection}.snapshot"
            assert rel in manifest["files"]
            assert (s.backup_dir / view["id"] / rel).stat().st_size > 0
    for twin in s.twins:  # downloaded, then deleted on every node
        assert await _server_snapshots(twin, [physical, CATALOG]) == {physical: [], CATALOG: []}

    if len(s.twins) == 1:
        assert (await s.http.delete(f"/api/v1/collections/{s.name}")).status_code == 204
        assert (await s.http.get(f"/api/v1/collections/{s.name}")).status_code == 404
    else:
        await _drop_in_qdrant(s.twins[0], [physical])  # its alias goes with it

    restored = await s.http.post(f"{BACKUPS}/{view['id']}/restore")
    assert restored.status_code == 200, restored.text
    # Served again without a restart: same counts, same hits, same scores, writes work.
    assert await _points(s) == points
    assert await _answers(s) == before
    listed = (await s.http.get(s.docs)).json()["items"]
    assert sorted(d["id"] for d in listed) == sorted(TOPICS)
    more = {"documents": [{"id": "tides", "text": "Tides follow the moon.", "source": "t"}]}
    assert (await s.http.post(s.docs, json=more)).status_code == 200
    ours = {f"/collections/{c}/snapshots/upload" for c in (physical, CATALOG)}
    uploads = [r for t in s.twins for r in t.requests if r[1] in ours]
    assert {r[2]["priority"] for r in uploads} == {"snapshot"}
    assert len(uploads) == 2 * len(s.twins)  # the collection and the catalog on every node


@pytest.mark.parametrize("setup", ["server"], indirect=True)
async def test_a_corrupted_snapshot_is_refused_before_anything_is_replaced(setup: Setup) -> None:
    s = setup
    await _ingest(s)
    view = await _backup(s)
    assert view["state"] == "completed", view
    extra = {"documents": [{"id": "tides", "text": "Tides follow the moon.", "source": "t"}]}
    assert (await s.http.post(s.docs, json=extra)).status_code == 200
    points, before = await _points(s), await _answers(s)

    physical = await _storage(s)
    victim = s.backup_dir / view["id"] / "snapshots" / "node-0" / f"{physical}.snapshot"
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0xFF
    victim.write_bytes(bytes(data))

    refused = await s.http.post(f"{BACKUPS}/{view['id']}/restore")
    assert refused.status_code == 409
    detail = refused.json()["detail"]
    assert f"snapshots/node-0/{physical}.snapshot: checksum mismatch" in detail
    assert "nothing was replaced" in detail
    assert not [r for r in s.twins[0].requests if "/snapshots/upload" in r[1]]
    assert await _points(s) == points
    assert await _answers(s) == before


@pytest.mark.parametrize("setup", ["cluster"], indirect=True)
@pytest.mark.parametrize(
    ("method", "pattern"),
    [("POST", r"/snapshots$"), ("GET", r"/snapshots/[^/]+\.snapshot$")],
    ids=["create-fails", "download-fails"],
)
async def test_a_node_failing_snapshots_fails_the_backup_cleanly(
    setup: Setup, method: str, pattern: str
) -> None:
    s = setup
    await _ingest(s)
    s.twins[1].fail_calls[(method, pattern)] = 500

    view = await _backup(s)
    assert view["state"] == "failed"
    assert s.twins[1].url.removeprefix("http://") in view["error"]  # names the failing node
    assert "500" in view["error"]
    listed = (await s.http.get(BACKUPS)).json()["items"]
    assert [b["state"] for b in listed] == ["failed"]
    assert not s.backup_dir.exists() or list(s.backup_dir.iterdir()) == []
    physical = await _storage(s)
    for twin in s.twins:  # nothing left behind on any node
        assert await _server_snapshots(twin, [physical, CATALOG]) == {physical: [], CATALOG: []}

    s.twins[1].fail_calls.clear()
    retried = await _backup(s)
    assert retried["state"] == "completed", retried
    metrics = (await s.http.get("/metrics")).text
    assert 'ragmono_backups_total{outcome="failure",trigger="api"} 1.0' in metrics
    assert 'ragmono_backups_total{outcome="success",trigger="api"} 1.0' in metrics
    stamp = next(
        line
        for line in metrics.splitlines()
        if line.startswith("ragmono_backup_last_success_timestamp_seconds ")
    )
    assert float(stamp.split()[1]) >= retried["manifest"]["created_at"]


@pytest.mark.parametrize("setup", ["server", "cluster"], indirect=True)
async def test_backups_the_running_qdrant_cannot_read_are_refused_with_both_versions(
    setup: Setup,
) -> None:
    s = setup
    await _ingest(s)
    view = await _backup(s)
    path = s.backup_dir / view["id"] / "manifest.json"
    original = json.loads(path.read_text())
    running = original["engine_version"]
    major, minor = (int(p) for p in running.split(".")[:2])
    cases = [
        ({"engine_version": f"{major}.{minor + 1}.0"}, f"Qdrant {major}.{minor + 1}.0"),
        ({"engine_version": f"{major}.{minor - 2}.0"}, "more than one minor version newer"),
        ({"mode": "embedded", "engine": "qdrant-edge"}, "backup is of embedded/qdrant-edge"),
    ]
    if len(s.twins) > 1:
        cases.append(({"nodes": original["nodes"][:1]}, "snapshots of 1 nodes but this cluster"))
    for change, expected in cases:
        path.write_text(json.dumps({**original, **change}))
        refused = await s.http.post(f"{BACKUPS}/{view['id']}/restore")
        assert refused.status_code == 409, change
        detail = refused.json()["detail"]
        assert expected in detail, detail
        if "engine_version" in change:
            assert running in detail  # both versions named
    assert not [r for t in s.twins for r in t.requests if "/snapshots/upload" in r[1]]
