"""Writes that meet a reindex: the write gate, and a write that spans the switch."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import msgspec

from ragmono.adapters.embedders import EmbedderRegistry
from ragmono.adapters.memory import HashingEmbedder, MemoryVectorStore, SimpleSparseEncoder
from ragmono.adapters.tokenizer import load_chunking_tokenizer
from ragmono.domain import CollectionSpec, EmbedderRef, Reader
from ragmono.modules.ingest import Chunker, DocumentInput, DocumentResult, DocumentWriter, WriteGate
from ragmono.ports import Embedder
from tests.support.ingest import make_collection


async def test_a_holder_waits_for_running_writes_and_new_writes_wait_for_it() -> None:
    gate = WriteGate()
    events: list[str] = []
    writing = asyncio.Event()
    finish_write = asyncio.Event()

    async def writer(tag: str, first: asyncio.Event | None = None) -> None:
        async with gate.writing("docs"):
            events.append(f"{tag} in")
            if first is not None:
                first.set()
                await finish_write.wait()
            events.append(f"{tag} out")

    async def holder() -> None:
        async with gate.held("docs"):
            events.append("hold in")
            await asyncio.sleep(0.01)
            events.append("hold out")

    early = asyncio.create_task(writer("early", writing))
    await writing.wait()
    held = asyncio.create_task(holder())
    await asyncio.sleep(0.01)
    late = asyncio.create_task(writer("late"))
    other = asyncio.create_task(_other_collection(gate, events))
    await asyncio.sleep(0.01)
    assert events == ["early in", "other"]  # the hold waits; another collection does not
    finish_write.set()
    await asyncio.gather(early, held, late, other)
    assert events == [
        "early in",
        "other",
        "early out",
        "hold in",
        "hold out",
        "late in",
        "late out",
    ]


async def _other_collection(gate: WriteGate, events: list[str]) -> None:
    async with gate.writing("other"):
        events.append("other")


async def test_a_write_that_spans_a_switch_stores_only_vectors_of_the_new_embedder() -> None:
    old, new = HashingEmbedder(64), HashingEmbedder(32)
    new._ref = EmbedderRef(provider="other", model="m", dimensions=32)

    async def opener(model: str, dimensions: int) -> Embedder:
        return new

    store = MemoryVectorStore()
    spec = await make_collection(store, old)
    writer = DocumentWriter(
        store,
        EmbedderRegistry(old, {"other": opener}),
        SimpleSparseEncoder(),
        Chunker(load_chunking_tokenizer),
        batch_chunks=1,
    )

    async def documents() -> AsyncIterator[DocumentInput | DocumentResult]:
        for i in range(6):
            if i == 2:  # a reindex switches the collection while the write is under way
                live = await store.get_collection("docs")
                assert live is not None
                await store.update_collection(msgspec.structs.replace(live, embedder=new.ref))
            yield DocumentInput(id=f"d{i}", text=f"document number {i} about topic {i}")

    results = await writer.write(spec, documents())
    assert [r.status for r in results] == ["created"] * 6
    stored = store._collections["docs"].points.values()
    sizes = {p.chunk.document_id: len(p.dense) for p in stored}
    assert {sizes[f"d{i}"] for i in range(2, 6)} == {32}  # none with the old embedder's size
    assert len(sizes) == 6


async def test_the_cache_key_changes_with_the_embedder() -> None:
    from ragmono.modules.query.cache import ResultCache

    cache = ResultCache(None, ttl_s=0, kind="search")
    spec = CollectionSpec(name="docs", embedder=HashingEmbedder(64).ref)
    moved = msgspec.structs.replace(
        spec, embedder=EmbedderRef(provider="o", model="m", dimensions=64), storage="docs.x"
    )
    reader = Reader()
    assert cache.key(spec, "q", 3, reader=reader) != cache.key(moved, "q", 3, reader=reader)
