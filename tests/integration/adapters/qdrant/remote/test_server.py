"""Server mode against a Qdrant twin over HTTP: shared catalog, startup checks, failures."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from qdrant_client import models

from ragmono.adapters.qdrant.remote.server import ServerVectorStore
from ragmono.domain import EmbedderRef, VectorQuery
from ragmono.errors import Conflict, DependencyUnavailable, NotFound
from ragmono.resilience import BreakerConfig, BreakerRegistry
from tests.support.qdrant_twin import Blackhole, QdrantTwin, closed_port_url
from tests.support.vector_data import DIMS, points, query_vectors, spec
from tests.support.waiting import eventually

pytestmark = pytest.mark.filterwarnings("ignore:Payload indexes have no effect:UserWarning")


@pytest.fixture
def twin() -> Iterator[QdrantTwin]:
    node = QdrantTwin()
    yield node
    node.close()


def store_on(url: str, **kwargs: Any) -> ServerVectorStore:
    return ServerVectorStore(url, timeout_s=kwargs.pop("timeout_s", 2.0), **kwargs)


async def test_replicas_share_one_catalog(twin: QdrantTwin) -> None:
    first, second = store_on(twin.url), store_on(twin.url)
    try:
        await first.create_collection(spec("docs", description="shared"))
        seen = await second.get_collection("docs")
        assert seen is not None
        assert seen.description == "shared"
        await second.delete_collection("docs")
        assert await first.get_collection("docs") is None
        await first.catalog.record_migration("0001_init")
        await second.catalog.record_migration("0002_more")
        await first.catalog.record_migration("0001_init")
        assert await second.catalog.applied_migrations() == ["0001_init", "0002_more"]
    finally:
        await first.close()
        await second.close()


async def test_collections_get_named_vectors_idf_and_payload_indexes(twin: QdrantTwin) -> None:
    store = store_on(twin.url)
    try:
        await store.create_collection(spec("docs"))
    finally:
        await store.close()
    physical = twin.backend.physical("docs")  # the alias "docs" points at it
    assert physical.startswith("docs.")
    created = twin.backend.created[physical]
    assert created["vectors"] == {"dense": {"size": DIMS, "distance": "Cosine"}}
    assert created["sparse_vectors"] == {"keyword": {"modifier": "idf"}}
    assert twin.backend.indexes[physical] == {
        "document_id": "keyword",
        "source": "keyword",
        "content_hash": "keyword",
        "access": "keyword",
    }


async def test_a_failed_create_leaves_nothing_behind(twin: QdrantTwin) -> None:
    twin.fail_paths[r"/index$"] = 500
    store = store_on(twin.url)
    try:
        with pytest.raises(DependencyUnavailable):
            await store.create_collection(spec("docs"))
        assert not [n for n in twin.backend.created if n.startswith("docs")]
        assert twin.backend.physical("docs") == "docs"  # no alias left either
        assert await store.get_collection("docs") is None
        twin.fail_paths.clear()
        await store.create_collection(spec("docs"))  # nothing half-made blocks a retry
    finally:
        await store.close()


async def test_a_collection_made_outside_ragmono_is_a_clear_conflict(twin: QdrantTwin) -> None:
    twin.backend.engine.create_collection(
        "stray", vectors_config=models.VectorParams(size=4, distance=models.Distance.DOT)
    )
    store = store_on(twin.url)
    try:
        with pytest.raises(Conflict, match="not in ragmono's catalog"):
            await store.create_collection(spec("stray"))
    finally:
        await store.close()


async def test_vectors_of_the_wrong_size_are_a_conflict(twin: QdrantTwin) -> None:
    store = store_on(twin.url)
    try:
        await store.create_collection(
            spec("small", embedder=EmbedderRef(provider="hashing", model="hashing", dimensions=8))
        )
        with pytest.raises(Conflict, match="vector size"):
            await store.upsert("small", await points())
    finally:
        await store.close()


async def test_an_old_qdrant_is_refused_until_upgraded(twin: QdrantTwin, capsys: Any) -> None:
    twin.version = "1.15.2"
    store = store_on(twin.url)
    try:
        await store.start()
        health = await store.health()
        assert health.reachable is False
        assert "1.15.2" in health.detail
        assert "older than 1.16.0" in health.detail
        with pytest.raises(DependencyUnavailable, match=r"older than 1\.16\.0"):
            await store.list_collections()
        assert '"event": "qdrant_version_incompatible"' in capsys.readouterr().err

        twin.version = "1.16.0"

        async def healthy() -> bool:
            return (await store.health()).reachable

        assert await eventually(healthy)
        assert await store.list_collections() == []
    finally:
        await store.close()


async def test_a_collection_that_drifted_from_its_spec_is_reported(
    twin: QdrantTwin, capsys: Any
) -> None:
    writer = store_on(twin.url)
    await writer.create_collection(spec("drifted"))
    await writer.create_collection(spec("gone"))
    await writer.create_collection(spec("fine"))
    await writer.upsert("fine", await points())
    await writer.close()
    engine = twin.backend.engine  # someone recreated one by hand and dropped another
    engine.delete_collection(twin.backend.physical("drifted"))  # its alias goes with it
    engine.create_collection(
        "drifted", vectors_config={"dense": models.VectorParams(size=32, distance="Cosine")}
    )
    engine.delete_collection(twin.backend.physical("gone"))

    store = store_on(twin.url)
    try:
        await store.start()
        _, sparse = await query_vectors("lighthouse")
        with pytest.raises(Conflict, match="holds 32 d Cosine in Qdrant but its spec says 64 d"):
            await store.search("drifted", VectorQuery(mode="keyword", limit=3, sparse=sparse))
        with pytest.raises(NotFound, match="in the catalog but not in Qdrant"):
            await store.count("gone")
        assert await store.count("fine") == 3
        health = await store.health()
        assert set(health.extra["collections"]) == {"drifted", "gone"}
        logged = capsys.readouterr().err
        assert logged.count('"event": "qdrant_collection_problem"') == 2
        await store.delete_collection("gone")  # the way out: drop it
        assert "gone" not in (await store.health()).extra["collections"]
    finally:
        await store.close()


async def test_a_collection_of_another_embedder_than_the_configured_one_is_served(
    twin: QdrantTwin,
) -> None:
    writer = store_on(twin.url)
    await writer.create_collection(spec("docs"))
    await writer.upsert("docs", await points())
    await writer.close()
    other = EmbedderRef(provider="ollama", model="nomic-embed-text", dimensions=768)
    store = store_on(twin.url)
    try:
        await store.start(other)  # each collection is searched with the embedder it records
        assert store.problems == {}
        dense, sparse = await query_vectors("ZX-4471")
        hits = await store.search("docs", VectorQuery(mode="dense", limit=3, dense=dense))
        assert hits[0].chunk.document_id == "c"
        hits = await store.search("docs", VectorQuery(mode="keyword", limit=3, sparse=sparse))
        assert [h.chunk.document_id for h in hits] == ["c"]
    finally:
        await store.close()


@pytest.mark.parametrize("fault", ["unavailable", "down", "blackhole"])
async def test_an_unreachable_server_is_dependency_unavailable_then_fails_fast(
    twin: QdrantTwin, fault: str
) -> None:
    hole = Blackhole()
    url = {"unavailable": twin.url, "down": closed_port_url(), "blackhole": hole.url}[fault]
    if fault == "unavailable":
        twin.set_mode("unavailable")
    registry = BreakerRegistry(BreakerConfig(fail_max=2, reset_timeout_s=60))
    store = store_on(url, timeout_s=0.3, breakers=registry)
    try:
        for _ in range(2):
            with pytest.raises(DependencyUnavailable):
                await store.count("docs")
        assert registry.get("qdrant").snapshot().state == "open"
        started = time.perf_counter()
        with pytest.raises(DependencyUnavailable) as err:
            await store.count("docs")
        assert time.perf_counter() - started < 0.05
        assert err.value.retry_after_s is not None
        health = await store.health()
        assert (health.reachable, health.extra["breaker"]) == (False, "open")
    finally:
        await store.close()
        hole.close()
