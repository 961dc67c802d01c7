"""Scheduled backups: a cron expression in local time, run in-process, never two at once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import datetime

import structlog
from croniter import croniter

from .service import BackupService

__all__ = ["BackupSchedule", "next_run"]

log = structlog.get_logger(__name__)


def next_run(cron: str, after: float) -> float:
    """Unix time of the first slot of ``cron`` (local time) strictly after ``after``."""
    start = datetime.fromtimestamp(after).astimezone()
    nxt: datetime = croniter(cron, start).get_next(datetime)
    return nxt.timestamp()


class BackupSchedule:
    """Back up then prune at every slot; a failure is logged, counted and retried next slot."""

    def __init__(
        self,
        service: BackupService,
        cron: str,
        *,
        keep_days: int,
        keep_last: int,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if not croniter.is_valid(cron):
            raise ValueError(f"backup.schedule: {cron!r} is not a cron expression")
        self._service = service
        self._cron = cron
        self._keep_days = keep_days
        self._keep_last = keep_last
        self._clock = clock
        self._sleep = sleep
        self.failures = 0
        """Scheduled backups that failed since start."""
        self.completed = 0
        """Scheduled backups that succeeded since start."""

    async def run_slot(self) -> bool:
        """One scheduled backup and prune; False (logged, counted) when it failed."""
        if self._service.busy:
            log.warning("backup_skipped", reason="another backup, restore or prune is running")
            return False
        try:
            manifest = await self._service.create(trigger="schedule")
        except Exception:  # the service logged it (backup_failed) and counted it in metrics
            self.failures += 1
            return False
        self.completed += 1
        try:
            pruned = await self._service.prune(keep_days=self._keep_days, keep_last=self._keep_last)
        except Exception as exc:  # the backup itself is safe; pruning is retried next slot
            log.error("backup_prune_failed", error=str(exc))
            pruned = []
        log.info("backup_scheduled_done", backup=manifest.id, pruned=pruned)
        return True

    async def run_forever(self) -> None:
        """Sleep until each slot and run it; cancel to stop."""
        while True:
            now = self._clock()
            await self._sleep(max(0.0, next_run(self._cron, now) - now))
            await self.run_slot()
