"""The OpenAPI document is served and generated from the msgspec types."""

from __future__ import annotations

from typing import Any


async def test_schema_lists_the_collection_routes(client: Any) -> None:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/collections" in paths
    assert "/api/v1/collections/{name}" in paths


async def test_every_status_an_operation_can_answer_is_documented(client: Any) -> None:
    """503 and 429 everywhere under /api, 413 and 415 where a body is read, 404 where a thing
    is named, 202 where a request can become a job: each with the problem schema (#18, 9)."""
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    checked = 0
    for path, operations in paths.items():
        if not path.startswith("/api/"):
            continue
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation["responses"]
            wanted = {"400", "401", "403", "422", "429", "500", "503"}
            if "requestBody" in operation:
                wanted |= {"404", "409", "413", "415"}
            if "{" in path:
                wanted |= {"404"}
            assert wanted <= set(responses), (method, path, sorted(wanted - set(responses)))
            for status in wanted:
                content = responses[status]["content"]
                assert list(content) == ["application/problem+json"], (method, path, status)
                assert content["application/problem+json"]["schema"]["$ref"].endswith("/Problem")
            checked += 1
    assert checked > 25
    for path in (
        "/api/v1/collections/{name}/documents",
        "/api/v1/collections/{name}/documents/upload",
    ):
        assert "202" in paths[path]["post"]["responses"], path
    assert "503" in paths["/ready"]["get"]["responses"]
    assert "401" in paths["/metrics"]["get"]["responses"]
