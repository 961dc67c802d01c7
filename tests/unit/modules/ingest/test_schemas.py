"""Job responses: percentage from weighted work, ETA from the measured rate."""

from __future__ import annotations

from ragmono.domain import Job, JobProgress
from ragmono.modules.ingest.schemas import JobOut


def _job(state: str, done: float, total: float, rate: float = 0.0) -> Job:
    return Job(
        id="j",
        kind="documents",
        collection="docs",
        state=state,  # type: ignore[arg-type]
        started_at=100.0,
        progress=JobProgress(work_done=done, work_total=total, rate=rate),
    )


def test_eta_is_the_work_left_at_the_measured_rate() -> None:
    out = JobOut.build(_job("running", 250.0, 1000.0, rate=25.0))
    assert out.progress.percent == 25.0
    assert out.eta_s == 30.0  # 750 left at 25 per second


def test_no_eta_before_a_rate_or_after_the_end() -> None:
    assert JobOut.build(_job("running", 250.0, 1000.0)).eta_s is None  # nothing measured yet
    assert JobOut.build(_job("queued", 0.0, 1000.0)).eta_s is None
    done = JobOut.build(_job("succeeded", 1000.0, 1000.0, rate=5.0))
    assert (done.eta_s, done.progress.percent) == (None, 100.0)
    cancelled = JobOut.build(_job("cancelled", 400.0, 1000.0, rate=5.0))
    assert (cancelled.eta_s, cancelled.progress.percent) == (None, 40.0)
