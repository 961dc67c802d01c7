"""One ``redis.asyncio`` client per process, shared by every Redis adapter."""

from __future__ import annotations

from redis.asyncio import BlockingConnectionPool, Redis
from redis.exceptions import RedisError

__all__ = ["is_redis_failure", "open_redis"]


def open_redis(url: str, *, timeout_s: float, max_connections: int = 32) -> Redis:
    """A client on a bounded pool; every command and connect has ``timeout_s``.

    The pool blocks (up to the timeout) for a free connection instead of failing a burst.
    Nothing connects until the first command. Close with ``await client.aclose()``.
    """
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=timeout_s,
        socket_timeout=timeout_s,
        socket_connect_timeout=timeout_s,
        health_check_interval=30,
    )
    return Redis.from_pool(pool)  # the client owns the pool: aclose() closes both


def is_redis_failure(exc: BaseException) -> bool:
    """Connection errors, timeouts and server errors count against the ``redis`` breaker."""
    return isinstance(exc, RedisError | OSError | TimeoutError)
