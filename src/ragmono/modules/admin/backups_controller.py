"""HTTP for /api/v1/admin/backups: take, list, inspect, restore and delete backups."""

from __future__ import annotations

from typing import Literal

import msgspec
from litestar import Controller, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from ragmono.backup import BackupManifest, BackupService
from ragmono.errors import Conflict


class BackupView(msgspec.Struct, frozen=True, kw_only=True):
    """A backup: running, failed, or completed with its manifest."""

    id: str
    state: Literal["running", "failed", "completed"]
    error: str | None = None
    manifest: BackupManifest | None = None


class BackupList(msgspec.Struct, frozen=True):
    """Running backups first, then completed ones newest first."""

    items: list[BackupView]


def _require(backups: BackupService | None) -> BackupService:
    if backups is None:
        raise Conflict(
            "this vector store has no backup medium (backups need the embedded engine or a "
            "Qdrant server or cluster)",
            field="vector_store.mode",
        )
    return backups


def _completed(manifest: BackupManifest) -> BackupView:
    return BackupView(id=manifest.id, state="completed", manifest=manifest)


class BackupController(Controller):
    """Backups of the data (admin scope)."""

    path = "/admin/backups"
    tags = ["admin"]
    opt = {"scope": "admin"}  # every route here needs the admin scope (see README, Auth)

    @post("/", status_code=202, summary="Start a backup (poll GET .../{id})")
    async def create(self, backups: NamedDependency[BackupService | None]) -> BackupView:
        return BackupView(id=_require(backups).start(), state="running")

    @get("/", summary="Every backup", cache=False)
    async def list_all(self, backups: NamedDependency[BackupService | None]) -> BackupList:
        svc = _require(backups)
        running = [BackupView(id=i, state="running") for i in svc.running()]
        failed = [BackupView(id=i, state="failed", error=e) for i, e in svc.failures.items()]
        return BackupList(items=[*running, *failed, *map(_completed, await svc.all())])

    @get("/{backup_id:str}", summary="One backup's state and manifest", cache=False)
    async def get_one(
        self, backup_id: FromPath[str], backups: NamedDependency[BackupService | None]
    ) -> BackupView:
        svc = _require(backups)
        if backup_id in svc.running():
            return BackupView(id=backup_id, state="running")
        if backup_id in svc.failures:
            return BackupView(id=backup_id, state="failed", error=svc.failures[backup_id])
        return _completed(await svc.get(backup_id))

    @post("/{backup_id:str}/restore", status_code=200, summary="Verify, then restore a backup")
    async def restore(
        self, backup_id: FromPath[str], backups: NamedDependency[BackupService | None]
    ) -> BackupView:
        return _completed(await _require(backups).restore(backup_id))

    @delete("/{backup_id:str}", status_code=204, summary="Delete a backup")
    async def remove(
        self, backup_id: FromPath[str], backups: NamedDependency[BackupService | None]
    ) -> None:
        await _require(backups).delete(backup_id)
