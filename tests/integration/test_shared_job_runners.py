"""Two job runners on one real Redis (the shared queue and job store), as two replicas run
them: a runner that stops gracefully hands its job to the other at once; a job whose runners keep
dying is failed. (A runner killed outright is tests/api/test_replicas_jobs.py: SIGKILL.)"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from pathlib import Path

import pytest

from ragmono.adapters.memory import MemoryVectorStore
from ragmono.adapters.redis_job_queue import RedisJobQueue
from ragmono.adapters.redis_jobs import RedisJobStore
from ragmono.domain import Job
from ragmono.modules.ingest import DocumentInput, JobAccepted
from tests.conftest import RedisClients
from tests.support.ingest import GatedEmbedder, Rig, make_collection, make_rig, words

Replica = Callable[..., Rig]


@pytest.fixture
def replica(tmp_path: Path, redis_clients: RedisClients, request: pytest.FixtureRequest) -> Replica:
    """One replica's ingest: its own Redis clients and disk, the shared store and queue."""
    store = MemoryVectorStore()  # the vector store every replica shares
    prefix = f"t-{request.node.name}:"

    def make(name: str, embedder: GatedEmbedder, claim_after_s: float = 30.0) -> Rig:
        client = redis_clients(timeout_s=2.0)
        queue = RedisJobQueue(
            client,
            client,
            key_prefix=prefix,
            inline_max_bytes=1 << 20,
            shared_dir=None,
            claim_after_s=claim_after_s,
            block_s=0.1,
        )
        job_store = RedisJobStore(client, key_prefix=prefix)
        return make_rig(
            tmp_path / name,
            store=store,
            embedder=embedder,
            job_store=job_store,
            batch_chunks=1,
            queue=queue,
        )

    return make


async def _until(rig: Rig, job_id: str, *states: str, timeout_s: float = 10) -> Job:
    async with asyncio.timeout(timeout_s):
        while (job := await rig.runner.get(job_id)).state not in states:  # noqa: ASYNC110
            await asyncio.sleep(0.02)
    return job


async def _submit(rig: Rig, n: int) -> str:
    docs = [DocumentInput(id=f"d{i}", text=words(3, f"doc{i}")) for i in range(n)]
    outcome, _ = await rig.service.ingest_documents("docs", docs, background=True)
    assert isinstance(outcome, JobAccepted)
    return outcome.job_id


def _task_stacks() -> str:
    """Every pending task's stack: what a hang was waiting on."""
    out = io.StringIO()
    for task in asyncio.all_tasks():
        task.print_stack(file=out)
    return out.getvalue()


async def test_a_runner_stopping_gives_its_job_to_another_at_once(replica: Replica) -> None:
    try:
        async with asyncio.timeout(60):
            await _stop_and_hand_over(replica)
    except TimeoutError:
        pytest.fail(f"the hand-over hung; pending tasks:\n{_task_stacks()}")


async def _stop_and_hand_over(replica: Replica) -> None:
    gated = GatedEmbedder(64, open_calls=2)
    first = replica("a", gated)
    second = replica("b", GatedEmbedder(64, open_calls=10**6))
    await make_collection(first.store, gated)
    async with first.runner.running():
        job_id = await _submit(first, 6)
        await gated.wait_blocked()  # two documents written, the third in the embedder
    stopped = await first.runner.get(job_id)
    assert stopped.state == "queued"
    assert "any replica" in stopped.detail
    async with second.runner.running():
        # Well before the 30 s claim timeout: the stopping runner gave the job back.
        job = await _until(second, job_id, "succeeded", timeout_s=5)
    assert job.attempts == 2
    assert job.progress.documents_done == 6
    assert await second.store.count("docs") == 6


async def test_a_job_whose_runners_keep_dying_is_failed_not_handed_out_forever(
    replica: Replica,
) -> None:
    rig = replica("a", GatedEmbedder(64, open_calls=10**6), claim_after_s=0.2)
    await make_collection(rig.store, GatedEmbedder(64))
    job_id = await _submit(rig, 2)
    queue = rig.runner._shared  # type: ignore[attr-defined]
    for _ in range(6):  # six runners took it and died before finishing (no keep, no done)
        crashed = None
        while crashed is None:
            await asyncio.sleep(0.25)
            crashed = await queue.take("ingest")
        assert crashed.job_id == job_id
    async with rig.runner.running():
        job = await _until(rig, job_id, "failed", timeout_s=5)
    assert "given up after 6 replicas stopped while running it" in job.detail
    assert await rig.store.count("docs") == 0
