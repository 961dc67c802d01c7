"""The OpenAPI document is served and generated from the msgspec types."""

from __future__ import annotations

from typing import Any


async def test_schema_lists_the_collection_routes(client: Any) -> None:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/collections" in paths
    assert "/api/v1/collections/{name}" in paths
