"""/api/v1/collections/{name}/documents over HTTP on the real engine and the local embedder."""

from __future__ import annotations

from typing import Any

from ragmono.adapters.memory import HashingEmbedder
from ragmono.domain import ChunkingConfig, CollectionSpec, VectorQuery
from ragmono.settings import Settings
from tests.conftest import app_client

DOCS = "/api/v1/collections/docs/documents"
TOPICS = {
    "lighthouse": "The lighthouse keeper climbed the spiral stairs each evening to light the lamp.",
    "revenue": "Quarterly revenue grew because cloud subscriptions sold far better than forecast.",
    "sourdough": "Feed the sourdough starter flour and water, then let the dough rise overnight.",
}


async def _create(client: Any, chunk_size: int = 512) -> None:
    body = {"name": "docs", "chunking": {"chunk_size": chunk_size, "chunk_overlap": 0}}
    assert (await client.post("/api/v1/collections", json=body)).status_code == 201


async def _points(client: Any) -> int:
    return int((await client.get("/api/v1/collections/docs")).json()["stats"]["points"])


async def _nearest(client: Any, text: str) -> str:
    """The document id of the best dense hit, through the ports (search is another module)."""
    adapters = client.app.state.adapters
    vector = await adapters.embedder.embed_query(text)
    hits = await adapters.vector_store.search(
        "docs", VectorQuery(mode="dense", limit=1, dense=vector)
    )
    return str(hits[0].chunk.document_id)


async def test_paraphrased_content_lands_and_re_ingest_is_idempotent(client: Any) -> None:
    await _create(client)
    body = {"documents": [{"id": k, "text": v, "source": f"{k}.txt"} for k, v in TOPICS.items()]}
    first = await client.post(DOCS, json=body)
    assert first.status_code == 200
    assert [r["status"] for r in first.json()["results"]] == ["created"] * 3
    assert await _nearest(client, "who turns on the light at the tower at night?") == "lighthouse"
    assert await _nearest(client, "sales went up thanks to the cloud business") == "revenue"
    assert await _nearest(client, "how do I bake bread with a starter") == "sourdough"

    points = await _points(client)
    version = (await client.get("/api/v1/collections/docs")).json()["version"]
    for _ in range(2):
        again = await client.post(DOCS, json=body)
        assert [r["status"] for r in again.json()["results"]] == ["unchanged"] * 3
        assert await _points(client) == points
    assert (await client.get("/api/v1/collections/docs")).json()["version"] == version


async def test_shrinking_a_document_leaves_no_stale_chunks_and_delete_removes_all(
    client: Any,
) -> None:
    await _create(client, chunk_size=32)
    long_text = " ".join(f"Paragraph {i} explains part {i} of the manual." for i in range(30))
    created = (await client.post(DOCS, json={"documents": [{"id": "m", "text": long_text}]})).json()
    assert created["results"][0]["chunks"] > 5
    assert await _points(client) == created["results"][0]["chunks"]

    short = {"documents": [{"id": "m", "text": "The manual is now one line."}]}
    assert (await client.post(DOCS, json=short)).json()["results"][0]["status"] == "updated"
    assert await _points(client) == 1
    detail = (await client.get(f"{DOCS}/m")).json()
    assert detail["document"]["chunks"] == 1
    assert [c["text"] for c in detail["items"]] == ["The manual is now one line."]

    assert (await client.delete(f"{DOCS}/m")).status_code == 204
    assert await _points(client) == 0
    assert (await client.get(f"{DOCS}/m")).status_code == 404
    missing = await client.delete(f"{DOCS}/m")
    assert missing.status_code == 404
    assert missing.json()["field"] == "document_id"


async def test_listing_pages_with_a_cursor_and_filters_by_source(client: Any) -> None:
    await _create(client)
    docs = [
        {"id": f"d{i}", "text": f"Note {i} about topic {i}.", "source": f"s{i % 2}"}
        for i in range(5)
    ]
    await client.post(DOCS, json={"documents": docs})
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(DOCS, params=params)).json()
        seen += [d["id"] for d in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == [f"d{i}" for i in range(5)]
    items = (await client.get(DOCS, params={"source": "s0"})).json()["items"]
    assert sorted(d["id"] for d in items) == ["d0", "d2", "d4"]
    assert set(items[0]) >= {"id", "source", "content_hash", "chunks", "status", "updated"}
    assert (await client.get(DOCS, params={"cursor": "nope"})).status_code == 422


async def test_idempotency_key_replays_the_first_response(client: Any) -> None:
    await _create(client)
    body = {"documents": [{"id": "a", "text": "Replay me."}]}
    headers = {"Idempotency-Key": "retry-123"}
    first = await client.post(DOCS, json=body, headers=headers)
    replay = await client.post(DOCS, json=body, headers=headers)
    assert replay.status_code == first.status_code == 200
    assert replay.json() == first.json()
    assert replay.json()["results"][0]["status"] == "created"  # not "unchanged": not re-run
    assert replay.headers["idempotent-replayed"] == "true"
    other = await client.post(DOCS, json={"documents": [{"text": "else"}]}, headers=headers)
    assert other.status_code == 422
    assert other.json()["field"] == "header.Idempotency-Key"


BAD_BODIES = [
    ({"documents": [{"text": ""}]}, "body.documents[0].text"),
    ({"documents": [{"text": "ok"}, {"text": "  \n "}]}, "body.documents[1].text"),
    ({"documents": []}, "body.documents"),
    ({"documents": [{"text": "x", "id": "bad/id"}]}, "body.documents[0].id"),
    ({"documents": [{"text": "x", "colour": "red"}]}, "body.documents[0].colour"),
    ({"documents": [{"text": "x", "format": "pdf"}]}, "body.documents[0].format"),
    ({"documents": [{"text": "x"}] * 1001}, "body.documents"),
]


async def test_bad_documents_are_422_naming_the_field_and_write_nothing(client: Any) -> None:
    await _create(client)
    for body, field in BAD_BODIES:
        response = await client.post(DOCS, json=body)
        assert response.status_code == 422, field
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["field"] == field
    assert await _points(client) == 0


async def test_unknown_collection_is_404(client: Any) -> None:
    response = await client.post(
        "/api/v1/collections/nope/documents", json={"documents": [{"text": "x"}]}
    )
    assert response.status_code == 404
    assert (await client.get("/api/v1/collections/nope/documents")).status_code == 404


async def test_a_collection_whose_embedder_cannot_be_had_is_409(settings: Settings) -> None:
    async with app_client(settings) as http:
        store = http.app.state.adapters.vector_store
        foreign = HashingEmbedder(384).ref
        await store.create_collection(
            CollectionSpec(name="docs", embedder=foreign, chunking=ChunkingConfig())
        )
        response = await http.post(DOCS, json={"documents": [{"text": "x"}]})
    assert response.status_code == 409
    detail = response.json()["detail"]
    assert "hashing/hashing" in detail
    assert "not available" in detail


async def test_the_schema_lists_the_ingest_routes(client: Any) -> None:
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    for path in (
        "/api/v1/collections/{name}/documents",
        "/api/v1/collections/{name}/documents/upload",
        "/api/v1/collections/{name}/documents/{document_id}",
        "/api/v1/collections/{name}/sync",
        "/api/v1/jobs",
        "/api/v1/jobs/{job_id}",
        "/api/v1/jobs/{job_id}/cancel",
    ):
        assert path in paths, path
    upload = paths["/api/v1/collections/{name}/documents/upload"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    header = {
        p["name"] for p in paths["/api/v1/collections/{name}/documents"]["post"]["parameters"]
    }
    assert "Idempotency-Key" in header
