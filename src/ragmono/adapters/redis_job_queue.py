"""``JobQueue`` on Redis Streams: one consumer group that every replica reads.

Keys (under ``redis.key_prefix``)::

    jobq:<lane>        stream of {job: <id>}; consumer group "runners"
    job:<id>:input     the job's input, when it is at most ``inline_max_bytes``

Larger inputs go to ``<shared_dir>/job-inputs/<id>.msgpack`` (a directory every replica
mounts), or are refused with 413 when there is none. ``put`` writes the input and the entry in
one transaction, so a queued job always has its input.

A taken entry stays in the group's pending list under this consumer until ``done``. The
runner's heartbeat (``keep``) resets its idle time, only while this consumer still owns it (a
script, so a heartbeat never takes a job back from the runner it was handed to). ``take``
first claims entries idle longer than ``claim_after_s`` (their runner died: its heartbeat
stopped), then reads new ones, blocking up to ``block_s`` on a client of its own so the
shared client's short timeouts do not apply to the wait. That wait does not go through the
``redis`` breaker (it would hold the breaker's half-open trial for the whole wait); every
other call does. Once per ``forget_consumers_after_s``, ``take`` also drops consumers idle that
long with nothing pending (processes gone: every start is a new consumer).
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
import uuid
from pathlib import Path
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from ragmono.errors import DependencyUnavailable, NotFound, PayloadTooLarge
from ragmono.files import write_atomic
from ragmono.ports.job_queue import Delivery, JobLane
from ragmono.resilience import DependencyBreaker

from .redis_jobs import _Guarded

__all__ = ["RedisJobQueue"]

GROUP = "runners"

_KEEP = """
local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1)
if #p == 0 or p[1][2] ~= ARGV[3] then return 0 end
redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[3], 0, ARGV[2], 'JUSTID')
return 1
"""
"""Reset the entry's idle time if this consumer still owns it (JUSTID: not a new delivery)."""


class RedisJobQueue(_Guarded):
    """Implements ``JobQueue``; ``blocking`` is a client whose timeout exceeds ``block_s``."""

    def __init__(
        self,
        redis: Redis,
        blocking: Redis,
        *,
        key_prefix: str,
        inline_max_bytes: int,
        shared_dir: Path | None,
        claim_after_s: float = 30.0,
        block_s: float = 1.0,
        consumer: str | None = None,
        forget_consumers_after_s: float = 3600.0,
        breaker: DependencyBreaker | None = None,
    ) -> None:
        super().__init__(redis, key_prefix, breaker)
        self._blocking = blocking
        self._inline_max = inline_max_bytes
        self._shared_dir = shared_dir
        self._claim_after_ms = max(1, int(claim_after_s * 1000))
        self._block_ms = max(1, int(block_s * 1000))
        self.consumer = consumer or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        """This runner's name in the group (unique per process: a restart is a new runner)."""
        self._keep = redis.register_script(_KEEP)
        self._groups: set[str] = set()
        self._forget_after_ms = int(forget_consumers_after_s * 1000)
        self._next_tidy: dict[str, float] = {}

    def _stream(self, lane: JobLane) -> str:
        return f"{self._prefix}jobq:{lane}"

    def _input(self, job_id: str) -> str:
        return f"{self._prefix}job:{job_id}:input"

    def _file(self, job_id: str) -> Path | None:
        if self._shared_dir is None:
            return None
        return self._shared_dir / "job-inputs" / f"{job_id}.msgpack"

    async def put(self, job_id: str, lane: JobLane, payload: bytes) -> None:
        """Store the input (Redis or the shared directory) and queue the job."""
        stream = self._stream(lane)
        await self._ensure_group(stream)
        if len(payload) <= self._inline_max:

            async def run() -> None:
                async with self._redis.pipeline(transaction=True) as pipe:
                    pipe.set(self._input(job_id), payload)
                    pipe.xadd(stream, {"job": job_id})
                    await pipe.execute()

            await self._call(run)
            return
        path = self._file(job_id)
        if path is None:
            raise PayloadTooLarge(
                f"this job's input is {len(payload)} bytes; replicas share inputs up to "
                f"{self._inline_max} bytes through Redis (ingest.job_input_redis_max_bytes) and "
                "no shared directory (storage.shared_dir) is set for larger ones: send fewer "
                "documents per request",
                field="body",
            )
        await asyncio.to_thread(write_atomic, path, payload)
        await self._call(self._redis.xadd, stream, {"job": job_id})

    async def take(self, lane: JobLane) -> Delivery | None:
        """An abandoned entry first (claimed), else a new one (waits up to ``block_s``)."""
        stream = self._stream(lane)
        await self._ensure_group(stream)
        if time.monotonic() >= self._next_tidy.get(stream, 0.0):
            self._next_tidy[stream] = time.monotonic() + self._forget_after_ms / 1000
            await self._call(self._forget_consumers, stream)
        claimed = await self._call(self._claim, stream)
        if claimed is not None:
            return _delivery(lane, *claimed)
        try:  # not through the breaker: a 1 s wait would hold its half-open trial
            read = await self._read(stream)
        except (RedisError, OSError, TimeoutError) as exc:
            raise DependencyUnavailable("redis", f"redis: {type(exc).__name__}: {exc}") from exc
        return None if read is None else _delivery(lane, read[0], read[1], 1)

    async def _claim(self, stream: str) -> tuple[Any, Any, int] | None:
        try:
            found = await self._redis.xautoclaim(
                stream, GROUP, self.consumer, self._claim_after_ms, start_id="0-0", count=1
            )
        except ResponseError as exc:
            await self._lost_group(stream, exc)
            return None
        if not found or not found[1]:
            return None
        receipt, fields = found[1][0]
        pending = await self._redis.xpending_range(stream, GROUP, receipt, receipt, 1)
        return receipt, fields, int(pending[0]["times_delivered"]) if pending else 2

    async def _forget_consumers(self, stream: str) -> None:
        """Drop consumers of processes long gone (each restart is a new name); only those
        with nothing pending: an entry of a dead consumer is claimed by ``take`` instead."""
        try:
            consumers = await self._redis.xinfo_consumers(stream, GROUP)
        except ResponseError as exc:
            await self._lost_group(stream, exc)
            return
        for info in consumers:
            name = info["name"].decode() if isinstance(info["name"], bytes) else info["name"]
            if (
                name != self.consumer
                and not info["pending"]
                and info["idle"] > self._forget_after_ms
            ):
                await self._redis.xgroup_delconsumer(stream, GROUP, name)

    async def _read(self, stream: str) -> tuple[Any, Any] | None:
        try:
            read: Any = await self._blocking.xreadgroup(
                GROUP, self.consumer, {stream: ">"}, count=1, block=self._block_ms
            )
        except ResponseError as exc:
            await self._lost_group(stream, exc)
            return None
        if not read:
            return None
        receipt, fields = read[0][1][0]
        return receipt, fields

    async def _lost_group(self, stream: str, exc: ResponseError) -> None:
        """Redis lost the group (flushed, or restarted without persistence): make it again."""
        if "NOGROUP" not in str(exc) and "no such key" not in str(exc):
            raise exc
        await self._create_group(stream)

    async def load(self, job_id: str) -> bytes:
        """The input, from Redis or the shared directory."""
        data = await self._call(self._redis.get, self._input(job_id))
        if data is not None:
            return bytes(data)
        path = self._file(job_id)
        if path is not None:
            try:
                return await asyncio.to_thread(path.read_bytes)
            except FileNotFoundError:
                pass
        raise NotFound(f"the input of job {job_id!r} is gone", field="job_id")

    async def keep(self, delivery: Delivery) -> bool:
        """Reset the entry's idle time; False when another consumer owns it now."""
        stream = self._stream(delivery.lane)
        owned = await self._call(
            self._keep, keys=[stream], args=[GROUP, delivery.receipt, self.consumer]
        )
        return bool(owned)

    async def done(self, delivery: Delivery) -> None:
        """Acknowledge and delete the entry, drop the input."""
        await self._settle(delivery, requeue=False)
        path = self._file(delivery.job_id)
        if path is not None:
            await asyncio.to_thread(path.unlink, missing_ok=True)

    async def release(self, delivery: Delivery) -> None:
        """Queue the job again as a new entry and drop this one, in one transaction."""
        await self._settle(delivery, requeue=True)

    async def _settle(self, delivery: Delivery, *, requeue: bool) -> None:
        """Acknowledge and delete the entry; then queue the job anew, or drop its input."""
        stream = self._stream(delivery.lane)

        async def run() -> None:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.xack(stream, GROUP, delivery.receipt)
                pipe.xdel(stream, delivery.receipt)
                if requeue:
                    pipe.xadd(stream, {"job": delivery.job_id})
                else:
                    pipe.delete(self._input(delivery.job_id))
                await pipe.execute()

        await self._call(run)

    async def _ensure_group(self, stream: str) -> None:
        if stream not in self._groups:
            await self._call(self._create_group, stream)
            self._groups.add(stream)

    async def _create_group(self, stream: str) -> None:
        try:
            await self._redis.xgroup_create(stream, GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise


def _delivery(lane: JobLane, receipt: Any, fields: Any, times: int) -> Delivery:
    """A delivery from a stream entry (redis-py returns bytes unless decoding is on)."""
    job = fields.get(b"job") or fields.get("job")
    text = receipt.decode() if isinstance(receipt, bytes) else str(receipt)
    job_id = job.decode() if isinstance(job, bytes) else str(job)
    return Delivery(job_id=job_id, lane=lane, receipt=text, deliveries=times)
