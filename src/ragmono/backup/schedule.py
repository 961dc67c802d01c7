"""Scheduled backups: a cron expression in local time, run in-process, never two at once.

With several replicas each slot is claimed first (a lease named after the slot, in the shared
:class:`~ragmono.ports.LeaseStore`): the replica that takes it runs the backup and its prune,
the others skip that slot. Nobody holds anything between slots, so a replica that dies is
simply not there to claim the next one. When the lease store cannot be reached, the slot runs
anyway (a duplicate backup is better than none) and a warning says so.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime

import structlog
from croniter import croniter

from ragmono.errors import DependencyUnavailable
from ragmono.ports import LeaseStore

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
        leases: LeaseStore | None = None,
        claim_ttl_s: float = 3600.0,
    ) -> None:
        if not croniter.is_valid(cron):
            raise ValueError(f"backup.schedule: {cron!r} is not a cron expression")
        self._service = service
        self._cron = cron
        self._keep_days = keep_days
        self._keep_last = keep_last
        self._clock = clock
        self._sleep = sleep
        self._leases = leases
        self._owner = uuid.uuid4().hex
        self._claim_ttl_s = claim_ttl_s
        self.skipped = 0
        """Slots another replica claimed."""
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

    async def claim(self, slot: float) -> bool:
        """Whether this replica runs ``slot`` (unix time): the first to claim it does."""
        if self._leases is None:
            return True
        name = f"backup-slot:{self._cron}:{slot:.0f}"
        try:
            won = await self._leases.hold(name, self._owner, self._claim_ttl_s)
        except DependencyUnavailable as exc:
            log.warning("backup_slot_unclaimed", slot=slot, error=exc.detail)
            return True
        if not won:
            self.skipped += 1
            log.info("backup_slot_taken_elsewhere", slot=slot)
        return won

    async def run_forever(self) -> None:
        """Sleep until each slot, claim it and run it; cancel to stop."""
        while True:
            now = self._clock()
            slot = next_run(self._cron, now)
            await self._sleep(max(0.0, slot - now))
            if await self.claim(slot):
                await self.run_slot()
