"""The job runner: runs, cancels, retries, and resumes after a restart from the saved inputs."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import msgspec
import pytest

from ragmono.adapters.jobs_memory import MemoryJobStore
from ragmono.adapters.memory import MemoryVectorStore
from ragmono.adapters.telemetry_memory import RecordingTelemetry
from ragmono.domain import Job
from ragmono.errors import Conflict, NotFound
from ragmono.modules.ingest import DocumentInput, JobAccepted, JobRunner
from tests.support.ingest import FlakyEmbedder, GatedEmbedder, make_collection, make_rig, words


async def _until(runner: JobRunner, job_id: str, *states: str) -> Job:
    async with asyncio.timeout(10):
        # Polling on purpose: it is what a client of GET /jobs/{id} does.
        while (job := await runner.get(job_id)).state not in states:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
    return job


def _docs(n: int) -> list[DocumentInput]:
    return [DocumentInput(id=f"d{i}", text=words(3, f"doc{i}")) for i in range(n)]


async def _submit(rig, docs: list[DocumentInput]) -> str:  # type: ignore[no-untyped-def]
    outcome, _ = await rig.service.ingest_documents("docs", docs, background=True)
    assert isinstance(outcome, JobAccepted)
    return outcome.job_id


async def test_a_job_runs_to_success_with_progress(tmp_path: Path) -> None:
    rig = make_rig(tmp_path, batch_chunks=2)
    await make_collection(rig.store, rig.embedder)
    async with rig.runner.running():
        job_id = await _submit(rig, _docs(6))
        job = await _until(rig.runner, job_id, "succeeded")
    assert job.progress.documents_done == job.progress.documents_total == 6
    assert job.progress.chunks_done == job.progress.chunks_total == await rig.store.count("docs")
    assert job.counts.created == 6
    assert job.attempts == 1
    assert not (rig.jobs_dir / job_id / "input.msgpack").exists()  # inputs dropped when done
    saved = msgspec.json.decode((rig.jobs_dir / job_id / "state.json").read_bytes(), type=Job)
    assert saved.state == "succeeded"
    assert [j.id for j in await rig.runner.list()] == [job_id]


async def test_a_job_survives_a_restart_and_skips_what_was_done(tmp_path: Path) -> None:
    store = MemoryVectorStore()  # the store outlives the "process"; job records do not
    gated = GatedEmbedder(64, open_calls=2)
    first = make_rig(tmp_path, store=store, embedder=gated, batch_chunks=1)
    await make_collection(store, gated)
    async with first.runner.running():
        job_id = await _submit(first, _docs(6))
        await gated.wait_blocked()
        await asyncio.sleep(0.05)  # let the consumer record what it finished
    interrupted = msgspec.json.decode(
        (tmp_path / "jobs" / job_id / "state.json").read_bytes(), type=Job
    )
    assert interrupted.state == "queued"
    assert "restart" in interrupted.detail
    assert 1 <= interrupted.progress.documents_done < 6

    # A new process: fresh job store, same data directory, an embedder that works.
    second = make_rig(tmp_path, store=store, embedder=GatedEmbedder(64, open_calls=10**6))
    with pytest.raises(NotFound):
        await second.runner.get(job_id)
    async with second.runner.running():
        job = await _until(second.runner, job_id, "succeeded")
    assert job.attempts == 2
    assert job.progress.documents_done == 6
    assert job.counts.created == 6
    assert await store.count("docs") == 6


async def test_cancel_a_queued_job_and_a_running_one(tmp_path: Path) -> None:
    gated = GatedEmbedder(64, open_calls=1)
    rig = make_rig(tmp_path, embedder=gated, batch_chunks=1)
    await make_collection(rig.store, gated)
    queued = await _submit(rig, _docs(2))
    cancelled = await rig.runner.cancel(queued)
    assert cancelled.state == "cancelled"
    with pytest.raises(Conflict):
        await rig.runner.cancel(queued)
    async with rig.runner.running():
        running = await _submit(rig, _docs(5))
        await gated.wait_blocked()
        asked = await rig.runner.cancel(running)
        assert asked.cancel_requested
        gated.gate.set()
        job = await _until(rig.runner, running, "cancelled")
    assert job.progress.documents_done < 5
    assert (await rig.runner.get(queued)).state == "cancelled"
    assert await rig.store.count("docs") == job.progress.documents_done


async def test_an_unavailable_embedder_is_retried(tmp_path: Path) -> None:
    rig = make_rig(tmp_path, embedder=FlakyEmbedder(64, failures=2))
    await make_collection(rig.store, rig.embedder)
    async with rig.runner.running():
        job = await _until(rig.runner, await _submit(rig, _docs(3)), "succeeded")
    assert job.counts.created == 3


async def test_a_job_fails_with_the_reason_when_retries_run_out(tmp_path: Path) -> None:
    rig = make_rig(tmp_path, embedder=FlakyEmbedder(64, failures=99))
    await make_collection(rig.store, rig.embedder)
    async with rig.runner.running():
        job = await _until(rig.runner, await _submit(rig, _docs(1)), "failed")
    assert "model server is down" in job.detail


async def test_unreadable_inputs_fail_the_job_with_a_reason(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    await make_collection(rig.store, rig.embedder)
    job_id = await _submit(rig, _docs(1))
    (rig.jobs_dir / job_id / "input.msgpack").write_bytes(b"\xc1 not msgpack")
    async with rig.runner.running():
        job = await _until(rig.runner, job_id, "failed")
    assert "saved input cannot be read" in job.detail


async def test_a_deleted_collection_fails_the_job(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    await make_collection(rig.store, rig.embedder)
    job_id = await _submit(rig, _docs(1))
    await rig.store.delete_collection("docs")
    async with rig.runner.running():
        job = await _until(rig.runner, job_id, "failed")
    assert "does not exist" in job.detail


async def test_old_finished_jobs_are_forgotten_on_start(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    await make_collection(rig.store, rig.embedder)
    async with rig.runner.running():
        job_id = await _submit(rig, _docs(1))
        await _until(rig.runner, job_id, "succeeded")
    later = JobRunner(
        MemoryJobStore(),
        rig.runner._files,
        rig.runner._execute,
        retention_s=0,
        clock=lambda: time.time() + 10,
    )
    async with later.running():
        with pytest.raises(NotFound):
            await later.get(job_id)
    assert not (rig.jobs_dir / job_id).exists()


async def test_jobs_and_ingest_are_reported_to_telemetry(tmp_path: Path) -> None:
    telemetry = RecordingTelemetry()
    rig = make_rig(tmp_path, telemetry=telemetry, batch_chunks=2)
    await make_collection(rig.store, rig.embedder)
    job_id = await _submit(rig, _docs(3))
    assert telemetry.of("set_job_queue_depth")[-1] == {"depth": 1}
    async with rig.runner.running():
        await _until(rig.runner, job_id, "succeeded")
    assert telemetry.of("set_job_queue_depth")[-1] == {"depth": 0}
    assert telemetry.of("observe_job") == [{"state": "succeeded", "job_id": job_id}]
    counted = telemetry.of("count_ingest")
    assert sum(c["created"] for c in counted) == 3
    assert sum(c["chunks"] for c in counted) == await rig.store.count("docs")


async def test_a_cancel_survives_a_restart(tmp_path: Path) -> None:
    """Issue #18 item 6: the cancel is written to the job's folder at once, not kept in memory."""
    store = MemoryVectorStore()
    gated = GatedEmbedder(64, open_calls=1)
    first = make_rig(tmp_path, store=store, embedder=gated, batch_chunks=1)
    await make_collection(store, gated)
    async with first.runner.running():
        job_id = await _submit(first, _docs(6))
        await gated.wait_blocked()
        assert (await first.runner.cancel(job_id)).cancel_requested
    # The process stopped before the runner saw the cancel. A new one must not run it again.
    again = GatedEmbedder(64, open_calls=10**6)
    second = make_rig(tmp_path, store=store, embedder=again, batch_chunks=1)
    async with second.runner.running():
        job = await _until(second.runner, job_id, "cancelled", "succeeded")
    assert job.state == "cancelled"
    assert again.calls == 0
