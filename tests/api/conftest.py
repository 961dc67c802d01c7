"""API fixtures: the handbook corpus in the real embedded engine, embedded by the real model."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from ragmono.adapters.bm25 import Bm25Encoder
from ragmono.adapters.onnx_embedder import OnnxEmbedder
from ragmono.adapters.qdrant.embedded import EmbeddedVectorStore
from ragmono.domain import CollectionSpec
from ragmono.settings import Settings
from tests.support.corpus import seed


@pytest.fixture
async def handbook_store(
    settings: Settings, local_embedder: OnnxEmbedder
) -> AsyncIterator[EmbeddedVectorStore]:
    """The embedded engine on this test's data directory with ``handbook`` seeded."""
    store = EmbeddedVectorStore(settings.data_path / "vectors")
    await store.create_collection(CollectionSpec(name="handbook", embedder=local_embedder.ref))
    await seed(store, local_embedder, Bm25Encoder(), "handbook")
    yield store
    await store.close()
