"""The job-queue port: accepted jobs waiting for a runner on any replica (Redis Streams).

Without it, each process queues its own jobs in memory with their inputs on its disk; with
it, a job's input is stored where every replica reaches it and whichever replica is free
takes the job. A taken job belongs to its runner while the runner keeps it (a heartbeat);
one that is not kept for the claim timeout (its replica died) is handed to another runner.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

__all__ = ["Delivery", "JobLane", "JobQueue"]

JobLane = Literal["ingest", "reindex"]
"""Ingest jobs share the replica's job workers; a long reindex has a lane of its own."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """One job handed to this runner."""

    job_id: str
    lane: JobLane
    receipt: str
    """The queue's handle on this delivery (a stream entry id)."""
    deliveries: int = 1
    """How many times the job was handed out: above 1 it was taken from a runner that died."""


class JobQueue(Protocol):
    """A queue every replica shares; inputs are opaque bytes (the ingest module's payload)."""

    async def put(self, job_id: str, lane: JobLane, payload: bytes) -> None:
        """Store the input and queue the job; durable when this returns.

        Raises ``PayloadTooLarge`` when the input fits neither in the queue's own storage nor
        in a shared directory, ``DependencyUnavailable`` when the queue cannot be reached.
        """
        ...

    async def take(self, lane: JobLane) -> Delivery | None:
        """The next job of ``lane`` (one abandoned by a dead runner first), or None after a
        short wait with nothing to do."""
        ...

    async def load(self, job_id: str) -> bytes:
        """The input stored by ``put``; ``NotFound`` when it is gone."""
        ...

    async def keep(self, delivery: Delivery) -> bool:
        """Tell the queue the job is still running here; False when it was handed to another
        runner meanwhile (this one stalled past the claim timeout) and must stop."""
        ...

    async def done(self, delivery: Delivery) -> None:
        """The job ended (its record says how): forget the delivery and the input."""
        ...

    async def release(self, delivery: Delivery) -> None:
        """Give the job back now (shutdown): another runner may take it at once."""
        ...
