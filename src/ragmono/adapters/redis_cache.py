"""Redis cache shared by every replica, with an in-process hot tier in front of it.

Reads try the in-process LRU first (no network), then Redis: at most one round trip on the
request path. Writes land in the local tier at once and go to Redis in a background task, so a
miss does not pay a second round trip either. When Redis fails the cache is bypassed (misses,
dropped writes) and the change is logged once per transition, not once per request. Every
command has a socket timeout, and the ``redis`` breaker fast-fails while Redis is known down.

An invalidation (``DELETE /api/v1/admin/cache``) is published on ``<prefix>cache:invalidated``;
every replica following it (``follow``) drops the same entries from its own in-process tier.
Searches need no such message: their keys carry the collection's content version.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from ragmono.domain import DependencyHealth
from ragmono.errors import DependencyUnavailable
from ragmono.ports import CacheStats
from ragmono.resilience import DependencyBreaker

from .cache_memory import LruTtl

__all__ = ["RedisCache"]

log = structlog.get_logger("ragmono.cache")

_FAILURES = (RedisError, OSError, TimeoutError, DependencyUnavailable)


class RedisCache:
    """:class:`~ragmono.ports.Cache` on a shared ``redis.asyncio`` client (see redis_client)."""

    backend = "redis"

    def __init__(
        self,
        redis: Redis,
        *,
        key_prefix: str,
        local_entries: int,
        local_ttl_s: float,
        max_pending_writes: int = 1000,
        breaker: DependencyBreaker | None = None,
        events: Redis | None = None,
    ) -> None:
        """``events``: a client for the invalidation channel (its subscription holds one
        connection for good, so not the request pool's)."""
        self._redis = redis
        self._events = events
        self._channel = f"{key_prefix}cache:invalidated"
        self._origin = uuid.uuid4().hex
        self._follower: asyncio.Task[None] | None = None
        self._prefix = f"{key_prefix}cache:"
        self._local = LruTtl(local_entries)
        self._local_ttl_s = local_ttl_s
        self._breaker = breaker
        self._pending: set[asyncio.Task[None]] = set()
        self._max_pending = max_pending_writes
        self._available = True
        self._hits = self._local_hits = self._misses = self._sets = self._errors = 0

    def _key(self, collection: str, key: str) -> str:
        return f"{self._prefix}{collection}:{key}"

    async def _call(self, fn: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any) -> Any:
        if self._breaker is not None:
            return await self._breaker.call(fn, *args, **kwargs)
        return await fn(*args, **kwargs)

    def _failed(self, operation: str, exc: BaseException) -> None:
        self._errors += 1
        if self._available:
            self._available = False
            log.warning("cache_bypassed", backend="redis", operation=operation, error=repr(exc))

    def _succeeded(self) -> None:
        if not self._available:
            self._available = True
            log.info("cache_restored", backend="redis")

    async def get(self, collection: str, key: str) -> bytes | None:
        """Local tier, then one GET; a Redis failure is a miss."""
        value = self._local.get(collection, key)
        if value is not None:
            self._hits += 1
            self._local_hits += 1
            return value
        try:
            remote = await self._call(self._redis.get, self._key(collection, key))
        except _FAILURES as exc:
            self._failed("get", exc)
            self._misses += 1
            return None
        self._succeeded()
        if remote is None:
            self._misses += 1
            return None
        self._hits += 1
        value = bytes(remote)
        self._local.put(collection, key, value, self._local_ttl_s)
        return value

    async def set(self, collection: str, key: str, value: bytes, ttl_s: float) -> None:
        """Local tier now; Redis SET with expiry in the background."""
        if ttl_s <= 0:
            return
        self._sets += 1
        self._local.put(collection, key, value, min(ttl_s, self._local_ttl_s))
        if len(self._pending) >= self._max_pending:
            return  # Redis is slower than our writes: keep the local copy, skip the shared one
        task = asyncio.create_task(self._set_remote(self._key(collection, key), value, ttl_s))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _set_remote(self, key: str, value: bytes, ttl_s: float) -> None:
        try:
            await self._call(self._redis.set, key, value, px=max(1, int(ttl_s * 1000)))
        except _FAILURES as exc:
            self._failed("set", exc)
        else:
            self._succeeded()

    async def invalidate(self, collection: str | None = None) -> int:
        """Drop matching keys here and in Redis (SCAN + UNLINK, in batches).

        Raises ``DependencyUnavailable`` if Redis cannot be reached: the local tier is
        cleared, but other replicas' entries could not be.
        """
        dropped = self._local.drop(collection)
        pattern = f"{self._prefix}{collection}:*" if collection else f"{self._prefix}*"
        try:
            dropped += int(await self._call(self._unlink_matching, pattern))
        except _FAILURES as exc:
            self._failed("invalidate", exc)
            raise DependencyUnavailable("redis", f"cache invalidation failed: {exc}") from exc
        with contextlib.suppress(*_FAILURES):  # the shared tier is clear; other tiers age out
            await self._call(
                self._redis.publish, self._channel, f"{self._origin} {collection or ''}"
            )
        self._succeeded()
        return dropped

    def follow(self) -> None:
        """Start dropping this process's tier when another replica invalidates (needs a
        running event loop; ``close`` stops it)."""
        if self._events is not None and self._follower is None:
            self._follower = asyncio.create_task(self._follow(), name="cache-invalidations")

    async def _follow(self) -> None:
        assert self._events is not None
        while True:
            try:
                async with self._events.pubsub() as pubsub:
                    await pubsub.subscribe(self._channel)
                    while True:
                        message = await pubsub.get_message(
                            ignore_subscribe_messages=True, timeout=1.0
                        )
                        if message is not None:
                            self._on_invalidated(message["data"])
            except _FAILURES:  # Redis down: clears fail meanwhile too; subscribe again
                await asyncio.sleep(1.0)

    def _on_invalidated(self, data: bytes | str) -> None:
        text = data.decode() if isinstance(data, bytes) else data
        origin, _, collection = text.partition(" ")
        if origin != self._origin:
            self._local.drop(collection or None)

    async def _unlink_matching(self, pattern: str) -> int:
        count = 0
        batch: list[bytes] = []
        async for key in self._redis.scan_iter(match=pattern, count=500):
            batch.append(key)
            if len(batch) >= 500:
                count += int(await self._redis.unlink(*batch))
                batch.clear()
        if batch:
            count += int(await self._redis.unlink(*batch))
        return count

    async def stats(self) -> CacheStats:
        """This process's counters (local plus remote hits)."""
        return CacheStats(
            backend=self.backend,
            hits=self._hits,
            misses=self._misses,
            sets=self._sets,
            local_hits=self._local_hits,
            local_entries=len(self._local),
            errors=self._errors,
            available=self._available,
        )

    async def health(self) -> DependencyHealth:
        """PING latency; not required (the app runs without its cache)."""
        started = time.perf_counter()
        try:
            await self._redis.ping()
            reachable, detail = True, ""
        except _FAILURES as exc:
            reachable, detail = False, f"{type(exc).__name__}: {exc}"
        return DependencyHealth(
            name="cache",
            mode=self.backend,
            reachable=reachable,
            latency_ms=round((time.perf_counter() - started) * 1000, 3),
            required=False,
            detail=detail,
        )

    async def close(self) -> None:
        """Stop following invalidations, wait for background writes (the clients are closed
        by their owner)."""
        if self._follower is not None:
            self._follower.cancel()
            await asyncio.gather(self._follower, return_exceptions=True)
            self._follower = None
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)
