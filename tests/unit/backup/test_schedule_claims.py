"""Scheduled backups with several replicas: each slot is claimed through the shared lease
store by one replica only; without the lease store the slot runs anyway."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ragmono.adapters.qdrant.embedded.embedded_store import EmbeddedVectorStore
from ragmono.adapters.watch_state_local import MemoryLeaseStore
from ragmono.backup import BackupSchedule, BackupService, FileCopyMedium
from ragmono.errors import DependencyUnavailable
from tests.support.clock import ManualClock
from tests.support.vector_data import spec

CRON = "0 2 * * *"
SLOT = 1_772_330_400.0


class DownLeases:
    async def hold(self, name: str, owner: str, ttl_s: float) -> bool:
        raise DependencyUnavailable("redis", "down")

    async def release(self, name: str, owner: str) -> None:
        raise DependencyUnavailable("redis", "down")


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[BackupService]:
    store = EmbeddedVectorStore(tmp_path / "vectors")
    await store.create_collection(spec("docs"))
    medium = FileCopyMedium(store, staging=tmp_path / ".restore", engine_version="0.9.0")
    yield BackupService(medium, tmp_path / "backups", ragmono_version="0.1.0", clock=ManualClock())
    await store.close()


async def test_one_replica_claims_each_slot(service: BackupService) -> None:
    leases = MemoryLeaseStore()
    replicas = [
        BackupSchedule(service, CRON, keep_days=30, keep_last=7, leases=leases) for _ in range(3)
    ]
    for n, slot in enumerate((SLOT, SLOT + 86400, SLOT + 2 * 86400)):
        order = replicas[n:] + replicas[:n]  # a different replica wakes first each time
        won = [await r.claim(slot) for r in order]
        assert won == [True, False, False]
        assert await order[1].claim(slot) is False  # asking again changes nothing
    assert [r.skipped for r in replicas] == [3, 3, 3]


async def test_without_the_lease_store_every_replica_runs_the_slot(
    service: BackupService,
) -> None:
    down = BackupSchedule(service, CRON, keep_days=30, keep_last=7, leases=DownLeases())
    alone = BackupSchedule(service, CRON, keep_days=30, keep_last=7)
    assert await down.claim(SLOT) is True
    assert await alone.claim(SLOT) is True
