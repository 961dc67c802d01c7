"""API fixtures: the handbook corpus ingested over HTTP into the real embedded engine."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from ragmono.adapters.bm25 import Bm25Encoder
from ragmono.adapters.memory import HashingEmbedder, MemoryVectorStore, SimpleSparseEncoder
from ragmono.adapters.onnx_embedder import OnnxEmbedder
from ragmono.adapters.qdrant.embedded.embedded_store import EmbeddedVectorStore
from ragmono.app import create_app
from ragmono.lifespan import Adapters
from ragmono.settings import Settings
from tests.conftest import app_client
from tests.support.asgi import asgi_client
from tests.support.corpus import HANDBOOK, RETENTION, documents_body
from tests.support.embedders import MemoEmbedder


@pytest.fixture(scope="session")
def cached_embedder(local_embedder: OnnxEmbedder) -> MemoEmbedder:
    """The real local embedder, remembering each text's vector for the whole session."""
    return MemoEmbedder(local_embedder)


@pytest.fixture
async def handbook_store(
    settings: Settings, cached_embedder: MemoEmbedder
) -> AsyncIterator[EmbeddedVectorStore]:
    """The embedded engine on this test's data directory, with collection ``handbook``
    created and filled through ``POST /api/v1/collections/handbook/documents``.

    Tests build their app on this store (with the twins they need) and read it back.
    """
    store = EmbeddedVectorStore(settings.data_path / "vectors")
    adapters = Adapters(vector_store=store, embedder=cached_embedder, sparse_encoder=Bm25Encoder())
    async with asgi_client(create_app(settings, adapters=adapters)) as http:
        created = await http.post("/api/v1/collections", json={"name": "handbook"})
        assert created.status_code == 201, created.text
        ingested = await http.post(
            "/api/v1/collections/handbook/documents",
            json=documents_body([*HANDBOOK, RETENTION]),
        )
        assert ingested.status_code == 200, ingested.text
        assert {r["status"] for r in ingested.json()["results"]} == {"created"}
    yield store
    await store.close()


@pytest.fixture
async def twin_api(settings: Settings) -> AsyncIterator[Any]:
    """The app on in-memory twins and no data: for requests rejected before any lookup."""
    adapters = Adapters(
        vector_store=MemoryVectorStore(),
        embedder=HashingEmbedder(),
        sparse_encoder=SimpleSparseEncoder(),
    )
    async with app_client(settings, adapters) as http:
        yield http
