"""Backups in every vector-store mode: ids, one at a time, manifests, verified restore.

A backup is ``<dir>/<id>/`` holding what the :class:`~ragmono.ports.BackupMedium` wrote (the
embedded data directory, or one Qdrant snapshot per collection and node) and
``manifest.json`` with a sha256 per file. It is written as ``<id>.partial`` and renamed when
complete, so a listed backup is always whole. Restore checks versions and every checksum
before anything is replaced.

Replicas may share ``backup.dir`` (a shared volume): a backup being written holds the lease
``backup-writing:<id>`` (Redis, renewed while it writes), so another replica never removes its
``.partial`` folder as left over, nor writes a backup under the same id.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Literal

import structlog

from ragmono.errors import Conflict, NotFound
from ragmono.ports import BackupMedium, BackupTrigger, LeaseStore, Telemetry

from .manifest import (
    BackupManifest,
    read_manifest,
    sha256_file,
    verify_files,
    write_manifest,
)
from .retention import expired
from .versions import version_problem, version_tuple

__all__ = ["BackupService"]

log = structlog.get_logger(__name__)
_ID = re.compile(r"^\d{8}T\d{6}Z(-\d+)?$")
WRITING_LEASE_S = 60.0
"""How long a writing backup's lease lasts unless renewed (every third of it)."""


class BackupService:
    """Create, list, verify, restore, delete and prune backups through a backup medium."""

    def __init__(
        self,
        medium: BackupMedium,
        directory: Path,
        *,
        ragmono_version: str,
        clock: Callable[[], float] = time.time,
        telemetry: Telemetry | None = None,
        after_restore: Callable[[], Awaitable[object]] | None = None,
        leases: LeaseStore | None = None,
    ) -> None:
        """``leases``: shared by replicas that share ``directory`` (None: this process only)."""
        self._leases = leases
        self._owner = f"backups-{uuid.uuid4().hex}"
        self._medium = medium
        self._after_restore = after_restore
        self.directory = directory
        self._ragmono_version = ragmono_version
        self._clock = clock
        self._telemetry = telemetry
        self._lock = asyncio.Lock()
        """Held by a backup, restore or prune: never two at once."""
        self._tasks: dict[str, asyncio.Task[BackupManifest]] = {}
        self.failures: dict[str, str] = {}
        """Backups started in the background that failed, by id, with the reason."""

    @property
    def busy(self) -> bool:
        """A backup, restore or prune is running."""
        return self._lock.locked() or bool(self._tasks)

    def _new_id(self) -> str:
        base = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(self._clock()))
        candidate, n = base, 1
        taken = self._tasks.keys() | self.failures.keys()
        while (self.directory / candidate).exists() or candidate in taken:
            candidate, n = f"{base}-{n}", n + 1
        return candidate

    def _path(self, backup_id: str) -> Path:
        if not _ID.match(backup_id) or not (self.directory / backup_id).is_dir():
            raise NotFound(f"backup {backup_id!r} does not exist", field="id")
        return self.directory / backup_id

    # -- create ------------------------------------------------------------------------------

    @property
    def mode(self) -> str:
        """The vector-store mode backed up."""
        return self._medium.mode

    async def create(self, *, trigger: BackupTrigger = "cli") -> BackupManifest:
        """Take a backup now (waits for a running one to finish first)."""
        async with self._lock:
            return await self._create(self._new_id(), trigger)

    def start(self) -> str:
        """Start a backup in the background; its id. ``Conflict`` while one is running."""
        if self.busy:
            raise Conflict("a backup, restore or prune is already running", field="backup")
        backup_id = self._new_id()

        async def run() -> BackupManifest:
            async with self._lock:
                try:
                    return await self._create(backup_id, "api")
                except Exception as exc:
                    self.failures[backup_id] = str(exc)
                    raise
                finally:
                    self._tasks.pop(backup_id, None)

        task = self._tasks[backup_id] = asyncio.create_task(run())
        # The failure is kept in ``failures`` and logged; asyncio need not report it again.
        task.add_done_callback(lambda t: t.cancelled() or t.exception())
        return backup_id

    async def wait(self, backup_id: str) -> BackupManifest:
        """The manifest of ``backup_id`` once its background run has finished."""
        task = self._tasks.get(backup_id)
        if task is None:
            return await self.get(backup_id)
        return await asyncio.shield(task)

    def running(self) -> list[str]:
        """Ids of backups still being written."""
        return sorted(self._tasks)

    async def _create(self, backup_id: str, trigger: BackupTrigger) -> BackupManifest:
        if not await self._hold_writing(backup_id):
            raise Conflict(
                f"another replica is writing backup {backup_id} in the same directory; try again",
                field="backup",
            )
        renewing = asyncio.create_task(self._renew_writing(backup_id))
        try:
            return await self._write(backup_id, trigger)
        finally:
            renewing.cancel()
            await asyncio.gather(renewing, return_exceptions=True)
            await self._release_writing(backup_id)

    async def _hold_writing(self, backup_id: str) -> bool:
        if self._leases is None:
            return True
        return await self._leases.hold(f"backup-writing:{backup_id}", self._owner, WRITING_LEASE_S)

    async def _renew_writing(self, backup_id: str) -> None:
        while True:
            await asyncio.sleep(WRITING_LEASE_S / 3)
            with contextlib.suppress(Exception):  # Redis down: nobody can take it either
                await self._hold_writing(backup_id)

    async def _release_writing(self, backup_id: str) -> None:
        if self._leases is not None:
            with contextlib.suppress(Exception):  # it expires by itself
                await self._leases.release(f"backup-writing:{backup_id}", self._owner)

    async def _write(self, backup_id: str, trigger: BackupTrigger) -> BackupManifest:
        started = time.perf_counter()
        partial = self.directory / f"{backup_id}.partial"
        try:
            shutil.rmtree(partial, ignore_errors=True)
            partial.mkdir(parents=True)
            created_at = self._clock()
            entries = await self._medium.write(partial)
            versions = await self._medium.engine_versions()
            files = await asyncio.to_thread(_checksums, partial)
            manifest = BackupManifest(
                id=backup_id,
                created_at=created_at,
                mode=self._medium.mode,
                ragmono_version=self._ragmono_version,
                engine=self._medium.engine,
                engine_version=max(versions, key=version_tuple),
                nodes=self._medium.nodes,
                collections=entries,
                files=files,
                size_bytes=sum(f.stat().st_blocks * 512 for f in partial.rglob("*") if f.is_file()),
            )
            write_manifest(partial, manifest)
            partial.replace(self.directory / backup_id)
        except BaseException as exc:
            shutil.rmtree(partial, ignore_errors=True)
            self._observe("failure", trigger)
            log.error("backup_failed", backup=backup_id, trigger=trigger, error=str(exc))
            raise
        self._observe("success", trigger)
        log.info(
            "backup_created",
            backup=backup_id,
            trigger=trigger,
            mode=manifest.mode,
            collections=len(entries),
            files=len(files),
            bytes=manifest.size_bytes,
            seconds=round(time.perf_counter() - started, 3),
        )
        return manifest

    def _observe(self, outcome: Literal["success", "failure"], trigger: BackupTrigger) -> None:
        if self._telemetry is not None:
            self._telemetry.observe_backup(outcome, trigger, self._clock())

    # -- read and delete -----------------------------------------------------------------------

    async def all(self) -> list[BackupManifest]:
        """Complete backups, newest first (unreadable ones are logged and skipped)."""
        if not self.directory.is_dir():
            return []
        found: list[BackupManifest] = []
        for path in self.directory.iterdir():
            if not _ID.match(path.name) or not path.is_dir():
                continue
            try:
                found.append(read_manifest(path))
            except Exception as exc:
                log.warning("backup_unreadable", backup=path.name, error=str(exc))
        return sorted(found, key=lambda m: (m.created_at, m.id), reverse=True)

    async def get(self, backup_id: str) -> BackupManifest:
        """One backup's manifest; ``NotFound`` if there is none."""
        try:
            return read_manifest(self._path(backup_id))
        except (OSError, ValueError) as exc:
            raise Conflict(
                f"backup {backup_id} has no readable manifest: {exc}", field="id"
            ) from exc

    async def delete(self, backup_id: str) -> None:
        """Remove one backup."""
        path = self._path(backup_id)
        await asyncio.to_thread(shutil.rmtree, path)
        log.info("backup_deleted", backup=backup_id)

    async def remove_partials(self) -> list[str]:
        """Remove unfinished backups (``<id>.partial``) no running backup is writing; their ids.

        A backup killed mid-copy leaves one behind; nothing else ever removes it. One whose
        writing lease another replica holds is being written there: it is left alone.
        """
        if not self.directory.is_dir():
            return []
        writing = {f"{backup_id}.partial" for backup_id in self._tasks}
        removed = []
        for path in sorted(self.directory.glob("*.partial")):
            backup_id = path.name.removesuffix(".partial")
            if path.name in writing or not path.is_dir():
                continue
            try:
                if not await self._hold_writing(backup_id):
                    continue  # another replica is writing it
            except Exception as exc:  # Redis down: cannot tell, so keep it (next prune retries)
                log.warning("partial_backup_kept", backup=backup_id, error=str(exc))
                continue
            await asyncio.to_thread(shutil.rmtree, path, True)
            await self._release_writing(backup_id)
            removed.append(backup_id)
        if removed:
            log.info("partial_backups_removed", backups=removed)
            if self._telemetry is not None:
                self._telemetry.count_partial_backups_removed(len(removed))
        return removed

    async def prune(self, *, keep_days: int, keep_last: int) -> list[str]:
        """Delete the backups past retention (and unfinished ones); their ids, oldest first."""
        async with self._lock:
            await self.remove_partials()
            doomed = expired(
                await self.all(), now=self._clock(), keep_days=keep_days, keep_last=keep_last
            )
            for backup_id in doomed:
                await self.delete(backup_id)
        return doomed

    # -- restore ---------------------------------------------------------------------------

    async def verify(self, backup_id: str) -> BackupManifest:
        """The manifest if the backup can be restored here; ``Conflict`` saying why not."""
        manifest = await self.get(backup_id)
        versions = await self._medium.engine_versions()
        problem = version_problem(
            manifest,
            mode=self._medium.mode,
            engine=self._medium.engine,
            engine_version=min(versions, key=version_tuple),
            nodes=len(self._medium.nodes),
        )
        if problem is not None:
            raise Conflict(f"backup {backup_id} cannot be restored: {problem}", field="id")
        problems = await asyncio.to_thread(verify_files, self._path(backup_id), manifest)
        if problems:
            shown = "; ".join(problems[:5])
            raise Conflict(
                f"backup {backup_id} is corrupted ({shown}); nothing was replaced", field="id"
            )
        return manifest

    async def restore(self, backup_id: str) -> BackupManifest:
        """Check versions and every checksum, then have the medium put the data back."""
        async with self._lock:
            manifest = await self.verify(backup_id)
            started = time.perf_counter()
            await self._medium.restore(self._path(backup_id), manifest.files, manifest.collections)
        log.info(
            "backup_restored",
            backup=backup_id,
            mode=manifest.mode,
            collections=len(manifest.collections),
            seconds=round(time.perf_counter() - started, 3),
        )
        return manifest


def _checksums(directory: Path) -> dict[str, str]:
    return {
        str(p.relative_to(directory)): sha256_file(p)
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }
