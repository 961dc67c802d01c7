"""In-process job store and idempotency store: the embedded-mode defaults and unit-test twins."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

import msgspec

from ragmono.domain import Job

__all__ = ["MemoryIdempotencyStore", "MemoryJobStore"]


class MemoryJobStore:
    """:class:`~ragmono.ports.JobStore` as a dict; records are copied in and out."""

    def __init__(self) -> None:
        self._jobs: dict[str, bytes] = {}
        self._cancel: set[str] = set()

    async def save(self, job: Job) -> None:
        """Insert or replace (stored encoded, so callers never share a mutable record)."""
        self._jobs[job.id] = msgspec.msgpack.encode(job)

    async def get(self, job_id: str) -> Job | None:
        """A copy of the record with the cancel flag filled in."""
        raw = self._jobs.get(job_id)
        if raw is None:
            return None
        job = msgspec.msgpack.decode(raw, type=Job)
        job.cancel_requested = job.cancel_requested or job_id in self._cancel
        return job

    async def list(self, limit: int) -> list[Job]:
        """Newest first by creation time."""
        jobs = [j for j in [await self.get(i) for i in self._jobs] if j is not None]
        jobs.sort(key=lambda j: (j.created_at, j.id), reverse=True)
        return jobs[:limit]

    async def request_cancel(self, job_id: str) -> None:
        """Raise the flag."""
        self._cancel.add(job_id)

    async def cancel_requested(self, job_id: str) -> bool:
        """Whether the flag is up."""
        return job_id in self._cancel

    async def delete(self, job_id: str) -> None:
        """Forget the record and its flag."""
        self._jobs.pop(job_id, None)
        self._cancel.discard(job_id)


class MemoryIdempotencyStore:
    """:class:`~ragmono.ports.IdempotencyStore` as a bounded LRU dict with expiry times."""

    def __init__(
        self, *, max_entries: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._items: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._max_entries = max_entries
        self._clock = clock

    async def get(self, key: str) -> bytes | None:
        """The value unless it expired."""
        item = self._items.get(key)
        if item is None:
            return None
        expires, value = item
        if expires <= self._clock():
            del self._items[key]
            return None
        self._items.move_to_end(key)
        return value

    async def put(self, key: str, value: bytes, ttl_s: float) -> None:
        """Store with an expiry; the least recently used entry goes when full."""
        self._items[key] = (self._clock() + ttl_s, value)
        self._items.move_to_end(key)
        while len(self._items) > self._max_entries:
            self._items.popitem(last=False)
