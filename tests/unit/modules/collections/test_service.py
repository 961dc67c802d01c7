"""CollectionService rules, on the in-memory vector store."""

from __future__ import annotations

import pytest

from ragmono.adapters.memory import MemoryVectorStore
from ragmono.domain import ChunkingConfig, EmbedderRef
from ragmono.errors import Conflict, InvalidInput, NotFound
from ragmono.modules.collections import ChunkingChange, CollectionService

EMBEDDER = EmbedderRef(provider="hashing", model="hashing", dimensions=8)


@pytest.fixture
def service() -> CollectionService:
    return CollectionService(
        MemoryVectorStore(), EMBEDDER, default_chunking=ChunkingConfig(), clock=lambda: 100.0
    )


async def test_create_records_the_embedder_and_defaults(service: CollectionService) -> None:
    spec = await service.create("docs")
    assert spec.embedder == EMBEDDER
    assert spec.chunking == ChunkingConfig(chunk_size=250, chunk_overlap=32)
    assert spec.created_at == 100.0


async def test_dimensions_must_match_the_embedder(service: CollectionService) -> None:
    with pytest.raises(InvalidInput) as err:
        await service.create("docs", dimensions=384)
    assert err.value.field == "body.dimensions"
    assert await service.list_with_stats() == []


async def test_duplicate_and_missing(service: CollectionService) -> None:
    await service.create("docs")
    with pytest.raises(Conflict):
        await service.create("docs")
    with pytest.raises(NotFound):
        await service.get("nope")
    with pytest.raises(NotFound):
        await service.delete("nope")


async def test_update_keeps_what_is_not_given(service: CollectionService) -> None:
    await service.create("docs", description="keep", chunking=ChunkingChange(chunk_overlap=16))
    updated = await service.update("docs", chunking=ChunkingChange(chunk_size=128))
    assert updated.description == "keep"
    assert updated.chunking == ChunkingConfig(chunk_size=128, chunk_overlap=16)


async def test_overlap_must_stay_below_size_after_a_partial_change(
    service: CollectionService,
) -> None:
    await service.create("docs", chunking=ChunkingChange(chunk_size=64, chunk_overlap=32))
    with pytest.raises(InvalidInput) as err:
        await service.update("docs", chunking=ChunkingChange(chunk_size=32))
    assert err.value.field == "body.chunking.chunk_overlap"
    assert (await service.get("docs")).chunking.chunk_size == 64
