"""/api/v1/admin/backups over HTTP on the real embedded engine: back up, lose, restore."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from ragmono.domain import VectorQuery
from tests.conftest import SettingsFactory, app_client

BACKUPS = "/api/v1/admin/backups"
DOCS = "/api/v1/collections/docs/documents"
TOPICS = {
    "lighthouse": "The lighthouse keeper climbed the spiral stairs each evening to light the lamp.",
    "revenue": "Quarterly revenue grew because cloud subscriptions sold far better than forecast.",
    "sourdough": "Feed the sourdough starter flour and water, then let the dough rise overnight.",
}
QUESTIONS = ["who lights the lamp in the tower?", "why did sales grow?", "how to bake bread"]


@pytest.fixture
def backup_dir(tmp_path: Path) -> Path:
    return tmp_path / "backups"


@pytest.fixture
def backup_client(make_settings: SettingsFactory, backup_dir: Path) -> Any:
    return app_client(make_settings(backup__dir=str(backup_dir), backup__schedule=""))


async def _answers(client: Any) -> list[list[tuple[str, float]]]:
    adapters = client.app.state.adapters
    out = []
    for question in QUESTIONS:
        vector = await adapters.embedder.embed_query(question)
        hits = await adapters.vector_store.search(
            "docs", VectorQuery(mode="dense", limit=3, dense=vector)
        )
        out.append([(h.chunk.document_id, round(h.score, 5)) for h in hits])
    return out


async def _take_backup(client: Any) -> dict[str, Any]:
    started = await client.post(BACKUPS)
    assert started.status_code == 202
    backup_id = started.json()["id"]
    for _ in range(200):
        view = (await client.get(f"{BACKUPS}/{backup_id}")).json()
        if view["state"] != "running":
            break
        await asyncio.sleep(0.05)
    assert view["state"] == "completed", view
    return dict(view)


async def _ingest(client: Any) -> None:
    created = await client.post("/api/v1/collections", json={"name": "docs"})
    assert created.status_code == 201
    body = {"documents": [{"id": k, "text": v, "source": f"{k}.txt"} for k, v in TOPICS.items()]}
    assert (await client.post(DOCS, json=body)).status_code == 200


async def test_backup_delete_restore_gives_identical_results(backup_client: Any) -> None:
    async with backup_client as client:
        await _ingest(client)
        before = await _answers(client)
        stats = (await client.get("/api/v1/collections/docs")).json()["stats"]["points"]

        view = await _take_backup(client)
        manifest = view["manifest"]
        assert manifest["collections"] == [{"name": "docs", "points": stats}]
        assert manifest["engine"] == "qdrant-edge"
        assert manifest["engine_version"]
        assert "catalog.json" in manifest["files"]
        listed = (await client.get(BACKUPS)).json()["items"]
        assert [b["id"] for b in listed] == [view["id"]]

        assert (await client.delete("/api/v1/collections/docs")).status_code == 204
        assert (await client.get("/api/v1/collections/docs")).status_code == 404

        restored = await client.post(f"{BACKUPS}/{view['id']}/restore")
        assert restored.status_code == 200, restored.text
        # Served again without a restart: same counts, same hits, same scores.
        got = (await client.get("/api/v1/collections/docs")).json()["stats"]["points"]
        assert got == stats
        assert await _answers(client) == before
        # Writes work after the swap.
        more = {"documents": [{"id": "extra", "text": "A new note about tides.", "source": "x"}]}
        assert (await client.post(DOCS, json=more)).status_code == 200


async def test_a_corrupted_backup_is_refused_before_anything_is_replaced(
    backup_client: Any, backup_dir: Path
) -> None:
    async with backup_client as client:
        await _ingest(client)
        view = await _take_backup(client)
        before = await _answers(client)
        # Later data that a wrongful restore would lose.
        extra = {"documents": [{"id": "tides", "text": "Tides follow the moon.", "source": "t"}]}
        assert (await client.post(DOCS, json=extra)).status_code == 200
        points = (await client.get("/api/v1/collections/docs")).json()["stats"]["points"]

        victim = next(
            p for p in sorted((backup_dir / view["id"] / "collections").rglob("*")) if p.is_file()
        )
        data = bytearray(victim.read_bytes() or b"\0")
        data[0] ^= 0xFF
        victim.write_bytes(bytes(data))

        refused = await client.post(f"{BACKUPS}/{view['id']}/restore")
        assert refused.status_code == 409
        assert "checksum mismatch" in refused.json()["detail"]
        assert "nothing was replaced" in refused.json()["detail"]
        assert (await client.get("/api/v1/collections/docs")).json()["stats"]["points"] == points
        assert (await _answers(client))[1][0] == before[1][0]


async def test_a_backup_from_a_newer_engine_is_refused_with_a_clear_message(
    backup_client: Any, backup_dir: Path
) -> None:
    async with backup_client as client:
        await _ingest(client)
        view = await _take_backup(client)
        path = backup_dir / view["id"] / "manifest.json"
        path.write_text(path.read_text().replace(view["manifest"]["engine_version"], "99.0.0"))
        refused = await client.post(f"{BACKUPS}/{view['id']}/restore")
        assert refused.status_code == 409
        assert "qdrant-edge 99.0.0" in refused.json()["detail"]


async def test_delete_and_unknown_ids(backup_client: Any, backup_dir: Path) -> None:
    async with backup_client as client:
        await _ingest(client)
        view = await _take_backup(client)
        assert (await client.delete(f"{BACKUPS}/{view['id']}")).status_code == 204
        assert not (backup_dir / view["id"]).exists()
        assert (await client.get(f"{BACKUPS}/{view['id']}")).status_code == 404
        assert (await client.get(f"{BACKUPS}/..%2F..%2Fetc")).status_code == 404
