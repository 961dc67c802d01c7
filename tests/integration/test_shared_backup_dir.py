"""Two replicas' backup services on one ``backup.dir`` (a shared volume) and one real Redis:
a backup being written on one is never removed as left over by the other, while a truly
abandoned ``.partial`` folder still is."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from ragmono.adapters.redis_watch_state import RedisLeaseStore
from ragmono.backup import BackupService
from ragmono.ports import CollectionEntry
from tests.conftest import RedisClients


class SlowMedium:
    """A backup medium that writes one file, then waits to be let go (a long snapshot)."""

    mode = "server"
    engine = "qdrant"

    def __init__(self) -> None:
        self.writing = asyncio.Event()
        self.finish = asyncio.Event()

    @property
    def nodes(self) -> list[str]:
        return ["http://qdrant:6333"]

    async def engine_versions(self) -> list[str]:
        return ["1.16.0"]

    async def write(self, into: Path) -> list[CollectionEntry]:
        (into / "docs.snapshot").write_bytes(b"snapshot bytes")
        self.writing.set()
        await self.finish.wait()
        return []

    async def restore(
        self, source: Path, files: Mapping[str, str], collections: Sequence[CollectionEntry]
    ) -> None:
        raise NotImplementedError


@pytest.fixture
def leases(redis_clients: RedisClients, request: pytest.FixtureRequest) -> list[RedisLeaseStore]:
    """Two replicas' lease stores on the one Redis."""
    prefix = f"t-{request.node.name}:"
    return [RedisLeaseStore(redis_clients(), key_prefix=prefix) for _ in range(2)]


async def test_a_backup_being_written_on_one_replica_is_not_removed_by_another(
    tmp_path: Path, leases: list[RedisLeaseStore]
) -> None:
    shared = tmp_path / "backups"
    medium = SlowMedium()
    one = BackupService(medium, shared, ragmono_version="0", leases=leases[0])
    two = BackupService(SlowMedium(), shared, ragmono_version="0", leases=leases[1])
    (shared / "20260101T000000Z.partial").mkdir(parents=True)  # a backup killed long ago
    backup_id = one.start()
    await asyncio.wait_for(medium.writing.wait(), 5)
    assert await two.remove_partials() == ["20260101T000000Z"]  # only the abandoned one
    assert (shared / f"{backup_id}.partial" / "docs.snapshot").exists()
    medium.finish.set()
    manifest = await one.wait(backup_id)
    assert manifest.id == backup_id
    assert [b.id for b in await two.all()] == [backup_id]  # whole, and seen by both


async def test_without_redis_leases_one_process_still_removes_leftovers(tmp_path: Path) -> None:
    service = BackupService(SlowMedium(), tmp_path / "backups", ragmono_version="0")
    (tmp_path / "backups" / "20260101T000000Z.partial").mkdir(parents=True)
    assert await service.remove_partials() == ["20260101T000000Z"]
