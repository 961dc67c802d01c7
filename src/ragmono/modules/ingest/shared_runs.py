"""Workers on the replicas' shared :class:`~ragmono.ports.JobQueue`.

Each takes the next job of its lane, runs it through the job runner under a heartbeat
(``keep``), acknowledges it once the job's record is final and gives it back on shutdown so
another replica resumes it at once. A runner whose heartbeat finds the job handed to another
runner (it stalled past the claim timeout) stops it without writing its record again. A job
handed out more than ``max_deliveries`` times failed each runner that took it: it is failed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import structlog

from ragmono.errors import RagmonoError
from ragmono.ports.job_queue import Delivery, JobLane, JobQueue

from .job_files import JobPayload, PayloadLoader, decode_payload

__all__ = ["JobFail", "JobRun", "SharedRuns"]

log = structlog.get_logger("ragmono.ingest.jobs")

JobRun = Callable[[str, PayloadLoader, Callable[[], bool]], Coroutine[Any, Any, None]]
"""Runs a job by id from its loaded input; the third argument says whether it was lost."""
JobFail = Callable[[str, str], Awaitable[None]]
"""Records a job as failed with a reason."""


class SharedRuns:
    """The taking side of the shared queue for one :class:`JobRunner`."""

    def __init__(
        self,
        queue: JobQueue,
        run: JobRun,
        fail: JobFail,
        *,
        keep_every_s: float,
        max_deliveries: int,
    ) -> None:
        self._queue = queue
        self._run = run
        self._fail = fail
        self._keep_every_s = keep_every_s
        self._max_deliveries = max_deliveries

    async def take_forever(self, lane: JobLane) -> None:
        """Take and run ``lane``'s jobs one at a time, until cancelled."""
        failing = False
        while True:
            try:
                delivery = await self._queue.take(lane)
            except RagmonoError as exc:  # Redis down: nobody can take jobs; try again shortly
                if not failing:
                    log.warning("job_queue_unavailable", lane=lane, error=exc.detail)
                failing = True
                await asyncio.sleep(1.0)
                continue
            if failing:
                log.info("job_queue_available", lane=lane)
                failing = False
            if delivery is None:
                continue
            try:
                await self._run_delivery(delivery)
            except asyncio.CancelledError:
                raise
            except Exception:  # a runner bug must not kill the worker
                log.exception("ingest_job_crashed", job_id=delivery.job_id)

    async def _run_delivery(self, delivery: Delivery) -> None:
        """Run a job taken from the shared queue under a heartbeat; acknowledge it once its
        record is final, give it back on shutdown, let go when another runner has it."""
        queue, job_id = self._queue, delivery.job_id
        if delivery.deliveries > self._max_deliveries:
            await self._give_up(delivery)
            return
        if delivery.deliveries > 1:
            log.warning("ingest_job_taken_over", job_id=job_id, deliveries=delivery.deliveries)

        async def load() -> JobPayload:
            return decode_payload(await queue.load(job_id))

        lost = asyncio.Event()
        run = asyncio.create_task(self._run(job_id, load, lost.is_set), name=f"job-{job_id}")
        keeper = asyncio.create_task(self._keep(delivery, run, lost), name=f"keep-{job_id}")
        try:
            await asyncio.wait({run})
        except asyncio.CancelledError:  # shutdown: stop the job, hand it to another replica
            run.cancel()
            await asyncio.wait({run})
            if not lost.is_set():
                with contextlib.suppress(Exception):
                    await asyncio.shield(queue.release(delivery))
            raise
        finally:
            keeper.cancel()
        if lost.is_set():
            return  # another runner has it now: its record is that runner's to write
        failure = "cancelled" if run.cancelled() else run.exception()
        if failure is not None:
            # Not finished (e.g. Redis failed under it): left pending, claimed again later.
            log.error("ingest_job_interrupted", job_id=job_id, error=repr(failure))
            return
        await queue.done(delivery)

    async def _keep(self, delivery: Delivery, run: asyncio.Task[None], lost: asyncio.Event) -> None:
        while True:
            await asyncio.sleep(self._keep_every_s)
            try:
                owned = await self._queue.keep(delivery)
            except RagmonoError:
                continue  # Redis down: no other replica can claim it meanwhile either
            if not owned:
                log.warning("ingest_job_lost", job_id=delivery.job_id)
                lost.set()
                run.cancel()
                return

    async def _give_up(self, delivery: Delivery) -> None:
        """Fail a job whose runners keep dying on it (it may be what kills them)."""
        detail = f"given up after {delivery.deliveries - 1} replicas stopped while running it"
        await self._fail(delivery.job_id, detail)
        await self._queue.done(delivery)
