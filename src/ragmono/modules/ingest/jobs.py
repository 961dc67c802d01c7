"""Background ingest jobs: accept, persist, run with bounded concurrency, resume after restarts.

A job's inputs are on disk (:class:`JobFiles`) before its id is returned, and its state is
saved there as it progresses; on start the runner re-queues every unfinished job it finds.
Documents already written are skipped on resume (by position, and by content hash).
Records are served from the :class:`~ragmono.ports.JobStore` (memory, or Redis for replicas).

With a shared :class:`~ragmono.ports.JobQueue` (replicas on one Redis), document, upload and
reindex jobs go through it instead: their input is stored where every replica reaches it, any
replica's worker takes the next one, keeps it with a heartbeat while it runs, and a job whose
replica died is taken by another after the queue's claim timeout and resumes where its record
stood. Sync jobs stay with the replica that accepted them: their input is a path on its disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

import structlog

from ragmono.domain import Job, JobKind, JobState, Reader
from ragmono.errors import Conflict, DependencyUnavailable, NotFound, RagmonoError
from ragmono.ports import JobStore, Telemetry
from ragmono.ports.job_queue import JobLane, JobQueue

from .job_files import JobFiles, JobPayload, PayloadLoader, encode_payload, payload_weights
from .progress import JobObserver
from .shared_runs import SharedRuns

__all__ = ["JobExecutor", "JobRunner"]

log = structlog.get_logger("ragmono.ingest.jobs")


JobExecutor = Callable[[Job, JobPayload, JobObserver], Awaitable[None]]
"""Does a job's work, reporting through the observer; raises a RagmonoError to fail it."""


class JobRunner:
    """Accepts jobs, runs them on ``workers`` background tasks and answers for their state."""

    def __init__(
        self,
        store: JobStore,
        files: JobFiles,
        execute: JobExecutor,
        *,
        workers: int = 1,
        retention_s: float = 7 * 86400,
        retry_delays_s: Sequence[float] = (1, 2, 4, 8, 16),
        telemetry: Telemetry | None = None,
        clock: Callable[[], float] = time.time,
        queue: JobQueue | None = None,
        keep_every_s: float = 10.0,
        max_deliveries: int = 5,
    ) -> None:
        """``queue``: the replicas' shared queue (None: this process queues its own jobs);
        ``keep_every_s``: the heartbeat of a job taken from it (well under its claim timeout);
        ``max_deliveries``: a job handed out more often (each runner died on it) fails."""
        self._shared = queue
        self._shared_runs = (
            None
            if queue is None
            else SharedRuns(
                queue,
                self._run,
                self._fail,
                keep_every_s=keep_every_s,
                max_deliveries=max_deliveries,
            )
        )
        self._telemetry = telemetry
        self._store = store
        self._files = files
        self._execute = execute
        self._workers = workers
        self._retention_s = retention_s
        self._retry_delays_s = tuple(retry_delays_s)
        self._clock = clock
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._solo: set[asyncio.Task[None]] = set()
        """Reindex jobs: each on its own task, so a long rebuild never blocks ingest jobs."""

    # -- the API ---------------------------------------------------------------------------------

    async def submit(
        self, kind: JobKind, collection: str, payload: JobPayload, *, owner: Sequence[str] = ()
    ) -> Job:
        """Persist the job's input and state, then queue it; durable when this returns.

        ``owner``: the submitter's access labels (who else may see the job).
        """
        now = self._clock()
        job = Job(
            id=uuid.uuid4().hex,
            kind=kind,
            collection=collection,
            created_at=now,
            owner=list(owner),
        )
        job.updated_at = now
        weights = payload_weights(payload)
        if weights is not None:  # known now, so a queued job shows what it will do
            job.progress.documents_total = len(weights)
            job.progress.work_total = float(sum(weights))
        if (queue := self._queue_for(kind)) is not None:
            await self._store.save(job)
            try:
                await queue.put(job.id, _lane(kind), encode_payload(payload))
            except BaseException:
                with contextlib.suppress(Exception):  # no record of a job that was not queued
                    await self._store.delete(job.id)
                raise
        else:
            await asyncio.to_thread(self._files.create, job, payload)
            await self._store.save(job)
            self._enqueue(job.id, kind)
        log.info("ingest_job_queued", job_id=job.id, kind=kind, collection=collection)
        return job

    def _queue_for(self, kind: JobKind) -> JobQueue | None:
        """The replicas' queue a job of ``kind`` goes through; None: this process's own (always
        for a sync, whose input is a directory on this machine)."""
        return None if kind == "sync" else self._shared

    async def get(self, job_id: str, reader: Reader | None = None) -> Job:
        """The job's record; NotFound if unknown (or forgotten after retention), or when a
        ``reader`` may not see it (see ``Job.owner``)."""
        job = await self._store.get(job_id)
        if job is None or not _shown(job, reader):
            raise NotFound(f"job {job_id!r} does not exist", field="job_id")
        return job

    async def list(self, limit: int = 50, reader: Reader | None = None) -> list[Job]:
        """The newest jobs first (those ``reader`` may see)."""
        if reader is None or reader.unrestricted:
            return await self._store.list(limit)
        # Look further back so the page is not emptied by other callers' jobs.
        found = await self._store.list(max(limit * 4, 200))
        return [j for j in found if _shown(j, reader)][:limit]

    async def cancel(self, job_id: str, reader: Reader | None = None) -> Job:
        """Cancel a queued job now, or ask a running one to stop between documents."""
        job = await self.get(job_id, reader)
        if job.finished:
            raise Conflict(f"job {job_id!r} already {job.state}", field="job_id")
        await asyncio.to_thread(self._files.request_cancel, job_id)  # survives a restart
        await self._store.request_cancel(job_id)
        if job.state == "queued":
            job.state, job.finished_at = "cancelled", self._clock()
            await self._finish(job)
        job.cancel_requested = True
        log.info("ingest_job_cancel_requested", job_id=job_id, state=job.state)
        return job

    # -- lifecycle -------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[JobRunner]:
        """Recover saved jobs, run the workers; cancel them cleanly on exit."""
        await self._recover()
        self._tasks = [
            asyncio.create_task(self._worker(), name=f"ingest-job-worker-{i}")
            for i in range(self._workers)
        ]
        if self._shared_runs is not None:
            ingest: JobLane = "ingest"
            lanes: list[JobLane] = [ingest] * self._workers + ["reindex"]
            self._tasks.extend(
                asyncio.create_task(self._shared_runs.take_forever(lane), name=f"{lane}-taker-{i}")
                for i, lane in enumerate(lanes)
            )
        self._tasks.append(asyncio.create_task(self._prune_forever(), name="ingest-job-prune"))
        try:
            yield self
        finally:
            tasks = [*self._tasks, *self._solo]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self._tasks = []
            self._solo.clear()

    async def _recover(self) -> None:
        for quarantined in await asyncio.to_thread(self._files.quarantined):
            await self._store.save(quarantined)  # listed, failed, until its folder is removed
        for job_id in await asyncio.to_thread(self._files.ids):
            try:
                job = await asyncio.to_thread(self._files.load_state, job_id)
            except Exception as exc:  # an unreadable state file: keep the input, say so
                await self._quarantine(job_id, exc)
                continue
            if job.finished:
                if self._expired(job):
                    await asyncio.to_thread(self._files.remove, job_id)
                else:
                    await self._store.save(job)
                continue
            if await asyncio.to_thread(self._files.cancel_requested, job_id):
                job.cancel_requested = True  # asked for before the restart: not run again
                job.state, job.finished_at = "cancelled", self._clock()
                await self._finish(job)
                continue
            job.state, job.detail = "queued", "resuming after a restart"
            await self._save(job)
            self._enqueue(job.id, job.kind)
            log.info("ingest_job_resumed", job_id=job.id, done=job.progress.documents_done)

    async def _quarantine(self, job_id: str, exc: Exception) -> None:
        kind = await asyncio.to_thread(self._files.kind_of, job_id)
        reason = exc.strerror if isinstance(exc, OSError) else str(exc)  # no server paths
        kept = await asyncio.to_thread(self._files.quarantine, job_id)
        now = self._clock()
        job = Job(
            id=job_id,
            kind=kind if kind in ("documents", "upload", "sync", "reindex") else "documents",  # type: ignore[arg-type]
            collection="",
            state="failed",
            created_at=now,
            finished_at=now,
            updated_at=now,
            detail=(
                f"the job's state.json cannot be read ({type(exc).__name__}: {reason}); its folder "
                f"and input were kept in {kept} under the data directory"
            ),
        )
        await asyncio.to_thread(self._files.record_quarantined, job)
        await self._store.save(job)
        log.error("ingest_job_quarantined", job_id=job_id, kept=kept, error=str(exc))

    def _expired(self, job: Job) -> bool:
        return self._clock() - (job.finished_at or job.updated_at) > self._retention_s

    async def _prune_forever(self) -> None:
        while True:
            await asyncio.sleep(min(3600.0, max(self._retention_s, 1.0)))
            for job in await self._store.list(10_000):
                if job.finished and self._expired(job):
                    await self._store.delete(job.id)
                    await asyncio.to_thread(self._files.remove, job.id)

    def _enqueue(self, job_id: str, kind: JobKind) -> None:
        if kind == "reindex":
            task = asyncio.create_task(self._run_solo(job_id), name=f"reindex-job-{job_id}")
            self._solo.add(task)
            task.add_done_callback(self._solo.discard)
            return
        self._queue.put_nowait(job_id)
        self._report_depth()

    async def _run_solo(self, job_id: str) -> None:
        try:
            await self._run(job_id, self._local_payload(job_id))
        except asyncio.CancelledError:
            raise
        except Exception:  # a runner bug must not go unnoticed
            log.exception("ingest_job_crashed", job_id=job_id)

    def _report_depth(self) -> None:
        if self._telemetry is not None:
            self._telemetry.set_job_queue_depth(self._queue.qsize())

    async def _save(self, job: Job) -> None:
        job.updated_at = self._clock()
        await self._store.save(job)
        await asyncio.to_thread(self._files.save_state, job)

    async def _worker(self) -> None:
        while True:
            job_id = await self._queue.get()
            self._report_depth()
            try:
                await self._run(job_id, self._local_payload(job_id))
            except asyncio.CancelledError:
                raise
            except Exception:  # a runner bug must not kill the worker
                log.exception("ingest_job_crashed", job_id=job_id)

    def _local_payload(self, job_id: str) -> PayloadLoader:
        return lambda: asyncio.to_thread(self._files.load_payload, job_id)

    async def _fail(self, job_id: str, detail: str) -> None:
        """Record a job that will not run again as failed (unless it already ended)."""
        job = await self._store.get(job_id)
        if job is not None and not job.finished:
            job.state, job.detail, job.finished_at = "failed", detail, self._clock()
            await self._finish(job)

    # -- running a job ---------------------------------------------------------------------------

    async def _run(
        self, job_id: str, load_payload: PayloadLoader, lost: Callable[[], bool] = bool
    ) -> None:
        job = await self._store.get(job_id)
        if job is None or job.finished:
            return
        if job.cancel_requested:
            job.state, job.finished_at = "cancelled", self._clock()
            await self._finish(job)
            return
        try:
            payload = await load_payload()
        except Exception as exc:
            job.state, job.detail = "failed", f"the job's saved input cannot be read: {exc}"
            job.finished_at = self._clock()
            await self._finish(job)
            return
        job.state, job.detail, job.attempts = "running", "", job.attempts + 1
        job.started_at = job.started_at or self._clock()
        await self._save(job)
        log.info("ingest_job_started", job_id=job_id, attempt=job.attempts)
        observer = JobObserver(job, self._store, self._save)
        try:
            await self._execute_with_retries(job, payload, observer)
        except asyncio.CancelledError:
            if lost():  # another runner took it over: its record is not ours to write
                raise
            job.state, job.detail = "queued", "interrupted by shutdown; resumes on restart"
            if self._queue_for(job.kind) is not None:
                job.detail = "interrupted by shutdown; queued again for any replica"
            await asyncio.shield(self._save(job))
            raise
        except RagmonoError as exc:
            job.state, job.detail = "failed", exc.detail
        except Exception as exc:
            log.exception("ingest_job_error", job_id=job_id)
            job.state, job.detail = "failed", f"unexpected error: {type(exc).__name__}"
        else:
            job.state = _ended(job, stopped=observer.stopped)
        job.finished_at = self._clock()
        await self._finish(job)

    async def _execute_with_retries(
        self, job: Job, payload: JobPayload, observer: JobObserver
    ) -> None:
        for delay in (*self._retry_delays_s, None):
            try:
                await self._execute(job, payload, observer)
                return
            except DependencyUnavailable as exc:
                if delay is None:
                    raise
                job.detail = f"{exc.dependency} unavailable, retrying in {delay:g}s: {exc.detail}"
                await observer.flush(force=True)
                log.warning("ingest_job_waiting", job_id=job.id, dependency=exc.dependency)
                await asyncio.sleep(exc.retry_after_s or delay)
                job.detail = ""

    async def _finish(self, job: Job) -> None:
        # Shielded so a shutdown cannot leave a finished job half-recorded; the disk goes
        # first, so the store never shows a terminal state the disk does not have.
        await asyncio.shield(self._record_end(job))

    async def _record_end(self, job: Job) -> None:
        job.updated_at = self._clock()
        if self._telemetry is not None and job.state != "queued" and job.state != "running":
            ran = job.finished_at - job.started_at if job.finished_at and job.started_at else 0.0
            self._telemetry.observe_job(max(ran, 0.0), job.state, job_id=job.id)
        await asyncio.to_thread(self._files.save_state, job)
        await asyncio.to_thread(self._files.drop_payload, job.id)
        await self._store.save(job)
        log.info(
            "ingest_job_finished",
            job_id=job.id,
            state=job.state,
            documents=job.progress.documents_done,
            chunks=job.progress.chunks_done,
            failed=job.counts.failed,
        )


def _lane(kind: JobKind) -> JobLane:
    return "reindex" if kind == "reindex" else "ingest"


def _shown(job: Job, reader: Reader | None) -> bool:
    """Whether ``reader`` may see ``job``: as a document labelled with its owner's labels."""
    return reader is None or reader.sees(job.owner, "public")


def _ended(job: Job, *, stopped: bool) -> JobState:
    """How a job that ran to its end (or to a cancel) ended: never plain ``succeeded`` when
    some of its documents failed."""
    if stopped:
        return "cancelled"
    return "completed_with_errors" if job.counts.failed else "succeeded"
