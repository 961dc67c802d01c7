"""Seed API contract, collections side: the rag-services routes the dashboard's
``collectionsService`` calls, plus ``/models`` and ``/status``, against a live server.

Field names and types as in seed-api.md sections 2.1, 3.1 and 3.2 (status).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.corpus import HANDBOOK
from tests.support.live_server import LiveServer
from tests.support.seed_api import create_and_ingest, live_seed_server, seed_client

FILES = len(HANDBOOK)
COLLECTION_KEYS = {
    "name",
    "description",
    "directory",
    "embeddingModel",
    "chunkSize",
    "chunkOverlap",
    "fileTypes",
    "recursive",
    "enabled",
    "autoUpdate",
    "stats",
}
STATS_TYPES: dict[str, type | tuple[type, ...]] = {
    "vectorsCount": int,
    "pointsCount": int,
    "segmentsCount": int,
    "status": str,
    "totalFiles": int,
    "indexedFiles": int,
    "pendingFiles": int,
    "orphanChunks": int,
    "chunkCount": int,
    "directorySizeBytes": int,
    "directorySizeMB": (int, float),
}


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("seed-collections")


@pytest.fixture(scope="module")
def server(root: Path) -> Iterator[LiveServer]:
    yield from live_seed_server(root)


@pytest.fixture
def http(server: LiveServer) -> Iterator[httpx.Client]:
    with seed_client(server) as client:
        yield client


def data_of(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is True
    assert set(body) == {"success", "data", "meta"}
    assert body["meta"]["requestId"] == response.headers["X-Request-ID"]
    assert body["meta"]["version"] == "v1"
    return body["data"]


def error_of(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False
    assert set(body) == {"success", "error", "meta"}
    error: dict[str, Any] = body["error"]
    assert isinstance(error["code"], str)
    assert isinstance(error["message"], str)
    return error


def assert_collection(item: dict[str, Any], *, stats: bool) -> None:
    assert set(item) == COLLECTION_KEYS
    assert isinstance(item["fileTypes"], list)
    for key in ("chunkSize", "chunkOverlap"):
        assert isinstance(item[key], int)
    for key in ("recursive", "enabled", "autoUpdate"):
        assert isinstance(item[key], bool)
    if stats:
        assert set(item["stats"]) == set(STATS_TYPES)
        for key, kind in STATS_TYPES.items():
            assert isinstance(item["stats"][key], kind), key
    else:
        assert item["stats"] is None


def test_the_dashboard_lifecycle_create_ingest_list_update_files_delete(
    http: httpx.Client, root: Path
) -> None:
    docs = root / "docs"
    ingested = create_and_ingest(http, "handbook", docs)
    job = ingested["job"]
    assert ingested["message"] == "Ingestion job created"
    assert job["status"] == "COMPLETED"
    assert len(job["jobId"]) >= 16
    assert f"{FILES} created" in job["message"]
    assert set(ingested["stats"]) == {"total_duration_ms", "llamaindex_duration_ms"}

    # useRagManager's list call, headers and all.
    listed = data_of(
        http.get(
            "/collections",
            params={"useCache": "false", "_t": "1733300000000"},
            headers={"Cache-Control": "no-cache, no-store, must-revalidate", "Pragma": "no-cache"},
        )
    )
    assert listed["total"] == 1
    item = listed["collections"][0]
    assert_collection(item, stats=True)
    assert item["name"] == "handbook"
    assert item["directory"] == str(docs)
    assert item["embeddingModel"] == "all-MiniLM-L6-v2", "the model that really embeds it"
    assert item["stats"]["totalFiles"] == FILES == item["stats"]["indexedFiles"]
    assert item["stats"]["pointsCount"] >= FILES

    one = data_of(http.get("/collections/handbook"))
    assert one["config"] is None
    assert_collection({k: v for k, v in one.items() if k != "config"}, stats=True)

    updated = data_of(
        http.put(
            "/collections/handbook",
            json={"description": "HR and office rules", "chunkSize": 200, "autoUpdate": True},
        )
    )
    assert updated["message"] == "Collection updated successfully"
    assert_collection(updated["collection"], stats=False)
    assert updated["collection"]["description"] == "HR and office rules"
    assert updated["collection"]["chunkSize"] == 200
    assert updated["collection"]["autoUpdate"] is True
    assert updated["collection"]["directory"] == str(docs), "kept"

    files = data_of(http.get("/collections/handbook/files"))
    paths = {f["path"]: f for f in files["files"]}
    assert "docs/handbook/leave.md" in paths
    leave = paths["docs/handbook/leave.md"]
    assert leave["status"] == "indexed"
    assert leave["chunkCount"] == 1
    assert leave["sizeBytes"] == (docs / "handbook" / "leave.md").stat().st_size
    assert isinstance(leave["lastModified"], str)
    summary = files["summary"]
    assert summary["totalFiles"] == FILES
    assert summary["totalChunks"] >= FILES
    assert set(summary) == {
        "totalFiles",
        "totalChunks",
        "totalSizeBytes",
        "totalSizeMB",
        "avgChunksPerFile",
        "avgFileSizeKB",
    }

    stats = data_of(http.get("/collections/handbook/stats"))
    assert stats["collection"] == "handbook"
    assert stats["cached"] is False
    assert stats["stats"]["metrics"]["totalFiles"] == FILES
    assert stats["stats"]["qdrant"]["points_count"] >= FILES

    (docs / "office" / "kitchen.md").unlink()
    cleaned = data_of(http.post("/collections/handbook/clean-orphans"))
    assert cleaned == {
        "message": "Removed 1 orphaned file(s)",
        "collection": "handbook",
        "deletedChunks": 1,
        "deletedFiles": 1,
    }
    after = data_of(http.get("/collections/handbook/files"))
    assert "docs/office/kitchen.md" not in {f["path"] for f in after["files"]}

    points = data_of(http.get("/collections/handbook"))["stats"]["pointsCount"]
    deleted = data_of(http.delete("/collections/handbook"))
    assert deleted == {
        "message": "Collection deleted successfully",
        "deletedCollection": {
            "name": "handbook",
            "stats": {"vectorsCount": points, "pointsCount": points},
        },
    }
    assert error_of(http.get("/collections/handbook"), 404)["code"] == "COLLECTION_NOT_FOUND"


def test_create_applies_the_seed_rules_and_reports_duplicates(
    http: httpx.Client, root: Path
) -> None:
    body = {
        "name": "rules",
        "description": "x",
        "directory": str(root / "docs"),
        "embeddingModel": "mxbai-embed-large",
        "fileTypes": ["md", "txt"],
    }
    created = data_of(http.post("/collections", json=body), 201)
    assert created["message"] == "Collection created successfully"
    assert_collection(created["collection"], stats=False)
    assert created["collection"]["recursive"] is True
    assert created["collection"]["enabled"]
    assert created["collection"]["autoUpdate"] is False
    again = error_of(http.post("/collections", json=body), 409)
    assert again["code"] == "COLLECTION_ALREADY_EXISTS"
    for change, field in [
        ({"name": "Bad Name"}, "name"),
        ({"name": "-leading-dash"}, "name"),
        ({"fileTypes": []}, "fileTypes"),
        ({"directory": "relative/path"}, "directory"),
        ({"chunkSize": 64}, "chunkSize"),
        ({"embeddingModel": "gpt-4"}, "embeddingModel"),
    ]:
        error = error_of(http.post("/collections", json={**body, **change}), 400)
        assert error["code"] == "VALIDATION_ERROR"
        assert error["message"].startswith(field)
    missing = error_of(http.post("/collections", json={"name": "x"}), 400)
    assert missing["message"] == "description: required"
    null_body = error_of(http.post("/collections", content=b"null"), 400)
    assert null_body["code"] == "VALIDATION_ERROR", "the seed answered 500 to Postman's null"
    assert http.delete("/collections/rules").status_code == 200


def test_unknown_collections_get_the_seed_404s(http: httpx.Client) -> None:
    for method, path in [
        ("GET", "/collections/ghost"),
        ("PUT", "/collections/ghost"),
        ("DELETE", "/collections/ghost"),
        ("GET", "/collections/ghost/stats"),
        ("POST", "/collections/ghost/ingest"),
        ("GET", "/collections/{name}"),  # Postman (rag-services) sends the placeholder
    ]:
        response = http.request(method, path, json={} if method == "PUT" else None)
        assert error_of(response, 404)["code"] == "COLLECTION_NOT_FOUND", path
    # These two answered without the envelope in rag-services.
    for method, path in [
        ("GET", "/collections/{name}/files"),
        ("GET", "/collections/ghost/files"),
        ("POST", "/collections/ghost/clean-orphans"),
    ]:
        response = http.request(method, path)
        assert response.status_code == 404
        assert response.json() == {"error": "Collection not found", "code": "COLLECTION_NOT_FOUND"}


def test_ingest_outside_the_allowed_roots_is_refused(http: httpx.Client) -> None:
    created = http.post(
        "/collections",
        json={
            "name": "outside",
            "description": "x",
            "directory": "/etc",
            "embeddingModel": "nomic-embed-text",
            "fileTypes": ["conf"],
        },
    )
    assert created.status_code == 201
    refused = error_of(http.post("/collections/outside/ingest"), 403)
    assert "outside the allowed roots" in refused["message"]
    assert http.delete("/collections/outside").status_code == 200


def test_models_lists_the_embedders_in_the_seed_shape(http: httpx.Client) -> None:
    data = data_of(http.get("/models"))
    assert data["default"] == "all-MiniLM-L6-v2"
    assert data["total"] == len(data["models"]) >= 1
    assert data["available"] >= 1
    model = data["models"][0]
    assert set(model) == {
        "name",
        "dimensions",
        "description",
        "isDefault",
        "available",
        "capabilities",
        "performance",
        "useCase",
    }
    assert model == {**model, "name": "all-MiniLM-L6-v2", "dimensions": 384, "isDefault": True}
    assert model["performance"] in {"fast", "balanced", "quality"}


def test_status_has_the_fields_the_dashboard_status_types_read(
    http: httpx.Client, root: Path
) -> None:
    create_and_ingest(http, "documentation", root / "docs" / "it")
    response = http.get("/status")
    assert response.status_code == 200
    body = response.json()
    assert "success" not in body, "documentation-api's /status is a bare object"
    assert body["requestedCollection"] == "documentation"
    for name in ("query", "ingestion", "ollama", "redis", "collections"):
        service = body["services"][name]
        assert set(service) == {"ok", "status", "message"}
        assert service["ok"] is True
    qdrant = body["qdrant"]
    assert qdrant["collection"] == qdrant["activeCollection"] == "documentation"
    assert qdrant["ok"] is True
    assert qdrant["status"] == "ready"
    assert qdrant["count"] >= 1
    assert qdrant["sample"] == []
    assert {"name": "documentation", "count": qdrant["count"]} in body["collections"]
    assert body["cached"] is False
    assert body["gpuPolicy"] is None
    missing = http.get("/status", params={"collection": "ghost"}).json()["qdrant"]
    assert (missing["ok"], missing["status"], missing["count"]) == (False, "missing", None)
    assert http.delete("/collections/documentation").status_code == 200
