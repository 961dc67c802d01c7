"""Client mistakes are 4xx problem+json naming what is wrong, never a 500 (issue #18, item 8)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SettingsFactory, app_client

DOCS = "/api/v1/collections/docs/documents"


def _problem(response: Any, *statuses: int) -> dict[str, Any]:
    assert response.status_code in statuses, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "Traceback" not in response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize(
    "path",
    ["/api/v1/collections", DOCS, "/api/v1/search", "/api/v1/query"],
)
async def test_deeply_nested_json_is_a_400(twin_api: Any, path: str) -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    response = await twin_api.post(path, content=body, headers={"content-type": "application/json"})
    problem = _problem(response, 400)
    assert "nest" in problem["detail"]


async def test_invalid_utf8_in_json_is_a_400(twin_api: Any) -> None:
    body = b'{"name": "caf\xe9"}'
    response = await twin_api.post(
        "/api/v1/collections", content=body, headers={"content-type": "application/json"}
    )
    problem = _problem(response, 400)
    assert "UTF-8" in problem["detail"]


async def test_json_sent_as_text_plain_is_a_415(twin_api: Any) -> None:
    response = await twin_api.post(
        "/api/v1/collections", content=b'{"name": "docs"}', headers={"content-type": "text/plain"}
    )
    problem = _problem(response, 415)
    assert "application/json" in problem["detail"]
    listed = await twin_api.get("/api/v1/collections")
    assert listed.json()["items"] == []


async def test_nul_in_a_sync_path_is_a_422_naming_the_field(
    make_settings: SettingsFactory, tmp_path: Path
) -> None:
    async with app_client(make_settings(ingest__allowed_roots=str(tmp_path))) as http:
        await http.post("/api/v1/collections", json={"name": "docs"})
        response = await http.post("/api/v1/collections/docs/sync", json={"path": "a\u0000b"})
    problem = _problem(response, 422)
    assert problem["field"] == "body.path"


async def test_nul_in_document_text_is_refused_as_for_files(twin_api: Any) -> None:
    await twin_api.post("/api/v1/collections", json={"name": "docs"})
    response = await twin_api.post(DOCS, json={"documents": [{"text": "hello\u0000world"}]})
    problem = _problem(response, 422)
    assert problem["field"] == "body.documents[0].text"


@pytest.mark.parametrize(
    ("metadata", "limit"),
    [
        ({"tags": ["x"] * 101}, "length <= 100"),
        ({"tags": ["x" * 1025]}, "length <= 1024"),
        ({"note": "x" * 1025}, "length <= 1024"),
    ],
    ids=["list-too-long", "list-item-too-long", "value-too-long"],
)
async def test_metadata_values_and_lists_have_limits(
    twin_api: Any, metadata: dict[str, Any], limit: str
) -> None:
    await twin_api.post("/api/v1/collections", json={"name": "docs"})
    response = await twin_api.post(DOCS, json={"documents": [{"text": "hi", "metadata": metadata}]})
    problem = _problem(response, 422)
    # msgspec names a map's values ``[...]``, not by key
    assert problem["field"].startswith("body.documents[0].metadata")
    assert limit in problem["detail"]


async def test_nested_metadata_is_refused(twin_api: Any) -> None:
    await twin_api.post("/api/v1/collections", json={"name": "docs"})
    nested = {"a": {"b": {"c": 1}}}
    response = await twin_api.post(DOCS, json={"documents": [{"text": "hi", "metadata": nested}]})
    problem = _problem(response, 422)
    assert problem["field"].startswith("body.documents[0].metadata")
