"""``WriteHolds`` in Redis: each step one atomic script, expiries on Redis's own clock.

Keys (under ``redis.key_prefix``)::

    hold:<collection>      hash: owner, token; expires (PX) unless renewed
    writers:<collection>   sorted set: writer id -> expiry (ms, Redis TIME)
    fence:<collection>     counter: the last fencing token handed out

Failures raise ``DependencyUnavailable`` (the ``redis`` breaker fast-fails while it is open).
"""

from __future__ import annotations

from redis.asyncio import Redis

from ragmono.resilience import DependencyBreaker

from .redis_jobs import _Guarded

__all__ = ["RedisWriteHolds"]

_NOW = "local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000)\n"
_ENTER = (
    _NOW
    + """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 1
"""
)
_HOLD = """
local holder = redis.call('HGET', KEYS[1], 'owner')
local token
if holder == false then
  token = redis.call('INCR', KEYS[2])
  redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'token', token)
elseif holder == ARGV[1] then
  token = tonumber(redis.call('HGET', KEYS[1], 'token'))
else
  return -1
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return token
"""
_WRITERS = (
    _NOW
    + """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZCARD', KEYS[1])
"""
)
_RELEASE = """
if redis.call('HGET', KEYS[1], 'owner') == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisWriteHolds(_Guarded):
    """Implements ``WriteHolds`` on a shared ``redis.asyncio`` client."""

    def __init__(
        self, redis: Redis, *, key_prefix: str, breaker: DependencyBreaker | None = None
    ) -> None:
        super().__init__(redis, key_prefix, breaker)
        self._enter = redis.register_script(_ENTER)
        self._hold = redis.register_script(_HOLD)
        self._writers = redis.register_script(_WRITERS)
        self._release = redis.register_script(_RELEASE)

    def _key(self, kind: str, collection: str) -> str:
        return f"{self._prefix}{kind}:{collection}"

    async def enter(self, collection: str, writer: str, ttl_s: float) -> bool:
        """Register ``writer`` unless the collection is held."""
        keys = [self._key("hold", collection), self._key("writers", collection)]
        return bool(await self._call(self._enter, keys=keys, args=[writer, _ms(ttl_s)]))

    async def leave(self, collection: str, writer: str) -> None:
        """Unregister ``writer``."""
        await self._call(self._redis.zrem, self._key("writers", collection), writer)

    async def hold(self, collection: str, owner: str, ttl_s: float) -> int | None:
        """Take or renew the hold; its fencing token, or None when another owner has it."""
        keys = [self._key("hold", collection), self._key("fence", collection)]
        token = int(await self._call(self._hold, keys=keys, args=[owner, _ms(ttl_s)]))
        return None if token < 0 else token

    async def writers(self, collection: str) -> int:
        """Writers not expired (expired ones are dropped)."""
        return int(await self._call(self._writers, keys=[self._key("writers", collection)]))

    async def release(self, collection: str, owner: str) -> None:
        """Drop the hold if ``owner`` has it."""
        keys = [self._key("hold", collection)]
        await self._call(self._release, keys=keys, args=[owner])


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))
