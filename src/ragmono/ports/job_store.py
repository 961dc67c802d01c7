"""The job-store port: where background jobs' records live (memory, or Redis for replicas)."""

from __future__ import annotations

from typing import Protocol

from ragmono.domain import Job


class JobStore(Protocol):
    """Job records by id. Records are replaced whole; the cancel flag is kept apart so that a
    progress save never overwrites a cancel requested meanwhile (by another replica).
    """

    async def save(self, job: Job) -> None:
        """Insert or replace the record of ``job.id``."""
        ...

    async def get(self, job_id: str) -> Job | None:
        """The record with ``cancel_requested`` filled in, or None."""
        ...

    async def list(self, limit: int) -> list[Job]:
        """Up to ``limit`` records, newest first."""
        ...

    async def request_cancel(self, job_id: str) -> None:
        """Raise the cancel flag of ``job_id`` (the runner stops between batches)."""
        ...

    async def cancel_requested(self, job_id: str) -> bool:
        """Whether the cancel flag of ``job_id`` is up."""
        ...

    async def delete(self, job_id: str) -> None:
        """Forget a record and its flag (retention); missing ids are ignored."""
        ...
