"""The reindex front door: check the request, allow one reindex per collection, queue the job."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from ragmono.errors import Conflict
from ragmono.modules.ingest import JobAccepted, JobRunner, ReindexPayload

from .reindexer import Reindexer

__all__ = ["ReindexService"]

RECENT_JOBS = 1000
"""Jobs looked through for a reindex of the same collection still queued or running."""


class ReindexService:
    """Accept reindex requests as jobs; drop retained physical collections on request."""

    def __init__(self, reindexer: Reindexer, runner: JobRunner) -> None:
        self._reindexer = reindexer
        self._runner = runner
        self._lock = asyncio.Lock()  # the check and the submit happen as one step

    async def start(self, collection: str, embedder: str) -> JobAccepted:
        """Queue a reindex of ``collection`` with ``embedder`` (``provider/model``).

        404 unknown collection, 422 unknown embedder (``body.embedder``), 409 when the store
        cannot switch it or a reindex of it is already queued or running.
        """
        async with self._lock:
            _, target = await self._reindexer.check(collection, embedder)
            for job in await self._runner.list(RECENT_JOBS):
                if job.kind == "reindex" and job.collection == collection and not job.finished:
                    raise Conflict(
                        f"collection {collection!r} is already being reindexed by job {job.id}",
                        field="name",
                    )
            payload = ReindexPayload(embedder=target.ref.label)
            job = await self._runner.submit("reindex", collection, payload)
        return JobAccepted(job_id=job.id, location=f"/api/v1/jobs/{job.id}", state=job.state)

    async def drop_retained(self, collection: str, storage: str) -> None:
        """Delete a physical collection a reindex left behind (before its retention ends)."""
        await self._reindexer.drop_retained(collection, storage)

    @contextlib.asynccontextmanager
    async def retention(self) -> AsyncIterator[None]:
        """Drop expired retained collections now and every few minutes while inside."""
        async with self._reindexer.sweeping():
            yield
