"""The limiter: exact counts per client and group, and its fall back to memory."""

from __future__ import annotations

from typing import Any

import pytest

from ragmono.adapters.rate_limit_memory import MemoryRateLimitStore
from ragmono.adapters.redis_rate_limit import RedisRateLimitStore
from ragmono.modules.ratelimit import Rate, RateLimiter, RatePolicy
from tests.support.ports import free_port


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_exactly_the_limit_is_allowed_per_identity_and_group() -> None:
    clock = Clock()
    policy = RatePolicy(Rate(3, 60), {"ingest": Rate(1, 60)})
    limiter = RateLimiter(policy, MemoryRateLimitStore(clock=clock))
    results = [await limiter.check("ip:a", "search") for _ in range(5)]
    assert [q.allowed for q in results] == [True, True, True, False, False]
    assert [q.remaining for q in results] == [2, 1, 0, 0, 0]
    assert all(q.limit == 3 and q.reset_s == 60 for q in results)
    assert (await limiter.check("ip:b", "search")).allowed  # another client
    assert (await limiter.check("ip:a", "ingest")).allowed  # another group
    assert not (await limiter.check("ip:a", "ingest")).allowed
    clock.now += 45
    assert (await limiter.check("ip:a", "search")).reset_s == 15
    clock.now += 15
    fresh = await limiter.check("ip:a", "search")
    assert (fresh.allowed, fresh.remaining, fresh.reset_s) == (True, 2, 60)


async def test_memory_store_forgets_expired_windows() -> None:
    clock = Clock()
    store = MemoryRateLimitStore(clock=clock)
    for i in range(1500):
        await store.hit(f"k{i}", 1)
    clock.now += 2
    for i in range(600):
        await store.hit(f"new{i}", 1)
    assert len(store) < 1500


async def test_a_dead_shared_store_falls_back_to_memory_and_logs_once(capsys: Any) -> None:
    dead = RedisRateLimitStore.from_url(
        f"redis://127.0.0.1:{free_port()}/0", prefix="t:", timeout_s=0.2
    )
    limiter = RateLimiter(RatePolicy(Rate(2, 60)), MemoryRateLimitStore())
    limiter.share_through(dead)
    results = [await limiter.check("ip:a", "search") for _ in range(4)]
    assert [q.allowed for q in results] == [True, True, False, False]  # held, per process
    assert limiter.degraded
    logged = capsys.readouterr().err
    assert logged.count("rate_limit_store_unavailable") == 1
    assert '"dependency": "redis"' in logged
    await limiter.close()
    await dead.close()


@pytest.mark.parametrize("window_s", [0.001, 1.0])
async def test_reset_is_at_least_a_second(window_s: float) -> None:
    limiter = RateLimiter(RatePolicy(Rate(1, window_s)), MemoryRateLimitStore())
    assert (await limiter.check("x", "search")).reset_s == 1
