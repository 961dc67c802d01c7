"""POST .../sync: a server directory under the allowed roots, unchanged skips, orphans removed."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SettingsFactory, app_client

SYNC = "/api/v1/collections/docs/sync"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "shared"
    (root / "handbook" / "ops").mkdir(parents=True)
    (root / "handbook" / "intro.md").write_text("# Intro\n\nWelcome to the team handbook.")
    (root / "handbook" / "ops" / "oncall.txt").write_text("The on-call engineer answers pages.")
    (root / "handbook" / "logo.png").write_bytes(b"\x89PNG\r\n")
    (root / "handbook" / "broken.txt").write_bytes(b"\x00\x00binary")
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "keys.txt").write_text("do not read")
    (root / "handbook" / "leak.txt").symlink_to(secret / "keys.txt")
    (root / "escape").symlink_to(secret)
    return root


async def _run(http: Any, path: str) -> dict[str, Any]:
    accepted = await http.post(SYNC, json={"path": path})
    assert accepted.status_code == 202, accepted.text
    async with asyncio.timeout(30):
        while True:
            job: dict[str, Any] = (await http.get(accepted.headers["location"])).json()
            if job["state"] not in ("queued", "running"):
                return job
            await asyncio.sleep(0.02)


async def _sources(http: Any) -> list[str]:
    items = (await http.get("/api/v1/collections/docs/documents")).json()["items"]
    return sorted(d["source"] for d in items)


async def test_sync_ingests_skips_unchanged_and_removes_orphans(
    make_settings: SettingsFactory, tree: Path
) -> None:
    async with app_client(make_settings(ingest__allowed_roots=str(tree))) as http:
        await http.post("/api/v1/collections", json={"name": "docs"})
        first = await _run(http, "handbook")
        assert first["state"] == "completed_with_errors"  # two files failed
        assert first["counts"] == {
            "created": 2,
            "updated": 0,
            "unchanged": 0,
            "failed": 2,
            "deleted": 0,
            "skipped": 1,
        }
        errors = {e["document"]: e["status"] for e in first["errors"]}
        assert errors == {"handbook/broken.txt": 422, "handbook/leak.txt": 403}
        assert await _sources(http) == ["handbook/intro.md", "handbook/ops/oncall.txt"]

        second = await _run(http, str(tree / "handbook"))  # absolute works the same
        assert second["counts"]["unchanged"] == 2
        assert second["counts"]["created"] == 0

        (tree / "handbook" / "ops" / "oncall.txt").unlink()
        (tree / "handbook" / "intro.md").write_text("# Intro\n\nWelcome, new version.")
        third = await _run(http, "handbook")
        assert (third["counts"]["updated"], third["counts"]["deleted"]) == (1, 1)
        assert await _sources(http) == ["handbook/intro.md"]
        points = (await http.get("/api/v1/collections/docs")).json()["stats"]["points"]
        assert points == 1


async def test_escapes_are_refused_naming_the_path_and_write_nothing(
    make_settings: SettingsFactory, tree: Path, tmp_path: Path
) -> None:
    async with app_client(make_settings(ingest__allowed_roots=str(tree))) as http:
        await http.post("/api/v1/collections", json={"name": "docs"})
        cases = {
            "handbook/../../secret": 422,
            "../secret": 422,
            str(tmp_path / "secret"): 403,
            "escape": 403,
            "/etc": 403,
            "handbook/intro.md": 422,
        }
        for path, status in cases.items():
            response = await http.post(SYNC, json={"path": path})
            assert response.status_code == status, path
            assert response.headers["content-type"].startswith("application/problem+json")
            assert response.json()["field"] == "body.path"
        assert (await http.get("/api/v1/jobs")).json()["items"] == []
        assert (await http.get("/api/v1/collections/docs")).json()["stats"]["points"] == 0


async def test_sync_is_forbidden_when_no_roots_are_configured(client: Any, tree: Path) -> None:
    await client.post("/api/v1/collections", json={"name": "docs"})
    response = await client.post(SYNC, json={"path": str(tree)})
    assert response.status_code == 403
    assert "allowed_roots" in response.json()["detail"]
