"""Redis rate-limit store: one atomic Lua call (one round trip) per request, shared by instances.

The script increments the key and starts its window (PEXPIRE) on the first hit, then returns
the count and the time left, so two instances can never both take the last slot.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from ragmono.errors import DependencyUnavailable
from ragmono.ports import WindowHit

__all__ = ["RedisRateLimitStore", "is_redis_failure"]

T = TypeVar("T")

_HIT = """
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
"""


def is_redis_failure(exc: BaseException) -> bool:
    """Connection errors, timeouts and server errors count against the ``redis`` breaker."""
    return isinstance(exc, RedisError | OSError | TimeoutError)


class Breaker(Protocol):
    """What this adapter needs of a circuit breaker (``ragmono.resilience``'s ``redis`` one)."""

    async def call(self, fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        """Run ``fn`` or fast-fail with ``DependencyUnavailable`` while open."""
        ...


class RedisRateLimitStore:
    """``RateLimitStore`` on Redis; failures become ``DependencyUnavailable("redis")``."""

    def __init__(
        self, client: Redis, *, prefix: str = "ragmono:", breaker: Breaker | None = None
    ) -> None:
        self._client = client
        self._prefix = f"{prefix}rl:"
        self._script = client.register_script(_HIT)
        self._breaker = breaker

    @classmethod
    def from_url(
        cls, url: str, *, prefix: str, timeout_s: float, breaker: Breaker | None = None
    ) -> RedisRateLimitStore:
        """A store with its own client: short timeouts, no retries (the caller falls back)."""
        client = Redis.from_url(
            url,
            socket_timeout=timeout_s,
            socket_connect_timeout=timeout_s,
            retry=Retry(NoBackoff(), 0),
        )
        return cls(client, prefix=prefix, breaker=breaker)

    async def hit(self, key: str, window_s: float) -> WindowHit:
        """Count one request under ``key`` in Redis."""
        keys, args = [self._prefix + key], [max(1, int(window_s * 1000))]
        try:
            if self._breaker is not None:
                result = await self._breaker.call(self._script, keys=keys, args=args)
            else:
                result = await self._script(keys=keys, args=args)
        except (RedisError, OSError, TimeoutError) as exc:
            raise DependencyUnavailable("redis", f"rate-limit store failed: {exc}") from exc
        count, ttl_ms = result
        return WindowHit(count=int(count), reset_s=int(ttl_ms) / 1000)

    async def close(self) -> None:
        """Close the client's connections."""
        await self._client.aclose()
