"""A running job's progress: counted from the writer's reports, shown live, saved to disk."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence

from ragmono.domain import Job, JobError
from ragmono.ports import JobStore

from .documents import DocumentResult

__all__ = ["JobObserver"]

PERSIST_EVERY_S = 0.5
MAX_ERRORS = 1000
"""Per-document errors kept in a job record (the counts stay exact)."""


class JobObserver:
    """Turns the writer's progress into the job record (on disk at most every half second).

    ``work`` weighs each document by its size. A document's share counts as done as its chunks
    are stored; the chunks of documents not chunked yet are estimated from the chunks per unit
    of weight seen so far, so the percentage moves with the chunks embedded instead of jumping
    when a batch of documents finishes. ``rate`` is measured from the first chunk stored.
    """

    def __init__(
        self,
        job: Job,
        store: JobStore,
        persist: Callable[[Job], Awaitable[None]],
        *,
        persist_every_s: float = PERSIST_EVERY_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.job = job
        self._store = store
        self._persist = persist
        self._persist_every_s = persist_every_s
        self._clock = clock
        self._weights: Sequence[float] = ()
        self._persisted_at = clock()
        self._work_before = 0.0  # work done by earlier attempts
        self._chunks_before = job.progress.chunks_done
        self._resolved = 0.0  # weight of documents finished with nothing to write
        self._planned_weight = 0.0
        self._planned_chunks = 0
        self._planned: set[int] = set()
        self._rate_from: tuple[float, float] | None = None
        self.stopped = False

    def expect(self, weights: Sequence[float], *, documents_before: int = 0) -> None:
        """The items about to be written, by weight; ``documents_before`` were done earlier."""
        self._weights = weights
        progress = self.job.progress
        progress.documents_total = documents_before + len(weights)
        # Chunks planned by an interrupted attempt are planned again: count what was done.
        progress.chunks_total = progress.chunks_done
        if documents_before == 0:
            progress.work_done = 0.0
        progress.work_total = progress.work_done + float(sum(weights))
        self._work_before = progress.work_done
        self._chunks_before = progress.chunks_done
        self._resolved = self._planned_weight = 0.0
        self._planned_chunks = 0
        self._planned.clear()

    def _weight(self, position: int) -> float:
        return float(self._weights[position]) if position < len(self._weights) else 0.0

    async def planned(self, position: int, chunks: int) -> None:
        """The item at ``position`` has ``chunks`` chunks to write."""
        self.job.progress.chunks_total += chunks
        self._planned_chunks += chunks
        self._planned_weight += self._weight(position)
        self._planned.add(position)

    async def written(self, chunks: int) -> None:
        """Chunks stored."""
        self.job.progress.chunks_done += chunks
        self._count_work()
        await self.flush()

    async def document_done(self, position: int, result: DocumentResult) -> None:
        """Count one finished document and keep its error, if any."""
        progress, counts = self.job.progress, self.job.counts
        progress.documents_done += 1
        if position not in self._planned:  # unchanged or failed: its whole share is done
            self._resolved += self._weight(position)
        self._count_work()
        setattr(counts, result.status, getattr(counts, result.status) + 1)
        if result.status == "failed" and len(self.job.errors) < MAX_ERRORS:
            self.job.errors.append(
                JobError(
                    document=result.file or result.id,
                    status=result.error_status or 422,
                    detail=result.error or "failed",
                )
            )
        await self.flush()

    def _count_work(self) -> None:
        """``work_done``: finished documents' weight plus the stored chunks' share of the rest."""
        if not self._weights:
            return  # a job that counts its own work (reindex)
        progress = self.job.progress
        rest = max(float(sum(self._weights)) - self._resolved - self._planned_weight, 0.0)
        share = 0.0
        if self._planned_chunks:
            per_weight = self._planned_chunks / self._planned_weight if self._planned_weight else 0
            expected = self._planned_chunks + rest * per_weight
            stored = min(progress.chunks_done - self._chunks_before, expected)
            share = (self._planned_weight + rest) * stored / expected
        progress.work_done = self._work_before + self._resolved + share

    def _measure_rate(self, now: float) -> None:
        progress = self.job.progress
        if self._rate_from is None:
            if progress.chunks_done > self._chunks_before:  # the first chunks are stored
                self._rate_from = (now, progress.work_done)
            return
        started, work = self._rate_from
        if now > started and progress.work_done > work:
            progress.rate = (progress.work_done - work) / (now - started)

    async def should_stop(self) -> bool:
        """True once a cancel was requested (checked between documents)."""
        if not self.stopped:
            self.stopped = await self._store.cancel_requested(self.job.id)
        return self.stopped

    async def flush(self, *, force: bool = False) -> None:
        """Show the record in the job store now; write it to disk every so often (or ``force``).

        The disk copy may lag a little: on resume, documents written since are found
        unchanged by their content hash.
        """
        now = self._clock()
        self._measure_rate(now)
        await self._store.save(self.job)
        if force or now - self._persisted_at >= self._persist_every_s:
            self._persisted_at = now
            await self._persist(self.job)
