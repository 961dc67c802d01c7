"""Backups of the embedded store: copy under paused writes, manifest, verified restore.

A backup is ``<dir>/<id>/`` with ``catalog.json``, ``collections/<name>/...`` and
``manifest.json``. It is written as ``<id>.partial`` and renamed when complete, so a listed
backup is always whole. Restore checks versions and every checksum before anything is replaced.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import structlog

from ragmono.errors import Conflict, NotFound
from ragmono.ports import RestorableVectorStore

from .manifest import (
    BackupManifest,
    CollectionEntry,
    read_manifest,
    sha256_file,
    verify_files,
    write_manifest,
)
from .retention import expired

__all__ = ["BackupService", "version_problem"]

log = structlog.get_logger(__name__)
_ID = re.compile(r"^\d{8}T\d{6}Z(-\d+)?$")


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", version)[:3])


def version_problem(manifest: BackupManifest, *, mode: str, engine_version: str) -> str | None:
    """Why this process cannot restore ``manifest``, or None when it can."""
    if manifest.format != 1:
        return f"backup format {manifest.format} is unknown to this ragmono (knows 1)"
    if manifest.mode != mode or manifest.engine != "qdrant-edge":
        return f"backup is of {manifest.mode}/{manifest.engine}; this store is {mode}/qdrant-edge"
    ours, theirs = _version_tuple(engine_version), _version_tuple(manifest.engine_version)
    if theirs > ours or theirs[:1] != ours[:1]:
        return (
            f"backup was written by qdrant-edge {manifest.engine_version}; this ragmono runs "
            f"{engine_version} and reads only the same major version, not newer"
        )
    return None


class BackupService:
    """Create, list, verify, restore, delete and prune backups of a file-backed store."""

    def __init__(
        self,
        store: RestorableVectorStore,
        directory: Path,
        *,
        staging: Path,
        ragmono_version: str,
        engine_version: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self.directory = directory
        self._staging = staging
        self._ragmono_version = ragmono_version
        self._engine_version = engine_version
        self._clock = clock
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
        while (self.directory / candidate).exists() or candidate in self._tasks:
            candidate, n = f"{base}-{n}", n + 1
        return candidate

    def _path(self, backup_id: str) -> Path:
        if not _ID.match(backup_id) or not (self.directory / backup_id).is_dir():
            raise NotFound(f"backup {backup_id!r} does not exist", field="id")
        return self.directory / backup_id

    # -- create ------------------------------------------------------------------------------

    async def create(self) -> BackupManifest:
        """Take a backup now (waits for a running one to finish first)."""
        async with self._lock:
            return await self._create(self._new_id())

    def start(self) -> str:
        """Start a backup in the background; its id. ``Conflict`` while one is running."""
        if self.busy:
            raise Conflict("a backup, restore or prune is already running", field="backup")
        backup_id = self._new_id()

        async def run() -> BackupManifest:
            async with self._lock:
                try:
                    return await self._create(backup_id)
                except Exception as exc:
                    self.failures[backup_id] = str(exc)
                    raise
                finally:
                    self._tasks.pop(backup_id, None)

        self._tasks[backup_id] = asyncio.create_task(run())
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

    async def _create(self, backup_id: str) -> BackupManifest:
        started = time.perf_counter()
        partial = self.directory / f"{backup_id}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        (partial / "collections").mkdir(parents=True)
        try:
            created_at = self._clock()
            async with self._store.paused_writes() as root:
                paused = time.perf_counter()
                entries = []
                for spec in await self._store.list_collections():
                    points = await self._store.count(spec.name)
                    entries.append(CollectionEntry(name=spec.name, points=points))
                    await asyncio.to_thread(
                        shutil.copytree,
                        root / "collections" / spec.name,
                        partial / "collections" / spec.name,
                        copy_function=sparse_copy,
                    )
                if (root / "catalog.json").exists():  # absent until the first collection
                    await asyncio.to_thread(shutil.copy2, root / "catalog.json", partial)
                paused_s = time.perf_counter() - paused
            files = await asyncio.to_thread(_checksums, partial)
            manifest = BackupManifest(
                id=backup_id,
                created_at=created_at,
                ragmono_version=self._ragmono_version,
                engine_version=self._engine_version,
                collections=entries,
                files=files,
                size_bytes=sum(f.stat().st_blocks * 512 for f in partial.rglob("*") if f.is_file()),
            )
            write_manifest(partial, manifest)
            partial.replace(self.directory / backup_id)
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
        log.info(
            "backup_created",
            backup=backup_id,
            collections=len(entries),
            bytes=manifest.size_bytes,
            writes_paused_s=round(paused_s, 3),
            seconds=round(time.perf_counter() - started, 3),
        )
        return manifest

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

    async def prune(self, *, keep_days: int, keep_last: int) -> list[str]:
        """Delete the backups past retention; their ids, oldest first."""
        async with self._lock:
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
        problem = version_problem(
            manifest, mode=self._store.mode, engine_version=self._engine_version
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
        """Verify every checksum, stage a copy beside the data, then swap it in."""
        async with self._lock:
            manifest = await self.verify(backup_id)
            staged = self._staging / backup_id
            shutil.rmtree(staged, ignore_errors=True)
            staged.parent.mkdir(parents=True, exist_ok=True)
            await asyncio.to_thread(
                shutil.copytree, self._path(backup_id), staged, copy_function=sparse_copy
            )
            (staged / "manifest.json").unlink()
            problems = await asyncio.to_thread(verify_files, staged, manifest)
            if problems:  # the copy itself went wrong (disk full, bad sector)
                shutil.rmtree(staged, ignore_errors=True)
                raise Conflict(f"staging backup {backup_id} failed: {problems[0]}", field="id")
            await self._store.replace_data(staged)
        log.info("backup_restored", backup=backup_id, collections=len(manifest.collections))
        return manifest


def sparse_copy(src: str, dst: str) -> str:
    """Copy a file keeping holes: the engine preallocates large, mostly empty mmap files."""
    block = 1 << 20
    zero = bytes(block)
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        while chunk := fin.read(block):
            if chunk == zero[: len(chunk)]:
                fout.seek(len(chunk), 1)
            else:
                fout.write(chunk)
        fout.truncate()
    shutil.copystat(src, dst)
    return dst


def _checksums(directory: Path) -> dict[str, str]:
    return {
        str(p.relative_to(directory)): sha256_file(p)
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }
