"""Cluster mode under real network faults: refused connections, silent sockets, 503s.

Healthy nodes are Qdrant twins sharing one backend (or, with ``RAGMONO_TEST_QDRANT_URLS``,
fronts relaying to a real cluster); sick nodes are a closed port, a socket that never answers
and a twin switched to 503, ``hang`` or ``down``. Calls time out after 0.75 s and a node's
breaker opens after 2 failures.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from qdrant_client import AsyncQdrantClient, models

from ragmono.adapters.qdrant.remote.cluster import ClusterVectorStore
from ragmono.adapters.qdrant.remote.server import ServerVectorStore
from ragmono.adapters.telemetry_memory import RecordingTelemetry
from ragmono.domain import VectorQuery
from ragmono.errors import DependencyUnavailable, NotFound
from tests.support.qdrant_cluster import FAIL_MAX, TIMEOUT_S, Nodes, cluster, nodes
from tests.support.qdrant_twin import QdrantTwin, closed_port_url
from tests.support.vector_data import points, query_vectors, spec

pytestmark = pytest.mark.filterwarnings("ignore:Payload indexes have no effect:UserWarning")


@pytest.fixture
def env() -> Any:
    with nodes() as made:
        yield made


def unique(env: Nodes, base: str) -> str:
    """Collection names that cannot collide on a shared real cluster."""
    return f"{base}-t{uuid.uuid4().hex[:8]}" if env.real else base


async def seed(url: str, name: str) -> None:
    """Create and fill ``name`` through one healthy node, outside the store under test."""
    direct = ServerVectorStore(url, timeout_s=10)
    try:
        await direct.create_collection(spec(name))
        await direct.upsert(name, await points())
    finally:
        await direct.close()


async def a_query() -> VectorQuery:
    dense, sparse = await query_vectors("lighthouse spiral stairs")
    return VectorQuery(mode="hybrid", limit=3, dense=dense, sparse=sparse)


async def slowest_of(times: int, call: Callable[[], Awaitable[object]]) -> float:
    """The longest of ``times`` sequential calls, in seconds."""
    worst = 0.0
    for _ in range(times):
        started = time.perf_counter()
        await call()
        worst = max(worst, time.perf_counter() - started)
    return worst


async def test_calls_rotate_over_nodes_and_collections_get_cluster_settings(env: Nodes) -> None:
    twins = [env.twin(), env.twin(), env.twin()]
    store = cluster([t.url for t in twins])
    await store.start()
    try:
        name = unique(env, "docs")
        await store.create_collection(spec(name))
        await store.upsert(name, await points())
        before = [t.data_calls() for t in twins]
        query = await a_query()
        for _ in range(9):
            assert (await store.search(name, query))[0].chunk.document_id == "a"
        assert [t.data_calls() - b for t, b in zip(twins, before, strict=True)] == [3, 3, 3]

        recorded = await store.get_collection(name)
        assert recorded is not None
        assert (recorded.shard_number, recorded.replication_factor) == (6, 2)
        assert recorded.write_consistency_factor == 1
        queries = [q for t in twins for _, path, q in t.requests if path.endswith("/query")]
        assert queries
        assert all(q.get("consistency") == "majority" for q in queries)
        if not env.real:
            created = env.backend.created[env.backend.physical(name)]
            assert created["shard_number"] == 6
            assert created["replication_factor"] == 2
            assert created["write_consistency_factor"] == 1
            assert env.backend.created["_ragmono_catalog"]["replication_factor"] == 3
            assert set(env.backend.indexes[env.backend.physical(name)]) == {
                "document_id",
                "source",
                "content_hash",
                "access",
            }
        await store.delete_collection(name)
    finally:
        await store.close()


async def test_no_call_fails_while_one_node_is_healthy(env: Nodes) -> None:
    """Without the probe, the breakers alone keep dead nodes out after 2 failures each."""
    healthy, sick = env.twin(), env.twin()
    sick.set_mode("unavailable")
    dead, hole = closed_port_url(), env.blackhole()
    name = unique(env, "docs")
    await seed(healthy.url, name)
    telemetry = RecordingTelemetry()
    store = cluster(
        [dead, hole, sick.url, healthy.url], probe_s=3600, reset_s=60, telemetry=telemetry
    )
    try:
        query = await a_query()
        for i in range(30):
            if i % 3 == 0:
                await store.upsert(name, await points())
            hits = await store.search(name, query)
            assert hits[0].chunk.document_id == "a"
            assert await store.count(name) == 3
        slowest = await slowest_of(10, lambda: store.search(name, query))

        by_url = {n.url: n for n in store.nodes}
        for url in (dead, hole, sick.url):
            assert by_url[url].breaker.snapshot().state == "open"
            assert by_url[url].calls <= FAIL_MAX
        assert sick.data_calls() <= FAIL_MAX
        assert slowest < TIMEOUT_S  # no call waits out a dead node's timeout any more

        errors: dict[str, set[str | None]] = {}
        for name_, labels in telemetry.calls:
            if name_ == "observe_dependency":
                node = labels["dependency"].removeprefix("qdrant:")
                errors.setdefault(node, set()).add(labels["error_kind"])
        label = {url: url.split("//")[1] for url in (dead, hole, sick.url, healthy.url)}
        assert errors[label[dead]] == {"connection"}
        assert errors[label[hole]] == {"timeout"}
        assert errors[label[sick.url]] == {"http_5xx"}
        assert errors[label[healthy.url]] == {None}
        await store.delete_collection(name)
    finally:
        await store.close()


async def test_the_probe_keeps_dead_nodes_out_before_any_call(env: Nodes) -> None:
    healthy, sick = env.twin(), env.twin()
    sick.set_mode("unavailable")
    dead, hole = closed_port_url(), env.blackhole()
    name = unique(env, "docs")
    await seed(healthy.url, name)
    store = cluster([dead, hole, sick.url, healthy.url])
    await store.start()
    try:
        query = await a_query()
        assert await slowest_of(20, lambda: store.search(name, query)) < TIMEOUT_S
        assert sick.data_calls() == 0
        assert [n.calls for n in store.nodes[:3]] == [0, 0, 0]

        health = await store.health()
        assert health.reachable is True
        nodes_shown = {n["url"]: n for n in health.extra["nodes"]}
        assert [nodes_shown[u]["up"] for u in (dead, hole, sick.url, healthy.url)] == [
            False,
            False,
            False,
            True,
        ]
        assert "503" in nodes_shown[sick.url]["detail"]
        assert nodes_shown[healthy.url]["latency_ms"] is not None
        assert nodes_shown[healthy.url]["breaker"] == "closed"
        assert health.detail.startswith("1/4 nodes routable")
        await store.delete_collection(name)
    finally:
        await store.close()


@pytest.mark.parametrize("fault", ["down", "hang", "unavailable"])
async def test_a_failed_node_is_skipped_then_rejoins(env: Nodes, fault: str) -> None:
    steady, flaky = env.twin(), env.twin()
    name = unique(env, "docs")
    await seed(steady.url, name)
    # The breaker stays open longer than the sick phase: a slow probe on a loaded machine
    # must not let a half-open trial reach the sick node and blur the count below.
    store = cluster([steady.url, flaky.url], reset_s=1.5)
    await store.start()
    try:
        query = await a_query()
        healthy_calls = flaky.data_calls()
        flaky.set_mode(fault)
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            assert (await store.search(name, query))[0].chunk.document_id == "a"
            await asyncio.sleep(0.01)
        flaky_node = store.nodes[1]
        assert flaky_node.routable() is False
        reached_while_sick = flaky.data_calls()
        assert reached_while_sick - healthy_calls <= FAIL_MAX

        flaky.up()
        deadline = time.monotonic() + 8.0
        while flaky.data_calls() == reached_while_sick and time.monotonic() < deadline:
            await store.search(name, query)
            await asyncio.sleep(0.02)
        assert flaky.data_calls() > reached_while_sick, "the recovered node never rejoined"
        assert flaky_node.breaker.snapshot().state == "closed"
        assert (await store.health()).extra["nodes"][1]["up"] is True
        await store.delete_collection(name)
    finally:
        await store.close()


async def test_all_nodes_down_fails_fast_and_names_them(capsys: Any) -> None:
    first, second = closed_port_url(), closed_port_url()
    store = cluster([first, second], probe_s=3600, reset_s=60)
    try:
        for _ in range(FAIL_MAX):
            with pytest.raises(DependencyUnavailable, match="no Qdrant node could serve"):
                await store.count("docs")
        logged = capsys.readouterr().err
        assert '"event": "qdrant_no_node_served"' in logged
        assert first.split("//")[1] in logged
        assert second.split("//")[1] in logged
        started = time.perf_counter()
        with pytest.raises(DependencyUnavailable) as err:
            await store.count("docs")
        assert time.perf_counter() - started < 0.05
        assert err.value.retry_after_s is not None
        assert err.value.retry_after_s > 50
        health = await store.health()
        assert health.reachable is False
    finally:
        await store.close()


async def test_an_incompatible_node_is_reported_and_skipped(env: Nodes, capsys: Any) -> None:
    current = env.twin()
    old = QdrantTwin(current.backend, version="1.9.2")
    try:
        store = cluster([old.url, current.url])
        await store.start()
        try:
            for _ in range(6):
                await store.list_collections()
            assert old.data_calls() == 0
            shown = (await store.health()).extra["nodes"][0]
            assert shown["up"] is False
            assert shown["version"] == "1.9.2"
            assert "older than 1.16.0" in shown["detail"]
        finally:
            await store.close()
    finally:
        old.close()
    assert '"event": "qdrant_version_incompatible"' in capsys.readouterr().err


async def _create(client: AsyncQdrantClient, name: str) -> bool:
    return await client.create_collection(
        name, vectors_config=models.VectorParams(size=4, distance=models.Distance.COSINE)
    )


async def test_a_create_that_may_have_landed_is_not_retried(env: Nodes) -> None:
    healthy = env.twin()
    silent = env.twin()
    silent.set_mode("hang")
    store: ClusterVectorStore = cluster([silent.url, healthy.url], probe_s=3600)
    try:  # the first call starts at the first node
        with pytest.raises(DependencyUnavailable):
            await store.run(lambda c: _create(c, unique(env, "maybe")), idempotent=False)
    finally:
        await store.close()
    refused = cluster([closed_port_url(), healthy.url], probe_s=3600)
    try:  # a refused connection never reached Qdrant: safe to send elsewhere
        name = unique(env, "surely")
        assert await refused.run(lambda c: _create(c, name), idempotent=False) is True
        await refused.run(lambda c: c.delete_collection(name))
    finally:
        await refused.close()


async def test_a_node_that_has_not_seen_a_new_collection_gets_a_second_opinion() -> None:
    fresh, lagging = QdrantTwin(), QdrantTwin()  # separate data: one node is behind
    try:
        await seed(fresh.url, "docs")
        store = cluster([lagging.url, fresh.url], probe_s=3600)
        try:  # the first call starts at the lagging node, which answers 404
            assert await store.count("docs") == 3
            assert lagging.data_calls() == 1
            with pytest.raises(NotFound):
                await store.count("nowhere")
        finally:
            await store.close()
    finally:
        fresh.close()
        lagging.close()
