"""Seed API contract, search side: ``GET /api/v1/rag/search`` (documentation-api's flat body)
and ``POST /api/v1/rag/query`` (rag-services' envelope), against a live ``ragmono serve``.

Field names and types as in seed-api.md sections 2.1, 2.2, 3.1 and 3.2.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest

from tests.support.live_server import LiveServer
from tests.support.seed_api import create_and_ingest, live_seed_server, seed_client


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    root = tmp_path_factory.mktemp("seed-search")
    for live in live_seed_server(root):
        with seed_client(live) as http:
            # The seed's default collection: requests that name none are served from it.
            create_and_ingest(http, "documentation", root / "docs")
        yield live


@pytest.fixture
def http(server: LiveServer) -> Iterator[httpx.Client]:
    with seed_client(server) as client:
        yield client


def assert_envelope_meta(body: dict[str, Any], request_id: str | None = None) -> None:
    meta = body["meta"]
    assert set(meta) == {"timestamp", "requestId", "version"}
    assert meta["version"] == "v1"
    assert datetime.fromisoformat(meta["timestamp"].replace("Z", "+00:00")).tzinfo is not None
    if request_id is not None:
        assert meta["requestId"] == request_id


# -- GET /search ---------------------------------------------------------------------------------


def test_search_as_k6_sends_it_finds_the_document(http: httpx.Client) -> None:
    response = http.get(
        "/search",
        params={"query": "how many days of paid annual leave", "max_results": 5},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert body["_cacheHit"] is False
    assert body["metadata"] == {
        "query": "how many days of paid annual leave",
        "maxResults": 5,
        "collection": None,
    }
    results = body["results"]
    assert 0 < len(results) <= 5, "k6 script 1 checks results.length > 0"
    for hit in results:
        assert isinstance(hit["content"], str)
        assert hit["content"]
        assert isinstance(hit["relevance"], float)
        meta = hit["metadata"]
        assert isinstance(meta["file_path"], str)
        assert isinstance(meta["file_name"], str)
        assert meta["collection"] == "documentation"
    top = results[0]
    assert "25 days of paid annual leave" in top["content"]
    assert top["metadata"]["file_path"] == "docs/handbook/leave.md"
    assert top["metadata"]["file_name"] == "leave.md"


def test_search_reads_the_aliases_and_clamps_like_documentation_api(http: httpx.Client) -> None:
    aliased = http.get(
        "/search", params={"q": "espresso machine", "k": "2", "col": "documentation"}
    )
    assert aliased.status_code == 200
    assert aliased.json()["metadata"] == {
        "query": "espresso machine",
        "maxResults": 2,
        "collection": "documentation",
    }
    assert len(aliased.json()["results"]) == 2
    infinite = http.get("/search", params={"query": "badge", "max_results": "inf"})
    assert infinite.json()["metadata"]["maxResults"] == 5
    clamped = http.get("/search", params={"query": "badge", "max_results": "500"})
    assert clamped.json()["metadata"]["maxResults"] == 100
    not_a_number = http.get("/search", params={"query": "badge", "max_results": "many"})
    assert not_a_number.json()["metadata"]["maxResults"] == 5


def test_search_errors_are_flat_with_a_string_error(http: httpx.Client) -> None:
    missing = http.get("/search")
    assert missing.status_code == 400
    assert missing.json() == {
        "success": False,
        "error": "ValidationError",
        "message": "query is required (1-10000 characters)",
    }
    for name in ("nope", "../../etc"):
        named = http.get("/search", params={"query": "leave", "collection": name})
        assert named.status_code == 404
    unknown = http.get("/search", params={"query": "leave", "collection": "nope"})
    assert unknown.status_code == 404
    assert unknown.json()["error"] == "NotFoundError"
    assert "nope" in unknown.json()["message"]


def test_search_echoes_the_request_id(http: httpx.Client) -> None:
    response = http.get("/search", params={"query": "leave"}, headers={"X-Request-ID": "k6-vu1-7"})
    assert response.headers["X-Request-ID"] == "k6-vu1-7"


# -- POST /query ---------------------------------------------------------------------------------


def test_query_as_the_dashboard_sends_it(http: httpx.Client) -> None:
    # useRagQuery's body; its default collection is documentation__nomic (section 9.10), so a
    # migrating dashboard names the collection it really uses.
    response = http.post(
        "/query",
        json={
            "query": "How long is a password reset link valid?",
            "collection": "documentation",
            "limit": 10,
            "score_threshold": 0.7,
        },
        headers={"X-Request-ID": "dash-42"},
    )
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == "dash-42"
    body = response.json()
    assert body["success"] is True
    assert "error" not in body
    assert_envelope_meta(body, "dash-42")
    data = body["data"]
    assert data["query"] == "How long is a password reset link valid?"
    assert data["collection"] == "documentation"
    assert data["embeddingModel"] == "all-MiniLM-L6-v2"
    assert "cached" not in data, "present only on a cache hit"
    perf = data["performance"]
    assert set(perf) == {"totalMs", "embeddingMs", "searchMs"}
    assert all(isinstance(v, int | float) for v in perf.values())
    assert 0 < data["totalResults"] == len(data["results"]) <= 10
    for hit in data["results"]:
        assert isinstance(hit["id"], str)
        assert isinstance(hit["score"], float)
        assert hit["source"] == "rag"
        assert hit["collection"] == "documentation"
        assert hit["url"] == f"/docs/{hit['path']}"
        assert hit["title"] == hit["path"].rsplit("/", 1)[-1]
        assert len(hit["snippet"]) <= 300
        meta = hit["metadata"]
        assert meta["file_path"] == hit["path"]
        assert meta["tags"] == []
        assert isinstance(meta["chunk_index"], int)
    assert data["results"][0]["path"] == "docs/it/password.md"
    # What llamaIndexService.queryDocs reads: answer, confidence, sources, metadata.
    assert "30 minutes" in data["answer"]
    assert "[1]" in data["answer"]
    assert 0 < data["confidence"] <= 1
    assert data["sources"][0]["metadata"]["file_name"] == "password.md"
    assert {"content", "relevance", "metadata"} == set(data["sources"][0])
    assert data["metadata"]["query_type"] == "semantic"
    assert data["metadata"]["citations"][0] == 1
    assert data["metadata"]["degraded"] is False


def test_a_repeated_query_says_cached(http: httpx.Client) -> None:
    body = {"query": "Who descales the espresso machine?", "collection": "documentation"}
    first = http.post("/query", json=body).json()["data"]
    again = http.post("/query", json=body).json()["data"]
    assert "cached" not in first
    assert again["cached"] is True
    assert again["answer"] == first["answer"]


def test_query_without_collection_uses_the_default_and_reads_max_results(
    http: httpx.Client,
) -> None:
    response = http.post("/query", json={"query": "visitor badge", "max_results": 2})
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["collection"] == "documentation"
    assert data["totalResults"] == 2


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"query": 5}, "INVALID_QUERY"),
        ({"query": " x "}, "QUERY_TOO_SHORT"),
        ({"query": "x" * 501}, "QUERY_TOO_LONG"),
        ({"query": "leave", "limit": 101}, "LIMIT_EXCEEDED"),
        ({"query": "leave", "limit": "ten"}, "VALIDATION_ERROR"),
        (None, "VALIDATION_ERROR"),
    ],
)
def test_query_rejections_carry_the_seed_codes(http: httpx.Client, body: Any, code: str) -> None:
    response = http.post("/query", json=body, headers={"X-Request-ID": "bad-1"})
    assert response.status_code == 400
    payload = response.json()
    assert payload["success"] is False
    assert "data" not in payload
    assert payload["error"]["code"] == code
    assert isinstance(payload["error"]["message"], str)
    assert payload["error"]["message"]
    assert_envelope_meta(payload, "bad-1")


def test_query_on_an_unknown_collection_is_404_in_the_envelope(http: httpx.Client) -> None:
    response = http.post("/query", json={"query": "leave", "collection": "documentation__nomic"})
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "COLLECTION_NOT_FOUND"
    assert "documentation__nomic" in error["message"]


def test_a_request_without_a_request_id_gets_one_in_header_and_meta(http: httpx.Client) -> None:
    response = http.post("/query", json={"query": "remote work core hours"})
    assert response.status_code == 200
    assert response.json()["meta"]["requestId"] == response.headers["X-Request-ID"] != ""
