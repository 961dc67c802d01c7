"""The embedded engine's worker process: crash and restart, index builds beside live searches,
writes held for a backup, and a swap interrupted by a crash."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
from pathlib import Path

import numpy as np
import pytest

from ragmono.adapters.qdrant.embedded.embedded_store import EmbeddedVectorStore
from ragmono.adapters.qdrant.embedded.index_builds import BUILDS_DIR, recover
from ragmono.domain import (
    CollectionSpec,
    EmbedderRef,
    Match,
    VectorQuery,
)
from ragmono.domain import Filter as DomainFilter
from ragmono.errors import DependencyUnavailable
from ragmono.ports import PausableVectorStore
from tests.support.engine import DIM, point_id, points, unit_vectors

SPEC = CollectionSpec(name="docs", embedder=EmbedderRef(provider="t", model="t", dimensions=DIM))


async def top_hit(store: EmbeddedVectorStore, vector: np.ndarray) -> str:
    hits = await store.search("docs", VectorQuery(mode="dense", limit=3, dense=vector.tolist()))
    return hits[0].id


@pytest.fixture
async def store(data_dir: Path):  # type: ignore[no-untyped-def]
    # 64 KB of unindexed vectors (500 points of 32 floats) make an index build worthwhile.
    s = EmbeddedVectorStore(data_dir, optimize_delay_s=0, indexing_threshold_kb=64)
    await s.create_collection(SPEC)
    yield s
    await s.close()


def builder_pid(worker: int) -> int | None:
    """The index builder among the worker's children (Linux /proc), if one runs."""
    children = Path(f"/proc/{worker}/task/{worker}/children").read_text().split()
    for child in children:
        with contextlib.suppress(FileNotFoundError):
            if b"qdrant.embedded.builder" in Path(f"/proc/{child}/cmdline").read_bytes():
                return int(child)
    return None


def worker_pid(store: EmbeddedVectorStore) -> int:
    pid = store.engine.pid
    assert pid is not None
    return pid


async def test_a_killed_worker_fails_calls_in_flight_then_restarts_with_every_write(
    store: EmbeddedVectorStore,
) -> None:
    vectors = unit_vectors(300)
    await store.upsert("docs", points(vectors, 0, 300))  # in the WAL only: nothing flushed
    first_pid = worker_pid(store)

    # A backup copying files meanwhile must learn that its copy may be inconsistent.
    paused = store.paused_writes()
    await paused.__aenter__()
    held = asyncio.create_task(store.upsert("docs", points(vectors, 0, 1)))
    await asyncio.sleep(0.2)
    assert not held.done()  # the worker holds it: a call in flight for sure
    os.kill(first_pid, signal.SIGKILL)
    with pytest.raises(DependencyUnavailable):
        await held
    with pytest.raises(DependencyUnavailable, match="restarted"):
        await paused.__aexit__(None, None, None)

    assert await store.count("docs") == 300
    assert await top_hit(store, vectors[42]) == point_id(42)
    health = await store.health()
    assert health.reachable
    assert health.extra["restarts"] == 1
    assert health.extra["worker_pid"] not in (None, first_pid)


@pytest.mark.slow
async def test_searches_answer_while_the_index_is_built_and_writes_meanwhile_are_kept(
    store: EmbeddedVectorStore,
) -> None:
    vectors = unit_vectors(4_000)
    for start in range(0, 3_000, 500):
        await store.upsert("docs", points(vectors, start, start + 500))
    assert (await store.health()).extra["points_pending_index"] == 3_000

    await store.optimize("docs")
    build = store._optimize_tasks["docs"]
    answered_while_building, wrong = 0, 0
    written_during_build = False
    while not build.done():
        k = 10 + answered_while_building * 7 % 2_990  # doc-0 (0..9) gets deleted
        wrong += await top_hit(store, vectors[k]) != point_id(k)
        state = (await store.health()).extra
        if state["indexing"]:
            answered_while_building += 1
            if not written_during_build:  # lands in the live shard and in the replay log
                await store.upsert("docs", points(vectors, 3_000, 4_000))
                await store.delete(
                    "docs", DomainFilter(must=[Match(key="document_id", value="doc-0")])
                )
                written_during_build = True
        await asyncio.sleep(0.02)
    await build

    assert answered_while_building > 0, "the build ended before any search overlapped it"
    assert wrong == 0
    assert written_during_build
    stats = await store.stats("docs")
    assert stats.points == 3_990  # 4,000 written, doc-0's 10 chunks deleted
    assert (stats.indexed_points or 0) >= 2 * 3_000
    assert await top_hit(store, vectors[3_500]) == point_id(3_500)
    assert (
        await store.count("docs", DomainFilter(must=[Match(key="document_id", value="doc-0")])) == 0
    )
    assert not (store.catalog.path.parent / BUILDS_DIR / "docs.new").exists()


async def test_paused_writes_flushes_holds_writes_and_keeps_answering_searches(
    store: EmbeddedVectorStore,
) -> None:
    assert isinstance(store, PausableVectorStore)  # what the backup module looks for
    vectors = unit_vectors(20)
    await store.upsert("docs", points(vectors, 0, 10))
    async with store.paused_writes() as data_dir:
        copy = data_dir.parent / "copy"
        late = asyncio.create_task(store.upsert("docs", points(vectors, 10, 20)))
        assert await store.count("docs") == 10
        shutil.copytree(data_dir / "collections", copy / "collections")
        assert not late.done()
        assert (await store.health()).extra["writes_paused"] is True
    await late
    assert await store.count("docs") == 20

    await store.close()
    shutil.copy(data_dir / "catalog.json", copy / "catalog.json")
    restored = EmbeddedVectorStore(copy)
    try:
        assert await restored.count("docs") == 10
    finally:
        await restored.close()


def test_recover_puts_back_a_shard_that_a_crashed_swap_moved_aside(tmp_path: Path) -> None:
    shards, builds = tmp_path / "collections", tmp_path / BUILDS_DIR
    (builds / "docs.old").mkdir(parents=True)
    (builds / "docs.old" / "marker").write_text("the shard that took every write")
    (shards / "docs").mkdir(parents=True)  # the copy, moved in before its replay finished
    (builds / "other.new").mkdir()
    (builds / "other.replay").write_bytes(b"")

    recover(shards, builds)

    assert (shards / "docs" / "marker").read_text() == "the shard that took every write"
    assert not builds.exists()


@pytest.mark.slow
async def test_a_failed_index_build_leaves_the_live_shard_serving_and_can_be_retried(
    store: EmbeddedVectorStore,
) -> None:
    vectors = unit_vectors(1_000)
    await store.upsert("docs", points(vectors, 0, 1_000))
    await store.optimize("docs")
    for _ in range(500):  # the builder starts once the shard is copied
        builder = builder_pid(worker_pid(store))
        if builder is not None:
            break
        await asyncio.sleep(0.02)
    assert builder is not None
    os.kill(builder, signal.SIGKILL)
    await store._optimize_tasks["docs"]  # logged as index_build_failed, not raised

    state = (await store.health()).extra
    assert state["indexing"] is False
    assert state["points_pending_index"] == 1_000
    assert await store.count("docs") == 1_000
    assert await top_hit(store, vectors[500]) == point_id(500)
    assert not (store.catalog.path.parent / BUILDS_DIR / "docs.new").exists()

    await store.optimize("docs")
    await store._optimize_tasks["docs"]
    assert (await store.health()).extra["points_pending_index"] == 0
    assert await top_hit(store, vectors[500]) == point_id(500)
