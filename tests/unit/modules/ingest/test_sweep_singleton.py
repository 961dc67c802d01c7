"""The reindex retention sweep with several replicas: the one holding the sweep lease sweeps,
another takes over when it stops renewing; without the lease store every replica sweeps."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from ragmono.adapters.watch_state_local import MemoryLeaseStore
from ragmono.errors import DependencyUnavailable
from ragmono.modules.ingest import WriteGate
from ragmono.modules.reindex import Reindexer
from ragmono.ports import LeaseStore


class DownLeases:
    async def hold(self, name: str, owner: str, ttl_s: float) -> bool:
        raise DependencyUnavailable("redis", "down")

    async def release(self, name: str, owner: str) -> None:
        raise DependencyUnavailable("redis", "down")


def _replica(leases: LeaseStore | None, swept: list[str], name: str) -> Reindexer:
    reindexer = Reindexer(
        cast(Any, None), cast(Any, None), cast(Any, None), WriteGate(), leases=leases
    )

    async def sweep() -> int:
        swept.append(name)
        return 0

    reindexer.sweep = sweep  # type: ignore[method-assign]
    return reindexer


async def test_one_replica_sweeps_and_another_takes_over() -> None:
    leases, swept = MemoryLeaseStore(), []
    a, b = _replica(leases, swept, "a"), _replica(leases, swept, "b")
    async with a.sweeping(every_s=0.05):
        async with b.sweeping(every_s=0.05):
            await asyncio.sleep(0.3)
        assert set(swept) == {"a"}
    swept.clear()
    async with b.sweeping(every_s=0.05):
        await asyncio.sleep(0.3)  # a's lease (two rounds) runs out, b takes it
    assert set(swept) == {"b"}


async def test_without_the_lease_store_every_replica_sweeps() -> None:
    swept: list[str] = []
    a, b = _replica(DownLeases(), swept, "a"), _replica(None, swept, "b")
    async with a.sweeping(every_s=0.05), b.sweeping(every_s=0.05):
        await asyncio.sleep(0.02)
    assert sorted(swept) == ["a", "b"]
