"""Job records and idempotency keys in Redis, so every replica sees the same jobs.

Keys (under ``redis.key_prefix``)::

    job:<id>          the record, msgpack                    (replaced whole by save)
    job:<id>:cancel   "1" once a cancel was requested         (never touched by save)
    jobs              sorted set of ids scored by created_at (newest first in list)
    idem:<key>        a first response, with Redis-side expiry

Unlike the cache these are not best effort: a failure raises ``DependencyUnavailable``
(the ``redis`` breaker, when given, fast-fails while Redis is down). Each call is one round
trip (a pipeline), except ``list``, which is two.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from redis.asyncio import Redis
from redis.exceptions import RedisError

from ragmono.domain import Job
from ragmono.errors import DependencyUnavailable
from ragmono.resilience import DependencyBreaker

__all__ = ["RedisIdempotencyStore", "RedisJobStore"]

_encode = msgspec.msgpack.Encoder().encode
_decode = msgspec.msgpack.Decoder(Job).decode


class _Guarded:
    def __init__(self, redis: Redis, key_prefix: str, breaker: DependencyBreaker | None) -> None:
        self._redis = redis
        self._prefix = key_prefix
        self._breaker = breaker

    async def _call(self, fn: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any) -> Any:
        try:
            if self._breaker is not None:
                return await self._breaker.call(fn, *args, **kwargs)
            return await fn(*args, **kwargs)
        except (RedisError, OSError, TimeoutError) as exc:  # without a breaker, or uncounted
            raise DependencyUnavailable("redis", f"redis: {type(exc).__name__}: {exc}") from exc


class RedisJobStore(_Guarded):
    """:class:`~ragmono.ports.JobStore` on a shared ``redis.asyncio`` client."""

    def __init__(
        self, redis: Redis, *, key_prefix: str, breaker: DependencyBreaker | None = None
    ) -> None:
        super().__init__(redis, key_prefix, breaker)
        self._index = f"{key_prefix}jobs"

    def _job(self, job_id: str) -> str:
        return f"{self._prefix}job:{job_id}"

    def _cancel(self, job_id: str) -> str:
        return f"{self._prefix}job:{job_id}:cancel"

    async def save(self, job: Job) -> None:
        """Replace the record and index it by creation time, atomically."""

        async def run() -> None:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.set(self._job(job.id), _encode(job))
                pipe.zadd(self._index, {job.id: job.created_at})
                await pipe.execute()

        await self._call(run)

    async def get(self, job_id: str) -> Job | None:
        """The record with the cancel flag filled in, or None."""
        found = await self._fetch([job_id])
        return found[0]

    async def _fetch(self, job_ids: list[str]) -> list[Job | None]:
        if not job_ids:
            return []

        async def run() -> list[Any]:
            async with self._redis.pipeline(transaction=False) as pipe:
                for job_id in job_ids:
                    pipe.get(self._job(job_id))
                    pipe.exists(self._cancel(job_id))
                return list(await pipe.execute())

        replies = await self._call(run)
        jobs: list[Job | None] = []
        for raw, cancelled in zip(replies[::2], replies[1::2], strict=True):
            if raw is None:
                jobs.append(None)
                continue
            job = _decode(raw)
            job.cancel_requested = job.cancel_requested or bool(cancelled)
            jobs.append(job)
        return jobs

    async def request_cancel(self, job_id: str) -> None:
        """Raise the flag (any replica's runner sees it between batches)."""
        await self._call(self._redis.set, self._cancel(job_id), b"1")

    async def cancel_requested(self, job_id: str) -> bool:
        """Whether the flag is up."""
        return bool(await self._call(self._redis.exists, self._cancel(job_id)))

    async def delete(self, job_id: str) -> None:
        """Forget the record, its flag and its index entry."""

        async def run() -> None:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.delete(self._job(job_id), self._cancel(job_id))
                pipe.zrem(self._index, job_id)
                await pipe.execute()

        await self._call(run)

    # Last in the class: below this ``list`` names the method, not the builtin.
    async def list(self, limit: int) -> list[Job]:
        """Up to ``limit`` records, newest first (ties: larger id first)."""
        ids = await self._call(self._redis.zrevrange, self._index, 0, max(0, limit - 1))
        jobs = await self._fetch([i.decode() for i in ids])
        return [j for j in jobs if j is not None]


class RedisIdempotencyStore(_Guarded):
    """:class:`~ragmono.ports.IdempotencyStore` on a shared ``redis.asyncio`` client."""

    def __init__(
        self, redis: Redis, *, key_prefix: str, breaker: DependencyBreaker | None = None
    ) -> None:
        super().__init__(redis, key_prefix, breaker)

    async def get(self, key: str) -> bytes | None:
        """The stored value, or None (missing or expired)."""
        raw = await self._call(self._redis.get, f"{self._prefix}idem:{key}")
        return bytes(raw) if raw is not None else None

    async def put(self, key: str, value: bytes, ttl_s: float) -> None:
        """Store with a Redis-side expiry."""
        ttl_ms = max(1, int(ttl_s * 1000))
        await self._call(self._redis.set, f"{self._prefix}idem:{key}", value, px=ttl_ms)
