"""Job progress tells the truth: totals from the start, percent by chunks stored, ETA from the
rate measured since the first chunk was stored."""

from __future__ import annotations

from pathlib import Path

from ragmono.adapters.jobs_memory import MemoryJobStore
from ragmono.domain import Job
from ragmono.modules.ingest import DocumentInput, JobAccepted
from ragmono.modules.ingest.documents import DocumentResult
from ragmono.modules.ingest.progress import JobObserver
from ragmono.modules.ingest.schemas import JobOut
from tests.support.ingest import make_collection, make_rig, words


async def test_a_queued_job_already_knows_how_many_documents_it_has(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    await make_collection(rig.store, rig.embedder)
    docs = [DocumentInput(id=f"d{i}", text=words(3, f"doc{i}")) for i in range(6)]
    outcome, _ = await rig.service.ingest_documents("docs", docs, background=True)
    assert isinstance(outcome, JobAccepted)
    job = await rig.runner.get(outcome.job_id)  # no worker runs: the job stays queued
    assert job.state == "queued"
    assert job.progress.documents_total == 6
    assert job.progress.work_total == sum(len(d.text) for d in docs)


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def _persist(_: Job) -> None:
    return None


async def test_percent_moves_with_chunks_and_eta_comes_from_the_measured_rate() -> None:
    clock = _Clock()
    job = Job(id="j", kind="upload", collection="docs", state="running", started_at=0.0)
    observer = JobObserver(job, MemoryJobStore(), _persist, clock=clock)
    observer.expect([100, 100, 200])  # three files; the first two are chunked first

    clock.now = 40.0  # start-up (parsing, loading the model) takes long: not part of the rate
    await observer.planned(0, 2)
    await observer.written(1)
    first = JobOut.build(job)
    # 2 chunks for 100 bytes: about 8 chunks in all; 1 stored of 8, before any file is done.
    assert job.progress.documents_done == 0
    assert first.progress.percent == 12.5
    assert first.eta_s is None  # one point: no rate yet

    clock.now = 42.0
    await observer.written(1)
    await observer.document_done(0, DocumentResult(id="a", status="created", chunks=2))
    second = JobOut.build(job)
    assert second.progress.percent == 25.0
    assert second.eta_s == 12.0  # 12.5% in 2 s since the first chunk: 75% in 12 s

    clock.now = 44.0
    await observer.planned(1, 6)  # the second file has more chunks than estimated
    await observer.document_done(
        2, DocumentResult(id="c", status="unchanged", chunks=4)
    )  # nothing to write: its whole share is done
    third = JobOut.build(job)
    # done: file 3 (200 of 400) + 2 stored chunks of file 1 and 2's 8 for their 200
    assert third.progress.percent == 62.5
    assert third.progress.percent >= second.progress.percent
    assert job.progress.chunks_total == 8
