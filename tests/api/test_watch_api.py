"""The watches routes (#21) in-process: refusals are 4xx naming the field, watches added at
run time are kept across restarts, watches from ``[[ingest.watch]]`` are listed and cannot be
removed through the API."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SettingsFactory, app_client

WATCHES = "/api/v1/collections/docs/watches"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "root" / "handbook"
    folder.mkdir(parents=True)
    (folder / "intro.md").write_text("# Intro\n\nWelcome to the handbook.")
    return folder.parent


async def _until(http: Any, check: Any, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not await check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"path": "/etc"}, 403, "body.path"),
        ({"path": "handbook/../.."}, 422, "body.path"),
        ({"path": "handbook/intro.md"}, 422, "body.path"),
        ({"path": "handbook", "patterns": "*.md"}, 422, "body.patterns"),
        ({"path": "handbook", "colour": "red"}, 422, "body.colour"),
    ],
)
async def test_bad_watches_are_refused_naming_the_field(
    make_settings: SettingsFactory,
    root: Path,
    body: dict[str, Any],
    status: int,
    field: str,
) -> None:
    async with app_client(make_settings(ingest__allowed_roots=str(root))) as http:
        await http.post("/api/v1/collections", json={"name": "docs"})
        response = await http.post(WATCHES, json=body)
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["field"] == field
        assert (await http.get(WATCHES)).json()["items"] == []


async def test_missing_collection_duplicate_and_unknown_watch(
    make_settings: SettingsFactory, root: Path
) -> None:
    async with app_client(make_settings(ingest__allowed_roots=str(root))) as http:
        missing = await http.post(WATCHES, json={"path": "handbook"})
        assert missing.status_code == 404, missing.text
        await http.post("/api/v1/collections", json={"name": "docs"})
        assert (await http.post(WATCHES, json={"path": "handbook"})).status_code == 201
        again = await http.post(WATCHES, json={"path": str(root / "handbook")})
        assert again.status_code == 409
        assert again.json()["field"] == "body.path"
        gone = await http.delete(f"{WATCHES}/0123456789abcdef")
        assert gone.status_code == 404
        assert gone.json()["field"] == "watch_id"


async def test_api_watches_survive_a_restart_and_can_be_removed(
    make_settings: SettingsFactory, root: Path
) -> None:
    settings = make_settings(ingest__allowed_roots=str(root), ingest__watch_debounce_s="0.2")
    async with app_client(settings) as http:
        await http.post("/api/v1/collections", json={"name": "docs"})
        added = (await http.post(WATCHES, json={"path": "handbook", "ignore": ["drafts/*"]})).json()
        assert added["patterns"] == []
        assert added["ignore"] == ["drafts/*"]

        async def synced() -> bool:
            items = (await http.get("/api/v1/collections/docs/documents")).json()["items"]
            return [d["source"] for d in items] == ["handbook/intro.md"]

        await _until(http, synced)

    async with app_client(settings) as http:
        items = (await http.get(WATCHES)).json()["items"]
        assert [(w["id"], w["origin"], w["path"]) for w in items] == [
            (added["id"], "api", "handbook")
        ]
        assert (await http.delete(f"{WATCHES}/{added['id']}")).status_code == 204
        assert (await http.get(WATCHES)).json()["items"] == []
        docs = (await http.get("/api/v1/collections/docs/documents")).json()["items"]
        assert len(docs) == 1  # removing a watch keeps its documents

    async with app_client(settings) as http:
        assert (await http.get(WATCHES)).json()["items"] == []


async def test_settings_watches_are_listed_and_not_removable(
    make_settings: SettingsFactory, root: Path
) -> None:
    async with app_client(make_settings(ingest__allowed_roots=str(root))) as http:
        await http.post("/api/v1/collections", json={"name": "docs"})
    watch = json.dumps([{"path": "handbook", "collection": "docs", "patterns": ["*.md"]}])
    settings = make_settings(ingest__allowed_roots=str(root), ingest__watch=watch)
    async with app_client(settings) as http:
        items = (await http.get(WATCHES)).json()["items"]
        assert [(w["origin"], w["patterns"]) for w in items] == [("settings", ["*.md"])]
        refused = await http.delete(f"{WATCHES}/{items[0]['id']}")
        assert refused.status_code == 409
        assert refused.json()["field"] == "watch_id"

        async def synced() -> bool:
            items = (await http.get("/api/v1/collections/docs/documents")).json()["items"]
            return len(items) == 1

        await _until(http, synced)
