"""The embedded qdrant-edge adapter: catalog, points, filters, modes, persistence, ownership."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragmono.adapters.bm25 import Bm25Encoder
from ragmono.adapters.memory import HashingEmbedder
from ragmono.adapters.qdrant.embedded.embedded_store import EmbeddedVectorStore
from ragmono.domain import (
    AnyOf,
    Chunk,
    ChunkPoint,
    CollectionSpec,
    EmbedderRef,
    Filter,
    Match,
    Range,
    VectorQuery,
)
from ragmono.errors import Conflict, DependencyUnavailable, NotFound

TEXTS = {
    "a": "The lighthouse keeper climbed the spiral stairs at dusk.",
    "b": "Quarterly revenue grew because of strong cloud sales.",
    "c": "Error code ZX-4471 means the disk controller timed out.",
}
SPEC = CollectionSpec(
    name="docs", embedder=EmbedderRef(provider="hashing", model="h", dimensions=64)
)


async def _points() -> list[ChunkPoint]:
    embedder, bm25 = HashingEmbedder(64), Bm25Encoder()
    vectors = await embedder.embed_documents(list(TEXTS.values()))
    return [
        ChunkPoint(
            id=f"00000000-0000-0000-0000-00000000000{i}",
            dense=vec,
            sparse=bm25.encode_document(text),
            chunk=Chunk(
                document_id=doc,
                source=f"{doc}.md",
                chunk_index=i,
                chunk_total=3,
                content_hash=doc * 8,
                text=text,
                metadata={"year": 2020 + i},
            ),
        )
        for i, ((doc, text), vec) in enumerate(zip(TEXTS.items(), vectors, strict=True))
    ]


@pytest.fixture
async def store(data_dir: Path):  # type: ignore[no-untyped-def]
    s = EmbeddedVectorStore(data_dir, optimize_delay_s=0)
    await s.create_collection(SPEC)
    await s.upsert("docs", await _points())
    yield s
    await s.close()


async def test_modes_and_filters(store: EmbeddedVectorStore) -> None:
    embedder, bm25 = HashingEmbedder(64), Bm25Encoder()
    dense = await embedder.embed_query("lighthouse spiral stairs")
    hits = await store.search("docs", VectorQuery(mode="dense", limit=3, dense=dense))
    assert hits[0].chunk.document_id == "a"

    sparse = bm25.encode_query("ZX-4471")
    keyword = await store.search("docs", VectorQuery(mode="keyword", limit=3, sparse=sparse))
    assert [h.chunk.document_id for h in keyword] == ["c"]

    hybrid = await store.search(
        "docs", VectorQuery(mode="hybrid", limit=3, dense=dense, sparse=sparse)
    )
    assert {h.chunk.document_id for h in hybrid[:2]} == {"a", "c"}

    only_b = Filter(must=[Match(key="source", value="b.md")])
    filtered = await store.search(
        "docs", VectorQuery(mode="dense", limit=3, dense=dense, filter=only_b)
    )
    assert [h.chunk.document_id for h in filtered] == ["b"]
    ranged = Filter(
        must=[Range(key="metadata.year", gte=2021), AnyOf(key="document_id", values=["a", "c"])]
    )
    assert await store.count("docs", ranged) == 1


async def test_reupsert_replaces_and_delete_by_filter(store: EmbeddedVectorStore) -> None:
    await store.upsert("docs", await _points())
    assert await store.count("docs") == 3
    await store.delete("docs", Filter(must=[Match(key="document_id", value="a")]))
    assert await store.count("docs") == 2
    page, nxt = await store.scroll("docs", None, limit=1)
    assert len(page) == 1
    assert nxt is not None
    rest, end = await store.scroll("docs", None, limit=10, offset=nxt)
    assert len(rest) == 1
    assert end is None


async def test_catalog_and_points_survive_reopen(
    store: EmbeddedVectorStore, data_dir: Path
) -> None:
    await store.close()
    reopened = EmbeddedVectorStore(data_dir)
    try:
        assert [c.name for c in await reopened.list_collections()] == ["docs"]
        assert await reopened.count("docs") == 3
    finally:
        await reopened.close()


async def test_duplicate_missing_and_single_owner(
    store: EmbeddedVectorStore, data_dir: Path
) -> None:
    with pytest.raises(Conflict):
        await store.create_collection(SPEC)
    with pytest.raises(NotFound):
        await store.count("nope")
    with pytest.raises(DependencyUnavailable, match="in use"):
        EmbeddedVectorStore(data_dir)


async def test_optimize_builds_the_index(store: EmbeddedVectorStore) -> None:
    await store.optimize("docs")
    task = store._optimize_tasks["docs"]
    await task
    assert (await store.stats("docs")).points == 3
