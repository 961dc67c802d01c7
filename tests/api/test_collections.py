"""/api/v1/collections over HTTP on the real embedded engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ragmono.settings import Settings
from tests.conftest import app_client


async def test_create_get_list_patch_delete(client: Any) -> None:
    created = await client.post("/api/v1/collections", json={"name": "docs", "description": "d"})
    assert created.status_code == 201
    body = created.json()
    assert body["embedder"] == {"provider": "local", "model": "all-MiniLM-L6-v2", "dimensions": 384}
    assert body["chunking"] == {"chunk_size": 250, "chunk_overlap": 32}

    one = (await client.get("/api/v1/collections/docs")).json()
    assert one["stats"]["points"] == 0
    assert one["stats"]["size_bytes"] > 0

    listed = (await client.get("/api/v1/collections")).json()["items"]
    assert [c["name"] for c in listed] == ["docs"]

    patched = await client.patch(
        "/api/v1/collections/docs", json={"chunking": {"chunk_size": 200, "chunk_overlap": 32}}
    )
    assert patched.status_code == 200
    assert patched.json()["chunking"] == {"chunk_size": 200, "chunk_overlap": 32}
    assert patched.json()["description"] == "d"

    assert (await client.delete("/api/v1/collections/docs")).status_code == 204
    assert (await client.get("/api/v1/collections/docs")).status_code == 404


async def test_duplicate_is_409_and_keeps_the_first(client: Any) -> None:
    await client.post("/api/v1/collections", json={"name": "docs", "description": "first"})
    again = await client.post("/api/v1/collections", json={"name": "docs", "description": "2nd"})
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    assert again.json()["field"] == "name"
    assert (await client.get("/api/v1/collections/docs")).json()["description"] == "first"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Bad Name"}, "body.name"),
        ({"name": ""}, "body.name"),
        ({"name": "x" * 64}, "body.name"),
        ({}, "body.name"),
        ({"name": "ok", "dimensions": 768}, "body.dimensions"),
        ({"name": "ok", "distance": "manhattan"}, "body.distance"),
        ({"name": "ok", "chunking": {"chunk_size": 8}}, "body.chunking.chunk_size"),
        ({"name": "ok", "chunking": {"chunk_size": 5000}}, "body.chunking.chunk_size"),
        (
            {"name": "ok", "chunking": {"chunk_size": 64, "chunk_overlap": 64}},
            "body.chunking.chunk_overlap",
        ),
        ({"name": "ok", "colour": "red"}, "body"),
    ],
)
async def test_bad_create_names_the_field_and_writes_nothing(
    client: Any, settings: Settings, body: dict[str, Any], field: str
) -> None:
    response = await client.post("/api/v1/collections", json=body)
    assert response.status_code == 422
    problem = response.json()
    assert problem["status"] == 422
    assert problem["field"].startswith(field)
    assert problem["request_id"] == response.headers["x-request-id"]
    assert (await client.get("/api/v1/collections")).json()["items"] == []
    shards = settings.data_path / "vectors" / "collections"
    assert not any(shards.iterdir())


async def test_chunks_longer_than_the_embedder_reads_are_refused(client: Any) -> None:
    """MiniLM reads 256 word pieces with [CLS] and [SEP]: a longer chunk's tail is unseen."""
    created = await client.post(
        "/api/v1/collections", json={"name": "docs", "chunking": {"chunk_size": 255}}
    )
    assert created.status_code == 422
    assert created.json()["field"] == "body.chunking.chunk_size"
    assert "254" in created.json()["detail"]
    ok = await client.post(
        "/api/v1/collections", json={"name": "docs", "chunking": {"chunk_size": 254}}
    )
    assert ok.status_code == 201

    patched = await client.patch(
        "/api/v1/collections/docs", json={"chunking": {"chunk_size": 5000}}
    )
    assert patched.status_code == 422
    assert patched.json()["field"] == "body.chunking.chunk_size"
    assert "254" in patched.json()["detail"]
    assert (await client.get("/api/v1/collections/docs")).json()["chunking"]["chunk_size"] == 254


async def test_unknown_collection_is_404_and_bad_name_is_400(client: Any) -> None:
    missing = await client.get("/api/v1/collections/nope")
    assert missing.status_code == 404
    assert (await client.delete("/api/v1/collections/nope")).status_code == 404
    assert (await client.patch("/api/v1/collections/nope", json={})).status_code == 404
    bad = await client.get("/api/v1/collections/NOT_VALID")
    assert bad.status_code == 400
    assert bad.json()["field"] == "path.name"


async def test_malformed_json_is_400_problem(client: Any) -> None:
    response = await client.post(
        "/api/v1/collections", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_collections_survive_a_restart(settings: Settings, data_dir: Path) -> None:
    async with app_client(settings) as first:
        await first.post("/api/v1/collections", json={"name": "kept", "description": "still here"})
    async with app_client(settings) as second:
        response = await second.get("/api/v1/collections/kept")
    assert response.status_code == 200
    assert response.json()["description"] == "still here"
