"""``ragmono backup create|list|restore|prune`` in this process, in every vector-store mode.

The embedded store lets one process open the data directory: stop the server first, or use
the admin API (``/api/v1/admin/backups``) of the running one. In server and cluster modes the
CLI talks to Qdrant itself (snapshots), beside a running app.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable

import click

from ragmono.backup import BackupManifest, BackupService
from ragmono.errors import Conflict, DependencyUnavailable, NotFound
from ragmono.settings import Settings

from .settings_loader import load_cli_settings

__all__ = ["backup"]

_CONFIG = click.option("--config", "config", help="TOML settings file.")
_DATA_DIR = click.option("--data-dir", help="Data directory (storage.data_dir).")
_BACKUP_DIR = click.option("--dir", "directory", help="Backup directory (backup.dir).")


def _settings(config: str | None, data_dir: str | None, directory: str | None) -> Settings:
    overrides = {
        k: v
        for k, v in (("RAGMONO_STORAGE__DATA_DIR", data_dir), ("RAGMONO_BACKUP__DIR", directory))
        if v is not None
    }
    return load_cli_settings(config, overrides)


def _run(settings: Settings, action: Callable[[BackupService], Awaitable[None]]) -> None:
    from ragmono.lifespan import build_backup_service, open_vector_store

    async def main() -> None:
        async with open_vector_store(settings) as store:
            service = build_backup_service(settings, store)
            if service is None:
                raise Conflict("this vector store has no backup medium")
            await action(service)

    try:
        asyncio.run(main())
    except (Conflict, NotFound, DependencyUnavailable) as exc:
        click.echo(f"ragmono backup: {exc}", err=True)
        sys.exit(1)


def _line(m: BackupManifest) -> str:
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(m.created_at))
    points = sum(c.points for c in m.collections)
    return (
        f"{m.id}  {when}  {len(m.collections)} collections  {points} points  "
        f"{m.size_bytes / 1e6:.1f} MB  {m.mode}  {m.engine} {m.engine_version}"
    )


@click.group()
def backup() -> None:
    """Back up, list, restore and prune backups (embedded files or Qdrant snapshots)."""


@backup.command("create")
@_DATA_DIR
@_BACKUP_DIR
@_CONFIG
def create(data_dir: str | None, directory: str | None, config: str | None) -> None:
    """Take a backup now."""

    async def action(svc: BackupService) -> None:
        click.echo("backing up...")
        click.echo(f"created  {_line(await svc.create())}")

    _run(_settings(config, data_dir, directory), action)


@backup.command("list")
@_DATA_DIR
@_BACKUP_DIR
@_CONFIG
def list_backups(data_dir: str | None, directory: str | None, config: str | None) -> None:
    """List complete backups, newest first."""

    async def action(svc: BackupService) -> None:
        for m in await svc.all():
            click.echo(_line(m))

    _run(_settings(config, data_dir, directory), action)


@backup.command("restore")
@click.argument("backup_id")
@_DATA_DIR
@_BACKUP_DIR
@_CONFIG
def restore(
    backup_id: str, data_dir: str | None, directory: str | None, config: str | None
) -> None:
    """Verify every checksum of BACKUP_ID, then replace the data with it."""

    async def action(svc: BackupService) -> None:
        click.echo(f"verifying {backup_id}...")
        await svc.verify(backup_id)
        click.echo("checksums ok; replacing the data...")
        m = await svc.restore(backup_id)
        click.echo(f"restored {_line(m)}")

    _run(_settings(config, data_dir, directory), action)


@backup.command("prune")
@_DATA_DIR
@_BACKUP_DIR
@_CONFIG
def prune(data_dir: str | None, directory: str | None, config: str | None) -> None:
    """Delete backups past backup.keep_days, keeping the newest backup.keep_last."""
    settings = _settings(config, data_dir, directory)

    async def action(svc: BackupService) -> None:
        removed = await svc.prune(
            keep_days=settings.backup.keep_days, keep_last=settings.backup.keep_last
        )
        for backup_id in removed:
            click.echo(f"removed  {backup_id}")
        click.echo(f"{len(removed)} removed, {len(await svc.all())} kept")

    _run(settings, action)
