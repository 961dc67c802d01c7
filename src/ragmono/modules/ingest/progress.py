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
    """Turns the writer's progress into the job record (on disk at most every half second)."""

    def __init__(
        self,
        job: Job,
        store: JobStore,
        persist: Callable[[Job], Awaitable[None]],
        *,
        persist_every_s: float = PERSIST_EVERY_S,
    ) -> None:
        self.job = job
        self._store = store
        self._persist = persist
        self._persist_every_s = persist_every_s
        self._weights: Sequence[float] = ()
        self._persisted_at = time.monotonic()
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

    async def planned(self, chunks: int) -> None:
        """More chunks to write."""
        self.job.progress.chunks_total += chunks

    async def written(self, chunks: int) -> None:
        """Chunks stored."""
        self.job.progress.chunks_done += chunks
        await self.flush()

    async def document_done(self, position: int, result: DocumentResult) -> None:
        """Count one finished document and keep its error, if any."""
        progress, counts = self.job.progress, self.job.counts
        progress.documents_done += 1
        if position < len(self._weights):
            progress.work_done += self._weights[position]
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
        await self._store.save(self.job)
        now = time.monotonic()
        if force or now - self._persisted_at >= self._persist_every_s:
            self._persisted_at = now
            await self._persist(self.job)
