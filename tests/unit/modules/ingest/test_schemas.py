"""Job responses: percentage from weighted work, ETA from the rate so far."""

from __future__ import annotations

from ragmono.domain import Job, JobProgress
from ragmono.modules.ingest.schemas import JobOut


def _job(state: str, done: float, total: float) -> Job:
    return Job(
        id="j",
        kind="documents",
        collection="docs",
        state=state,  # type: ignore[arg-type]
        started_at=100.0,
        progress=JobProgress(work_done=done, work_total=total),
    )


def test_eta_follows_the_rate_so_far() -> None:
    out = JobOut.build(_job("running", 250.0, 1000.0), now=110.0)
    assert out.progress.percent == 25.0
    assert out.eta_s == 30.0  # 10 s for a quarter: 30 s for the rest


def test_no_eta_before_progress_or_after_the_end() -> None:
    assert JobOut.build(_job("running", 0.0, 1000.0), now=110.0).eta_s is None
    assert JobOut.build(_job("queued", 0.0, 1000.0), now=110.0).eta_s is None
    done = JobOut.build(_job("succeeded", 1000.0, 1000.0), now=110.0)
    assert (done.eta_s, done.progress.percent) == (None, 100.0)
    cancelled = JobOut.build(_job("cancelled", 400.0, 1000.0), now=110.0)
    assert cancelled.progress.percent == 40.0
