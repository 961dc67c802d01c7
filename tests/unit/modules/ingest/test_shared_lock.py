"""SharedLock: one holder at a time across "replicas" sharing a lease store; without it, the
step still runs (this process's lock only)."""

from __future__ import annotations

import asyncio

import pytest

from ragmono.adapters.watch_state_local import MemoryLeaseStore
from ragmono.errors import DependencyUnavailable
from ragmono.modules.ingest import SharedLock


class DownLeases:
    async def hold(self, name: str, owner: str, ttl_s: float) -> bool:
        raise DependencyUnavailable("redis", "down")

    async def release(self, name: str, owner: str) -> None:
        raise DependencyUnavailable("redis", "down")


async def test_two_replicas_never_hold_the_same_lock_at_once() -> None:
    leases = MemoryLeaseStore()
    replicas = [SharedLock(leases, poll_s=0.001), SharedLock(leases, poll_s=0.001)]
    inside: list[int] = []
    overlaps = 0

    async def step(lock: SharedLock, n: int) -> None:
        nonlocal overlaps
        async with lock.hold("version:docs"):
            inside.append(n)
            overlaps += len(inside) > 1
            await asyncio.sleep(0.002)
            inside.remove(n)

    await asyncio.gather(*(step(replicas[n % 2], n) for n in range(20)))
    assert overlaps == 0
    assert await leases.hold("version:docs", "someone else", 1.0)  # released after each


async def test_another_name_is_not_blocked() -> None:
    leases = MemoryLeaseStore()
    one, two = SharedLock(leases), SharedLock(leases)
    async with one.hold("version:a"):
        async with asyncio.timeout(1):
            async with two.hold("version:b"):
                pass


async def test_a_lock_held_elsewhere_too_long_is_a_503() -> None:
    leases = MemoryLeaseStore()
    assert await leases.hold("version:docs", "a dead replica", 60.0)
    with pytest.raises(DependencyUnavailable):
        async with SharedLock(leases, wait_s=0.05).hold("version:docs"):
            pass


async def test_without_the_lease_store_the_step_runs_anyway() -> None:
    ran = []
    for lock in (SharedLock(DownLeases()), SharedLock(None)):
        async with lock.hold("version:docs"):
            ran.append(True)
    assert ran == [True, True]
