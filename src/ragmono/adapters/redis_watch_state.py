"""Watch state shared by replicas through Redis.

Keys (under ``redis.key_prefix``)::

    watches          hash: watch id -> encoded entry (the watches added at run time)
    lease:<name>     the owner holding a lease, with a Redis-side expiry (PX)

Taking, renewing and releasing a lease are each one atomic script, so two replicas never both
hold it; a replica that dies stops renewing and another takes the lease once it expires.
Failures raise ``DependencyUnavailable`` (the ``redis`` breaker fast-fails while it is open).
"""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

from ragmono.resilience import DependencyBreaker

from .redis_jobs import _Guarded

__all__ = ["RedisLeaseStore", "RedisWatchBook"]

_HOLD = """
local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisWatchBook(_Guarded):
    """Implements ``WatchBook`` as one Redis hash."""

    def __init__(
        self, redis: Redis, *, key_prefix: str, breaker: DependencyBreaker | None = None
    ) -> None:
        super().__init__(redis, key_prefix, breaker)
        self._key = f"{key_prefix}watches"

    async def entries(self) -> dict[str, bytes]:
        """Every saved watch."""
        raw: dict[Any, Any] = await self._call(self._redis.hgetall, self._key)
        return {_text(k): v if isinstance(v, bytes) else str(v).encode() for k, v in raw.items()}

    async def put(self, watch_id: str, entry: bytes) -> None:
        """Save one watch."""
        await self._call(self._redis.hset, self._key, watch_id, entry)

    async def delete(self, watch_id: str) -> None:
        """Forget one watch."""
        await self._call(self._redis.hdel, self._key, watch_id)


class RedisLeaseStore(_Guarded):
    """Implements ``LeaseStore`` with one expiring key per lease."""

    def __init__(
        self, redis: Redis, *, key_prefix: str, breaker: DependencyBreaker | None = None
    ) -> None:
        super().__init__(redis, key_prefix, breaker)
        self._hold = redis.register_script(_HOLD)
        self._release = redis.register_script(_RELEASE)

    async def hold(self, name: str, owner: str, ttl_s: float) -> bool:
        """Take or renew the lease for ``owner``; whether it holds it."""
        key = f"{self._prefix}lease:{name}"
        got = await self._call(self._hold, keys=[key], args=[owner, int(ttl_s * 1000)])
        return bool(got)

    async def release(self, name: str, owner: str) -> None:
        """Drop the lease if ``owner`` holds it."""
        await self._call(self._release, keys=[f"{self._prefix}lease:{name}"], args=[owner])


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
