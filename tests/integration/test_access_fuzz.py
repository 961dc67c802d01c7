"""Fuzz: random caller label sets, queries, modes and sizes never find a chunk the caller may
not read, and (dense, large enough ``top_k``) find every chunk it may.

The real embedded engine and the in-memory twin, each holding one chunk per combination of up
to two labels, in a ``public`` and a ``restricted`` collection; the search service has a
cache shared by every example, so a result cached for one label set is asked for by others.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ragmono.adapters.cache_memory import MemoryCache
from ragmono.adapters.embedders import EmbedderRegistry
from ragmono.adapters.memory import HashingEmbedder, MemoryVectorStore, SimpleSparseEncoder
from ragmono.adapters.qdrant.embedded.embedded_store import EmbeddedVectorStore
from ragmono.domain import Chunk, ChunkPoint, CollectionSpec, Reader
from ragmono.modules.query import SearchParams, SearchService
from ragmono.ports import VectorStore

DOC_LABELS = ["public", "group:a", "group:b", "user:u", "tenant:t1", "tenant:t2"]
CALLER_LABELS = [*DOC_LABELS[1:], "group:z", "tenant:t3", "access:all"]
WORDS = ["alpha", "beta", "gamma", "delta", "quarterly", "report"]
SETS = [list(c) for n in range(3) for c in itertools.combinations(DOC_LABELS, n)]
COLLECTIONS = {"pub": "public", "res": "restricted"}


async def _fill(store: VectorStore) -> None:
    embedder, sparse = HashingEmbedder(), SimpleSparseEncoder()
    for name, default in COLLECTIONS.items():
        spec = CollectionSpec(name=name, embedder=embedder.ref, default_access=default)  # type: ignore[arg-type]
        await store.create_collection(spec)
        points = []
        for i, labels in enumerate(SETS):
            text = " ".join(WORDS[(i + k) % len(WORDS)] for k in range(3)) + f" doc{i}"
            chunk = Chunk(
                document_id=f"d{i}",
                source=f"d{i}.md",
                chunk_index=0,
                chunk_total=1,
                content_hash=str(i),
                text=text,
                access=labels,
            )
            (dense,) = await embedder.embed_documents([text])
            points.append(
                ChunkPoint(
                    id=f"00000000-0000-0000-0000-{i:012d}",
                    dense=dense,
                    sparse=sparse.encode_document(text),
                    chunk=chunk,
                )
            )
        await store.upsert(name, points)


@pytest.fixture(scope="module", params=["embedded", "memory"])
def rig(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[asyncio.AbstractEventLoop, SearchService, bool]]:
    """An event loop for the whole module, and the search service on a filled store; True
    when the store's dense search returns every point (the twin drops scores <= 0)."""
    loop = asyncio.new_event_loop()
    store: Any = (
        EmbeddedVectorStore(Path(tmp_path_factory.mktemp("fuzz")) / "vectors")
        if request.param == "embedded"
        else MemoryVectorStore()
    )
    loop.run_until_complete(_fill(store))
    service = SearchService(
        store,
        EmbedderRegistry(HashingEmbedder(), {}),
        SimpleSparseEncoder(),
        cache=MemoryCache(10_000),
        ttl_s=600,
    )
    try:
        yield loop, service, request.param == "embedded"
    finally:
        loop.run_until_complete(store.close())
        loop.close()


def _visible(reader: Reader, default: str) -> set[str]:
    return {f"d{i}" for i, labels in enumerate(SETS) if reader.sees(labels, default)}  # type: ignore[arg-type]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    labels=st.sets(st.sampled_from(CALLER_LABELS), max_size=4),
    words=st.lists(st.sampled_from(WORDS), min_size=1, max_size=3),
    mode=st.sampled_from(["dense", "keyword", "hybrid"]),
    top_k=st.integers(min_value=1, max_value=40),
    collection=st.sampled_from(sorted(COLLECTIONS)),
)
def test_no_caller_finds_a_chunk_its_labels_do_not_allow(
    rig: tuple[asyncio.AbstractEventLoop, SearchService, bool],
    labels: set[str],
    words: list[str],
    mode: str,
    top_k: int,
    collection: str,
) -> None:
    loop, service, complete = rig
    reader = Reader(frozenset(labels))
    params = SearchParams(
        query=" ".join(words),
        collection=collection,
        top_k=top_k,
        mode=mode,
        reader=reader,  # type: ignore[arg-type]
    )
    allowed = _visible(reader, COLLECTIONS[collection])
    for _ in range(2):  # the second answer comes from the cache
        out = loop.run_until_complete(service.search(params))
        found = {h.document_id for h in out.results}
        assert found <= allowed, (sorted(labels), collection, sorted(found - allowed))
        if complete and mode == "dense" and top_k >= len(SETS):
            assert found == allowed
