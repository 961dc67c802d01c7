"""Reindex in server mode: a Qdrant alias per collection, switched atomically by the reindex.

Qdrant is the twin (relaying to a real node when ``RAGMONO_TEST_QDRANT_URLS`` is set); the new
embedder is the Ollama double. Aliases are read back through Qdrant's own API.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from qdrant_client import QdrantClient

from ragmono.domain import CollectionSpec, EmbedderRef
from tests.conftest import SettingsFactory, app_client
from tests.support.ollama_server import OllamaDouble, hashed_embedding
from tests.support.qdrant_twin import QdrantTwin
from tests.support.vector_stores import real_urls

pytestmark = pytest.mark.filterwarnings("ignore:Payload indexes have no effect:UserWarning")

COLLECTIONS = "/api/v1/collections"
MODEL, DIMS = "hash-embed", 48
QUERY = "who feeds the aquarium fish"
TEXTS = [
    "the aquarium fish are fed by the caretaker at noon",
    "the car park barrier opens with a badge",
    "quarterly reports are due in march",
    "the coffee machine is cleaned on fridays",
    "visitors sign in at the front desk",
    "the server room stays at eighteen degrees",
]


@pytest.fixture
def twin() -> Iterator[QdrantTwin]:
    urls = real_urls()
    node = QdrantTwin(upstream=urls[0] if urls else None)
    yield node
    node.close()


def aliases(twin: QdrantTwin) -> dict[str, str]:
    client = QdrantClient(url=twin.url, check_compatibility=False)
    try:
        return {a.alias_name: a.collection_name for a in client.get_aliases().aliases}
    finally:
        client.close()


def collections(twin: QdrantTwin) -> set[str]:
    client = QdrantClient(url=twin.url, check_compatibility=False)
    try:
        return {c.name for c in client.get_collections().collections}
    finally:
        client.close()


async def search(http: Any, mode: str = "dense") -> dict[str, Any]:
    body = {"collection": "docs", "query": QUERY, "mode": mode, "top_k": 2}
    response = await http.post("/api/v1/search", json=body)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


async def test_server_mode_switches_the_alias_and_keeps_answering(
    make_settings: SettingsFactory, twin: QdrantTwin, ollama_server: OllamaDouble
) -> None:
    ollama_server.models[MODEL] = "embed"
    ollama_server.embed_dims = DIMS
    settings = make_settings(
        vector_store__mode="server",
        vector_store__url=twin.url,
        ollama__url=ollama_server.url,
        reindex__batch_chunks="1",
        rate_limit__enabled="false",
        cache__ttl_s="0",
    )
    async with app_client(settings) as http:
        assert (await http.post(COLLECTIONS, json={"name": "docs"})).status_code == 201
        first = (await http.get(f"{COLLECTIONS}/docs")).json()["storage"]
        assert first.startswith("docs.")
        assert aliases(twin)["docs"] == first  # created as a physical collection + alias
        docs = [{"id": f"d{i}", "text": t} for i, t in enumerate(TEXTS)]
        written = await http.post(f"{COLLECTIONS}/docs/documents", json={"documents": docs})
        assert written.status_code == 200
        before = await search(http)
        assert before["results"][0]["document_id"] == "d0"

        ollama_server.latency_s = 0.05
        started = await http.post(
            f"{COLLECTIONS}/docs/reindex", json={"embedder": f"ollama/{MODEL}"}
        )
        assert started.status_code == 202, started.text
        location = started.headers["location"]
        answered = 0
        while (job := (await http.get(location)).json())["state"] in ("queued", "running"):
            for mode in ("dense", "hybrid"):
                assert (await search(http, mode))["results"]
                answered += 1
            await asyncio.sleep(0.01)
        assert job["state"] == "succeeded", job
        assert answered >= 2

        described = (await http.get(f"{COLLECTIONS}/docs")).json()
        second = described["storage"]
        assert second.startswith("docs.")
        assert second != first
        assert described["embedder"]["dimensions"] == DIMS
        assert aliases(twin)["docs"] == second
        assert [r["storage"] for r in described["retained"]] == [first]
        assert {first, second} <= collections(twin)

        top = (await search(http))["results"][0]
        assert top["document_id"] == "d0"
        q, t = hashed_embedding(QUERY, DIMS), hashed_embedding(TEXTS[0], DIMS)
        assert top["score"] == pytest.approx(sum(a * b for a, b in zip(q, t, strict=True)), 1e-4)
        assert ollama_server.last_request["input"] == [QUERY]

        dropped = await http.delete(f"{COLLECTIONS}/docs/retained/{first}")
        assert dropped.status_code == 204
        assert first not in collections(twin)
        assert (await search(http, "hybrid"))["results"][0]["document_id"] == "d0"

        assert (await http.delete(f"{COLLECTIONS}/docs")).status_code == 204
        assert "docs" not in aliases(twin)
        assert second not in collections(twin)


async def test_a_collection_made_before_aliases_is_refused_with_a_reason(
    make_settings: SettingsFactory, twin: QdrantTwin, ollama_server: OllamaDouble
) -> None:
    settings = make_settings(
        vector_store__mode="server", vector_store__url=twin.url, ollama__url=ollama_server.url
    )
    async with app_client(settings) as http:
        store = http.app.state.adapters.vector_store
        legacy = CollectionSpec(
            name="legacy",
            embedder=EmbedderRef(provider="local", model="all-MiniLM-L6-v2", dimensions=384),
        )
        await store.catalog.put(legacy)  # as recorded by a version without aliases
        response = await http.post(
            f"{COLLECTIONS}/legacy/reindex", json={"embedder": "ollama/all-minilm"}
        )
        assert response.status_code == 409
        assert "predates Qdrant aliases" in response.json()["detail"]
        assert "legacy" not in aliases(twin)
