"""The writer: idempotent upserts, no stale chunks, crash safety, versions, order of results."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragmono.adapters.memory import HashingEmbedder, SimpleSparseEncoder
from ragmono.domain import EmbedderRef, Filter, Match, VectorQuery
from ragmono.errors import Conflict, NotFound
from ragmono.modules.ingest import DocumentInput, DocumentResult, point_id
from ragmono.modules.ingest.executors import iterate
from ragmono.ports import VectorStore
from tests.support.ingest import CrashingStore, make_collection, make_rig, words


async def _chunks(store: VectorStore, doc_id: str) -> list[tuple[int, int, str]]:
    page, _ = await store.scroll(
        "docs", Filter(must=[Match(key="document_id", value=doc_id)]), 1000
    )
    return sorted((c.chunk.chunk_index, c.chunk.chunk_total, c.chunk.content_hash) for c in page)


async def test_created_then_unchanged_then_updated(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    spec = await make_collection(rig.store, rig.embedder)
    doc = DocumentInput(id="a", text=words(20), source="a.txt")

    first = await rig.writer.write(spec, iterate([doc]))
    assert [r.status for r in first] == ["created"]
    assert first[0].chunks > 2
    points = await rig.store.count("docs")
    assert points == first[0].chunks
    version = (await rig.store.get_collection("docs")).version  # type: ignore[union-attr]

    again = await rig.writer.write(spec, iterate([doc]))
    assert [r.status for r in again] == ["unchanged"]
    assert await rig.store.count("docs") == points
    # Nothing was written, so caches may keep what they hold.
    assert (await rig.store.get_collection("docs")).version == version  # type: ignore[union-attr]

    changed = DocumentInput(id="a", text=words(20, seed="v"), source="a.txt")
    updated = await rig.writer.write(spec, iterate([changed]))
    assert [r.status for r in updated] == ["updated"]
    assert (await rig.store.get_collection("docs")).version > version  # type: ignore[union-attr]


async def test_point_ids_are_uuid5_of_collection_document_and_index(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    spec = await make_collection(rig.store, rig.embedder)
    await rig.writer.write(spec, iterate([DocumentInput(id="a", text=words(10))]))
    page, _ = await rig.store.scroll("docs", None, 100)
    assert {p.id for p in page} == {point_id("docs", "a", c.chunk.chunk_index) for c in page}
    assert all(c.chunk.chunk_total == len(page) for c in page)


async def test_metadata_change_is_a_change(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    spec = await make_collection(rig.store, rig.embedder)
    await rig.writer.write(spec, iterate([DocumentInput(id="a", text="Same text.")]))
    tagged = DocumentInput(id="a", text="Same text.", metadata={"team": "blue"})
    assert [r.status for r in await rig.writer.write(spec, iterate([tagged]))] == ["updated"]
    page, _ = await rig.store.scroll("docs", None, 10)
    assert page[0].chunk.metadata["team"] == "blue"


async def test_shrinking_leaves_no_stale_chunks(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    spec = await make_collection(rig.store, rig.embedder)
    await rig.writer.write(spec, iterate([DocumentInput(id="a", text=words(40))]))
    long_count = await rig.store.count("docs")
    assert long_count > 4
    await rig.writer.write(spec, iterate([DocumentInput(id="a", text="Now just one line.")]))
    stored = await _chunks(rig.store, "a")
    assert [(i, total) for i, total, _ in stored] == [(0, 1)]
    assert await rig.store.count("docs") == 1


async def test_crash_mid_update_is_rewritten_not_called_unchanged(tmp_path: Path) -> None:
    store = CrashingStore()
    rig = make_rig(tmp_path, store=store, batch_chunks=2)
    spec = await make_collection(store, rig.embedder)
    await rig.writer.write(spec, iterate([DocumentInput(id="a", text=words(10))]))
    v2 = DocumentInput(id="a", text=words(16, seed="v"))

    store.crash_on_upsert = store.upserts + 2  # dies after one more batch of v2
    with pytest.raises(RuntimeError, match="simulated crash"):
        await rig.writer.write(spec, iterate([v2]))
    head_hash = {h for i, _, h in await _chunks(store, "a") if i == 0}
    store.crash_on_upsert = None

    redo = await rig.writer.write(spec, iterate([v2]))
    assert redo[0].status == "updated"  # chunk 0 still had v1's hash: never "unchanged"
    stored = await _chunks(store, "a")
    assert len({h for _, _, h in stored}) == 1
    assert {h for _, _, h in stored} != head_hash
    assert [i for i, _, _ in stored] == list(range(redo[0].chunks))


async def test_crash_before_stale_cleanup_is_repaired_next_time(tmp_path: Path) -> None:
    store = CrashingStore()
    rig = make_rig(tmp_path, store=store)
    spec = await make_collection(store, rig.embedder)
    await rig.writer.write(spec, iterate([DocumentInput(id="a", text=words(30))]))
    short = DocumentInput(id="a", text="Short now.")
    store.crash_on_delete = True
    with pytest.raises(RuntimeError):
        await rig.writer.write(spec, iterate([short]))
    # The new chunk 0 is in (the document is never empty) but old chunks linger...
    assert await store.count("docs") > 1
    store.crash_on_delete = False
    # ...so the same content is not "unchanged": the count disagrees with the total.
    redo = await rig.writer.write(spec, iterate([short]))
    assert redo[0].status == "updated"
    assert await store.count("docs") == 1


async def test_results_keep_input_order_and_failures_pass_through(tmp_path: Path) -> None:
    rig = make_rig(tmp_path, batch_chunks=3)
    spec = await make_collection(rig.store, rig.embedder)
    failed = DocumentResult(id="bad", status="failed", error="no", error_status=415)
    items = [
        DocumentInput(id="a", text=words(12)),
        failed,
        DocumentInput(id="b", text="tiny"),
        DocumentInput(id="c", text=words(7)),
    ]
    results = await rig.writer.write(spec, iterate(items))
    assert [r.id for r in results] == ["a", "bad", "b", "c"]
    assert [r.status for r in results] == ["created", "failed", "created", "created"]
    assert await rig.store.count("docs") == sum(r.chunks for r in results)


async def test_every_chunk_gets_dense_and_keyword_vectors(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    spec = await make_collection(rig.store, rig.embedder)
    await rig.writer.write(spec, iterate([DocumentInput(id="a", text=words(10))]))
    query = SimpleSparseEncoder().encode_query("number 7")
    hits = await rig.store.search("docs", VectorQuery(mode="keyword", limit=5, sparse=query))
    assert hits
    assert "number 7" in hits[0].chunk.text


async def test_markdown_sections_and_pages_land_in_chunk_metadata(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    spec = await make_collection(rig.store, rig.embedder, chunk_size=64)
    md = DocumentInput(
        id="md", text="# Guide\n\n## Setup\n\n" + words(12), markdown=True, metadata={"title": "G"}
    )
    pdf = DocumentInput(id="pdf", text=words(8, "p1") + "\f" + words(8, "p2"))
    await rig.writer.write(spec, iterate([md, pdf]))
    page, _ = await rig.store.scroll("docs", None, 100)
    md_meta = [c.chunk.metadata for c in page if c.chunk.document_id == "md"]
    assert all(m["title"] == "G" and m["section"] == "Guide > Setup" for m in md_meta)
    pdf_pages = {c.chunk.metadata["page"] for c in page if c.chunk.document_id == "pdf"}
    assert pdf_pages == {1, 2}


async def test_an_embedder_not_available_here_is_409_naming_it(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    other = HashingEmbedder(64)
    other._ref = EmbedderRef(provider="ollama", model="nomic-embed-text", dimensions=64)
    await make_collection(rig.store, other)
    with pytest.raises(Conflict) as caught:
        await rig.writer.open("docs")
    assert "ollama/nomic-embed-text is not available here" in caught.value.detail
    with pytest.raises(NotFound):
        await rig.writer.open("missing")


async def test_stop_between_documents(tmp_path: Path) -> None:
    rig = make_rig(tmp_path, batch_chunks=1)
    spec = await make_collection(rig.store, rig.embedder)
    done: list[str] = []

    class StopAfterFirst:
        async def planned(self, position: int, chunks: int) -> None: ...
        async def written(self, chunks: int) -> None: ...
        async def document_done(self, position: int, result: DocumentResult) -> None:
            done.append(result.id)

        async def should_stop(self) -> bool:
            return bool(done)

    docs = [DocumentInput(id=f"d{i}", text=words(3)) for i in range(5)]
    results = await rig.writer.write(spec, iterate(docs), StopAfterFirst())
    assert 1 <= len(results) < 5
    assert await rig.store.count("docs", Filter(must=[Match(key="document_id", value="d4")])) == 0
