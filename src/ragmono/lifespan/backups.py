"""The backup service for the configured store, and its in-process schedule."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from ragmono import __version__
from ragmono.backup import BackupService, FileCopyMedium
from ragmono.ports import (
    BackupMedium,
    LeaseStore,
    RestorableVectorStore,
    Telemetry,
    VectorStore,
)
from ragmono.settings import Settings


def build_backup_service(
    settings: Settings,
    store: VectorStore,
    telemetry: Telemetry | None = None,
    *,
    after_restore: Callable[[], Awaitable[object]] | None = None,
    leases: LeaseStore | None = None,
) -> BackupService | None:
    """Backups of the store: file copies (embedded) or Qdrant snapshots (server, cluster).

    ``after_restore`` runs once restored data is served (the app drops its cached answers).
    None for a store neither medium can back up (the in-memory test twin).
    """
    medium: BackupMedium
    if isinstance(store, RestorableVectorStore):
        from importlib.metadata import version

        medium = FileCopyMedium(
            store,
            staging=settings.data_path / ".restore",
            engine_version=version("qdrant-edge-py"),
        )
    else:
        from ragmono.adapters.qdrant.remote.remote_store import RemoteVectorStore
        from ragmono.adapters.qdrant.remote.snapshots import QdrantSnapshots

        vs = settings.vector_store
        urls = vs.urls if vs.mode == "cluster" else [vs.url]
        if not isinstance(store, RemoteVectorStore) or not all(urls):
            return None
        medium = QdrantSnapshots(
            store,
            urls,
            api_key=vs.api_key,
            timeout_s=settings.backup.snapshot_timeout_s,
            telemetry=telemetry,
        )
    return BackupService(
        medium,
        Path(settings.backup.dir).expanduser().resolve(),
        ragmono_version=__version__,
        telemetry=telemetry,
        after_restore=after_restore,
        leases=leases,
    )


@contextlib.asynccontextmanager
async def backup_schedule(
    settings: Settings, backups: BackupService | None, leases: LeaseStore | None = None
) -> AsyncIterator[None]:
    """Remove backups a killed run left unfinished; run scheduled backups while the app runs.

    ``leases`` shared by replicas (Redis) make each slot run on one replica only.
    """
    if backups is not None:
        await backups.remove_partials()
    if backups is None or not settings.backup.schedule:
        yield
        return
    from ragmono.backup import BackupSchedule

    schedule = BackupSchedule(
        backups,
        settings.backup.schedule,
        keep_days=settings.backup.keep_days,
        keep_last=settings.backup.keep_last,
        leases=leases,
    )
    task = asyncio.create_task(schedule.run_forever(), name="backup-schedule")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
