"""Every VectorStore adapter, opened the same way for the shared contract suite."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from qdrant_client import AsyncQdrantClient

from ragmono.adapters.memory import MemoryVectorStore
from ragmono.adapters.qdrant.embedded.embedded_store import EmbeddedVectorStore
from ragmono.adapters.qdrant.remote.cluster import ClusterVectorStore
from ragmono.adapters.qdrant.remote.server import ServerVectorStore
from ragmono.ports import VectorStore
from ragmono.resilience import BreakerConfig, BreakerRegistry
from tests.support.qdrant_twin import QdrantTwin, TwinBackend

REAL_URLS_ENV = "RAGMONO_TEST_QDRANT_URLS"
STORE_KINDS = [
    "embedded",
    "memory",
    "server-memory",
    "server-http",
    "cluster-http",
    "server-real",
    "cluster-real",
]


def real_urls() -> list[str]:
    """Node URLs of a real Qdrant cluster from the environment (comma-separated), or []."""
    return [u.strip() for u in os.environ.get(REAL_URLS_ENV, "").split(",") if u.strip()]


@dataclass
class Named:
    """An open store and a namer that keeps collection names unique on shared servers."""

    store: VectorStore
    name: Callable[[str], str]


@contextlib.asynccontextmanager
async def open_store(kind: str, tmp_path: Path) -> AsyncIterator[Named]:
    """Open one adapter of ``kind``; drop what the test created on a real server afterwards."""
    cleanup: list[Callable[[], object]] = []
    suffix = ""
    if kind == "embedded":
        store: VectorStore = EmbeddedVectorStore(tmp_path / "vectors", optimize_delay_s=0)
    elif kind == "memory":
        store = MemoryVectorStore()
    elif kind == "server-memory":
        store = ServerVectorStore(client=AsyncQdrantClient(location=":memory:"))
    elif kind == "server-http":
        twin = QdrantTwin()
        cleanup.append(twin.close)
        store = ServerVectorStore(twin.url, timeout_s=5)
    elif kind == "cluster-http":
        backend = TwinBackend()
        twins = [QdrantTwin(backend) for _ in range(3)]
        cleanup.extend(t.close for t in twins)
        store = ClusterVectorStore(
            [t.url for t in twins], breakers=BreakerRegistry(BreakerConfig()), timeout_s=5
        )
    elif kind in ("server-real", "cluster-real"):
        urls = real_urls()
        if not urls:
            pytest.skip(f"no real Qdrant: set {REAL_URLS_ENV}=http://host:6333[,...] to run")
        registry = BreakerRegistry(BreakerConfig())
        store = (
            ServerVectorStore(urls[0], timeout_s=10, breakers=registry)
            if kind == "server-real"
            else ClusterVectorStore(urls, breakers=registry, timeout_s=10)
        )
        suffix = "-t" + uuid.uuid4().hex[:8]
    else:
        raise ValueError(kind)
    named = Named(store=store, name=lambda base: base + suffix)
    start = getattr(store, "start", None)
    if start is not None:
        await start()
    try:
        yield named
    finally:
        if suffix:
            for created in await store.list_collections():
                if created.name.endswith(suffix):
                    await store.delete_collection(created.name)
        await store.close()
        for step in cleanup:
            step()
