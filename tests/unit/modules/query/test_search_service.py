"""SearchService on the in-memory twins: modes, degradation, embedder checks."""

from __future__ import annotations

import pytest

from ragmono.adapters.embedders import EmbedderRegistry
from ragmono.adapters.memory import HashingEmbedder, MemoryVectorStore, SimpleSparseEncoder
from ragmono.domain import CollectionSpec, EmbedderRef, Filter, Match
from ragmono.errors import Conflict, InvalidInput, NotFound
from ragmono.modules.query import EMBEDDER_UNAVAILABLE, SearchParams, SearchService
from ragmono.ports import Embedder
from tests.support.corpus import seed
from tests.support.embedders import UnavailableEmbedder


@pytest.fixture
async def store() -> MemoryVectorStore:
    store = MemoryVectorStore()
    embedder = HashingEmbedder()
    await store.create_collection(CollectionSpec(name="c", embedder=embedder.ref))
    await seed(store, embedder, SimpleSparseEncoder(), "c")
    return store


def service(store: MemoryVectorStore, embedder: Embedder | None = None) -> SearchService:
    return SearchService(
        store, EmbedderRegistry(embedder or HashingEmbedder(), {}), SimpleSparseEncoder()
    )


async def test_each_mode_runs_as_asked(store: MemoryVectorStore) -> None:
    svc = service(store)
    for mode in ("dense", "keyword", "hybrid"):
        out = await svc.search(SearchParams(query="espresso machine", collection="c", mode=mode))
        assert out.mode == mode
        assert out.results[0].document_id == "kitchen"
        assert not out.degraded


async def test_filter_and_top_k_reach_the_store(store: MemoryVectorStore) -> None:
    out = await service(store).search(
        SearchParams(
            query="employees",
            collection="c",
            top_k=1,
            mode="keyword",
            filter=Filter(must=[Match(key="metadata.team", value="hr")]),
        )
    )
    assert [h.document_id for h in out.results] == ["remote"]


async def test_unavailable_embedder_degrades_to_keyword(store: MemoryVectorStore) -> None:
    down = UnavailableEmbedder(HashingEmbedder().ref)
    out = await service(store, down).search(SearchParams(query="espresso", collection="c"))
    assert (out.mode, out.degraded, out.degraded_reason) == ("keyword", True, EMBEDDER_UNAVAILABLE)
    assert out.results[0].document_id == "kitchen"


async def test_keyword_mode_never_calls_the_embedder(store: MemoryVectorStore) -> None:
    down = UnavailableEmbedder(EmbedderRef(provider="x", model="y", dimensions=3))
    out = await service(store, down).search(
        SearchParams(query="espresso", collection="c", mode="keyword")
    )
    assert down.calls == 0
    assert not out.degraded


async def test_an_embedder_of_another_size_is_a_conflict(store: MemoryVectorStore) -> None:
    svc = service(store, HashingEmbedder(dimensions=64))
    with pytest.raises(Conflict, match=r"hashing/hashing makes 384-dimension vectors"):
        await svc.search(SearchParams(query="q", collection="c", mode="dense"))


async def test_missing_collection_and_blank_query(store: MemoryVectorStore) -> None:
    with pytest.raises(NotFound):
        await service(store).search(SearchParams(query="q", collection="nope"))
    with pytest.raises(InvalidInput) as caught:
        await service(store).search(SearchParams(query=" \n ", collection="c"))
    assert caught.value.field == "body.query"
