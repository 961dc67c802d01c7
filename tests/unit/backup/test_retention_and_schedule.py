"""Retention with a fake clock and the schedule's slots, on a real (empty) embedded store."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from ragmono.adapters.qdrant.embedded.embedded_store import EmbeddedVectorStore
from ragmono.adapters.telemetry_memory import RecordingTelemetry
from ragmono.backup import BackupSchedule, BackupService, FileCopyMedium, expired, next_run
from tests.support.clock import ManualClock
from tests.support.vector_data import spec

DAY = 86400.0


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[EmbeddedVectorStore]:
    s = EmbeddedVectorStore(tmp_path / "vectors")
    await s.create_collection(spec("docs"))
    yield s
    await s.close()


def _service(store: EmbeddedVectorStore, tmp_path: Path, clock: ManualClock) -> BackupService:
    medium = FileCopyMedium(store, staging=tmp_path / ".restore", engine_version="0.9.0")
    return BackupService(medium, tmp_path / "backups", ragmono_version="0.1.0", clock=clock)


async def test_prune_removes_exactly_the_backups_past_retention(
    store: EmbeddedVectorStore, tmp_path: Path
) -> None:
    clock = ManualClock(start=1_700_000_000.0)
    svc = _service(store, tmp_path, clock)
    ids = []
    for _ in range(12):  # one every 5 days: days 0, 5, ..., 55
        ids.append((await svc.create()).id)
        clock.advance(5 * DAY)
    clock.now = 1_700_000_000.0 + 60 * DAY
    # Older than 30 days: days 0..25 (6); the newest 7 are days 25..55, so day 25 stays.
    pruned = await svc.prune(keep_days=30, keep_last=7)
    assert pruned == ids[:5]
    assert sorted(b.id for b in await svc.all()) == sorted(ids[5:])
    assert await svc.prune(keep_days=30, keep_last=7) == []


async def test_the_newest_keep_last_survive_however_old(
    store: EmbeddedVectorStore, tmp_path: Path
) -> None:
    clock = ManualClock(start=1_700_000_000.0)
    svc = _service(store, tmp_path, clock)
    ids = []
    for _ in range(5):
        ids.append((await svc.create()).id)
        clock.advance(DAY)
    clock.advance(365 * DAY)
    assert await svc.prune(keep_days=30, keep_last=3) == ids[:2]
    assert sorted(b.id for b in await svc.all()) == ids[2:]


def test_expired_with_keep_last_zero_removes_all_old_ones() -> None:
    from ragmono.backup import BackupManifest

    made = [
        BackupManifest(
            id=f"b{i}",
            created_at=i * DAY,
            ragmono_version="x",
            engine_version="0.9.0",
            collections=[],
            files={},
        )
        for i in range(4)
    ]
    assert expired(made, now=10 * DAY, keep_days=8, keep_last=0) == ["b0", "b1"]


def test_next_run_is_the_next_local_slot() -> None:
    start = datetime(2026, 3, 1, 1, 30).astimezone().timestamp()
    nxt = datetime.fromtimestamp(next_run("0 2 * * *", start))
    assert (nxt.day, nxt.hour, nxt.minute) == (1, 2, 0)
    after = datetime.fromtimestamp(next_run("0 2 * * *", nxt.timestamp()))
    assert (after.day, after.hour) == (2, 2)


async def test_a_failed_slot_is_counted_and_the_next_slot_retries(
    store: EmbeddedVectorStore, tmp_path: Path
) -> None:
    clock = ManualClock(start=datetime(2026, 3, 1, 1, 0).astimezone().timestamp())
    svc = _service(store, tmp_path, clock)
    (tmp_path / "backups").write_text("a file where the backup directory should be")
    slots: list[float] = []

    async def sleep(seconds: float) -> None:
        clock.advance(seconds)
        slots.append(clock.now)
        if len(slots) == 2:  # the operator fixes the disk between the slots
            (tmp_path / "backups").unlink()
        if len(slots) == 3:
            raise asyncio.CancelledError

    schedule = BackupSchedule(svc, "0 2 * * *", keep_days=30, keep_last=7, clock=clock, sleep=sleep)
    with pytest.raises(asyncio.CancelledError):
        await schedule.run_forever()
    assert [datetime.fromtimestamp(t).hour for t in slots] == [2, 2, 2]
    assert schedule.failures == 1
    assert schedule.completed == 1
    assert len(await svc.all()) == 1


async def test_a_slot_never_runs_beside_another_backup(
    store: EmbeddedVectorStore, tmp_path: Path
) -> None:
    svc = _service(store, tmp_path, ManualClock())
    schedule = BackupSchedule(svc, "0 2 * * *", keep_days=30, keep_last=7)
    backup_id = svc.start()
    assert await schedule.run_slot() is False
    await svc.wait(backup_id)
    assert [b.id for b in await svc.all()] == [backup_id]
    assert await schedule.run_slot() is True
    assert len(await svc.all()) == 2


async def test_a_failed_slot_is_logged_once_counted_in_metrics_and_retried(
    store: EmbeddedVectorStore, tmp_path: Path, capsys: Any
) -> None:
    clock = ManualClock(start=datetime(2026, 3, 1, 1, 0).astimezone().timestamp())
    telemetry = RecordingTelemetry()
    medium = FileCopyMedium(store, staging=tmp_path / ".restore", engine_version="0.9.0")
    svc = BackupService(
        medium, tmp_path / "backups", ragmono_version="0.1.0", clock=clock, telemetry=telemetry
    )
    (tmp_path / "backups").write_text("a file where the backup directory should be")
    capsys.readouterr()
    schedule = BackupSchedule(svc, "0 2 * * *", keep_days=30, keep_last=7, clock=clock)

    assert await schedule.run_slot() is False
    err = capsys.readouterr().err
    assert err.count('"event": "backup_failed"') == 1
    assert '"trigger": "schedule"' in err
    assert telemetry.of("observe_backup") == [
        {"outcome": "failure", "trigger": "schedule", "at": clock.now}
    ]

    (tmp_path / "backups").unlink()  # the operator fixes the disk; the next slot retries
    clock.advance(DAY)
    assert await schedule.run_slot() is True
    assert [c["outcome"] for c in telemetry.of("observe_backup")] == ["failure", "success"]
    assert len(await svc.all()) == 1
